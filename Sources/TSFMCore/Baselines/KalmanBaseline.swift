/// Local-level Kalman baseline: a random walk observed with noise,
///   xₜ = μₜ + εₜ,  εₜ ~ N(0, r)   (observation noise, e.g. bid/ask bounce)
///   μₜ = μₜ₋₁ + ηₜ, ηₜ ~ N(0, q)   (the level's own random walk).
///
/// Estimation: method of moments on the first differences dₜ = xₜ − xₜ₋₁ = ηₜ + εₜ − εₜ₋₁,
/// whose variance is γ₀ = q + 2r and whose lag-1 autocovariance is γ₁ = −r (every longer lag is
/// zero). So r̂ = max(0, −γ̂₁) and q̂ = γ̂₀ − 2r̂, with the sample moments taken about the mean
/// change. Moments that imply q̂ < 1% of γ̂₀ (a lag-1 autocorrelation below about −0.5, which the
/// model cannot produce) are floored at q̂ = 0.01·γ̂₀ so the filter keeps following the level. It is
/// one pass over the series, no optimisation: a maximum-likelihood grid would cost a filter pass
/// per grid point for a baseline that must stay in microseconds.
///
/// The filter starts from a diffuse prior (after the first observation: a = x₀, P = r) and runs
/// to the last point; the h-step predictive distribution is N(a, P + h·q + r).
extension BaselineKind { public static let kalman = BaselineKind(rawValue: "kalman") }
extension BaselineChoice { public static let kalman = BaselineChoice(rawValue: "kalman") }

public struct KalmanBaseline: Baseline {
    public let kind = BaselineKind.kalman
    public let choice = BaselineChoice.kalman

    public func band(_ x: [Double], horizon: Int, levels: [Double], settings: BaselineSettings) -> Result<QuantileBand, BaselineFailure> {
        Self.forecast(x, horizon: horizon, levels: levels)
    }

    /// At least two differences, for the lag-1 autocovariance.
    public static let minimumPoints = 3

    /// Floor of q̂ as a fraction of the variance of the changes.
    static let processFloor = 0.01

    /// Method-of-moments estimates of the process (q) and observation (r) variances.
    public static func estimate(_ x: [Double]) -> (q: Double, r: Double) {
        let m = x.count - 1
        guard m >= 2 else { return (0, 0) }
        var sum = 0.0
        for i in 1...m { sum += x[i] - x[i - 1] }
        let mean = sum / Double(m)
        var g0 = 0.0
        var g1 = 0.0
        var previous = x[1] - x[0] - mean
        g0 = previous * previous
        for i in 2...m {
            let d = x[i] - x[i - 1] - mean
            g0 += d * d
            g1 += d * previous
            previous = d
        }
        g0 /= Double(m)
        g1 /= Double(m)
        let r = max(0, -g1)
        let q = max(g0 - 2 * r, processFloor * g0)
        return (q, r)
    }

    /// Filters to the last point: the state mean and variance given all of `x`.
    public static func filter(_ x: [Double], q: Double, r: Double) -> (mean: Double, variance: Double) {
        var a = x[0]
        var p = r
        for i in 1..<x.count {
            let predicted = p + q
            let gain = predicted / (predicted + r)
            a += gain * (x[i] - a)
            p = (1 - gain) * predicted
        }
        return (a, p)
    }

    /// The band for steps 1…horizon at `levels` (ascending), in the space `x` is in.
    public static func forecast(_ x: [Double], horizon: Int, levels: [Double]) -> Result<QuantileBand, BaselineFailure> {
        guard x.count >= minimumPoints else { return .failure(.tooFewPoints) }
        guard allFinite(x) else { return .failure(.nonFiniteValues) }
        let (q, r) = estimate(x)
        guard q > 0, q.isFinite, r.isFinite else { return .failure(.zeroVariance) }
        let state = filter(x, q: q, r: r)
        let sd = (1...horizon).map { (state.variance + Double($0) * q + r).squareRoot() }
        return .success(gaussianBand(center: state.mean, sd: sd, levels: levels))
    }
}
