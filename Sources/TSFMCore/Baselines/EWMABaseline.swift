#if canImport(Glibc)
import Glibc
#endif

/// Exponentially weighted volatility baseline, RiskMetrics style (J.P. Morgan 1996).
///
/// A prediction-market price is a martingale: the best median for any step ahead is the last
/// observed value, not a smoothed level (which lags a trending market and can leave the current
/// price outside its own band). So the band is centred on the last value x_n, and only the spread
/// is estimated: with α = 1 − 2^(−1/halflife) (an observation's weight halves every `halflife`
/// steps), the one-step changes dₜ = xₜ − xₜ₋₁ give the exponentially weighted mean square
///
///     v = Σₜ wₜ·dₜ²,  wₜ ∝ (1 − α)^(n − t),  Σ wₜ = 1
///
/// (zero mean: no drift for a martingale), and sd(h) = √(v·h) for h steps ahead. The weights are
/// normalised over the changes the series has, so a short series is not biased toward zero.
/// The half-life was chosen by measurement (docs/tsfm-forecast.md): on the bundled backtest and on
/// simulated logit random walks it gives the best Winkler score of the candidates, and no worse
/// than the Kalman baseline at any step.
extension BaselineKind { public static let ewma = BaselineKind(rawValue: "ewma") }
extension BaselineChoice { public static let ewma = BaselineChoice(rawValue: "ewma") }

public struct EWMABaseline: Baseline {
    public let kind = BaselineKind.ewma
    public let choice = BaselineChoice.ewma

    public func band(_ x: [Double], horizon: Int, levels: [Double], settings: BaselineSettings) -> Result<QuantileBand, BaselineFailure> {
        Self.forecast(x, horizon: horizon, levels: levels, halflife: settings.ewmaHalflife)
    }

    /// At least two one-step changes: one change is too little to say anything about spread.
    public static let minimumPoints = 3

    /// The smoothing weight for a half-life in steps.
    public static func alpha(halflife: Double) -> Double {
        1 - exp2(-1 / halflife)
    }

    /// The last value and the exponentially weighted mean square of the one-step changes of `x`.
    public static func fit(_ x: [Double], halflife: Double) -> (last: Double, variance: Double) {
        let decay = 1 - alpha(halflife: halflife)
        var sum = 0.0
        var weights = 0.0
        for i in 1..<max(x.count, 1) {
            let d = x[i] - x[i - 1]
            sum = decay * sum + d * d
            weights = decay * weights + 1
        }
        return (x.last ?? 0, weights > 0 ? sum / weights : 0)
    }

    /// The band for steps 1…horizon at `levels` (ascending), in the space `x` is in.
    public static func forecast(_ x: [Double], horizon: Int, levels: [Double],
                                halflife: Double = BaselineSettings.defaultHalflife) -> Result<QuantileBand, BaselineFailure> {
        guard x.count >= minimumPoints else { return .failure(.tooFewPoints) }
        guard allFinite(x) else { return .failure(.nonFiniteValues) }
        let fitted = fit(x, halflife: halflife)
        guard fitted.variance > 0, fitted.variance.isFinite else { return .failure(.zeroVariance) }
        let sd = (1...horizon).map { (fitted.variance * Double($0)).squareRoot() }
        return .success(gaussianBand(center: fitted.last, sd: sd, levels: levels))
    }
}
