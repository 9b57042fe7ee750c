#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exponentially weighted moving average baseline.
///
/// With α = 1 − 2^(−1/halflife) (an observation's weight halves every `halflife` steps):
/// - the level is smoothed as L₀ = x₀, Lₜ = α·xₜ + (1 − α)·Lₜ₋₁;
/// - the one-step changes dₜ = xₜ − xₜ₋₁ get an exponentially weighted mean m and variance v
///   (the incremental form of West 1979 / Finch 2009: δ = d − m, m += α·δ,
///   v = (1 − α)·(v + α·δ²)), started at m = d₁, v = 0, and divided by 1 − (1 − α)ᵏ after k
///   updates so a short series is not biased toward zero (the weights then sum to one).
///
/// The band is centred on the last smoothed level L and its standard deviation grows with √h
/// on top of the smoothed level's own lag: sd(h) = √(v · (h + λ)), with
/// λ = Σₖ₌₁ⁿ⁻¹ (1 − α)²ᵏ (→ (1 − α)² / (1 − (1 − α)²) for a long series). λ·v is the variance of
/// x − L when x is a random walk whose steps have variance v (x − L = Σₖ (1 − α)ᵏ·(a step),
/// independent steps). Without it a band centred on a lagging level covers far less than its
/// nominal level: for halflife 12, λ ≈ 8.2, so at h = 1 a band of σ√h would cover about a third
/// of what it should.
public enum EWMABaseline {
    /// At least two one-step changes: one gives no variance.
    public static let minimumPoints = 3

    /// The smoothing weight for a half-life in steps.
    public static func alpha(halflife: Double) -> Double {
        1 - exp2(-1 / halflife)
    }

    /// The lag variance factor λ for a smoothing weight α over `count` points (see the type's
    /// comment); nil `count` for an endless series.
    public static func lagFactor(alpha: Double, count: Int? = nil) -> Double {
        let b2 = (1 - alpha) * (1 - alpha)
        guard let count else { return b2 / (1 - b2) }
        return b2 * (1 - pow(b2, Double(count - 1))) / (1 - b2)
    }

    /// The smoothed level and the EW mean and variance of one-step changes of `x`.
    public static func fit(_ x: [Double], halflife: Double) -> (level: Double, meanChange: Double, variance: Double) {
        let a = alpha(halflife: halflife)
        var level = x[0]
        var m = x.count > 1 ? x[1] - x[0] : 0
        var v = 0.0
        var previous = x[0]
        for i in 1..<max(x.count, 1) {
            let xi = x[i]
            level += a * (xi - level)
            if i >= 2 {
                let delta = (xi - previous) - m
                let increment = a * delta
                m += increment
                v = (1 - a) * (v + delta * increment)
            }
            previous = xi
        }
        let updates = x.count - 2
        if updates > 0 { v /= 1 - pow(1 - a, Double(updates)) }
        return (level, m, v)
    }

    /// The band for steps 1…horizon at `levels` (ascending), in the space `x` is in.
    public static func forecast(_ x: [Double], horizon: Int, levels: [Double],
                                halflife: Double = BaselineSettings.defaultHalflife) -> Result<QuantileBand, BaselineFailure> {
        guard x.count >= minimumPoints else { return .failure(.tooFewPoints) }
        guard allFinite(x) else { return .failure(.nonFiniteValues) }
        let fitted = fit(x, halflife: halflife)
        guard fitted.variance > 0, fitted.variance.isFinite, fitted.level.isFinite else { return .failure(.zeroVariance) }
        let lambda = lagFactor(alpha: alpha(halflife: halflife), count: x.count)
        let sd = (1...horizon).map { (fitted.variance * (Double($0) + lambda)).squareRoot() }
        return .success(gaussianBand(center: fitted.level, sd: sd, levels: levels))
    }
}
