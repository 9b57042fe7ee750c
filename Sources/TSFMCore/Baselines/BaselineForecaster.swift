/// A baseline's answer for one request: the band in probabilities, which baseline made it, and
/// why the ones before it in the chain could not.
public struct BaselineForecast: Sendable {
    public var kind: BaselineKind
    /// In probabilities (mapped back from transform space).
    public var band: QuantileBand
    /// The baselines tried before `kind`, each with its reason (tsfm-forecast logs them at debug level).
    public var failures: [(kind: BaselineKind, reason: BaselineFailure)]

    /// True for the flat band: no baseline could fit the series.
    public var isDegenerate: Bool { kind == .flat }
}

/// Runs the baseline chain on one series: pure (arrays in, band out).
public enum BaselineForecaster {
    /// One baseline on a series already in transform space.
    public static func run(_ kind: BaselineKind, _ x: [Double], horizon: Int, levels: [Double],
                           settings: BaselineSettings) -> Result<QuantileBand, BaselineFailure> {
        guard let baseline = Baselines.named(kind) else { return .success(flatBand(x, horizon: horizon, levels: levels)) }
        return baseline.band(x, horizon: horizon, levels: levels, settings: settings)
    }

    /// A zero-width band at the last value (the last finite one; 0 in transform space if none).
    public static func flatBand(_ x: [Double], horizon: Int, levels: [Double]) -> QuantileBand {
        let last = x.last(where: { $0.isFinite }) ?? 0
        return QuantileBand(levels: levels, values: Array(repeating: Array(repeating: last, count: horizon), count: levels.count))
    }

    /// Forecasts `y` (probabilities, oldest first) `horizon` steps ahead at `levels` (ascending):
    /// maps it into `transform`'s space, tries the chosen baselines in order (the first valid
    /// band wins, else the flat band), and maps the band back to probabilities.
    public static func forecast(y: [Double], horizon: Int, levels: [Double], transform: Transform,
                                settings: BaselineSettings = BaselineSettings()) -> BaselineForecast {
        precondition(horizon >= 1 && !levels.isEmpty)
        let x = y.map { transform.forward($0) }
        var failures: [(kind: BaselineKind, reason: BaselineFailure)] = []
        var chosen: (BaselineKind, QuantileBand)?
        for kind in settings.choice.chain {
            switch run(kind, x, horizon: horizon, levels: levels, settings: settings) {
            case .success(let band):
                chosen = (kind, band)
            case .failure(let reason):
                failures.append((kind, reason))
            }
            if chosen != nil { break }
        }
        let (kind, band) = chosen ?? (.flat, flatBand(x, horizon: horizon, levels: levels))
        let values = band.values.map { row in row.map { transform.inverse($0) } }
        return BaselineForecast(kind: kind, band: QuantileBand(levels: levels, values: values), failures: failures)
    }
}
