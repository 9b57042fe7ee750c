/// A statistical baseline, as named in `meta.model_name` (`baseline:<raw value>`).
public enum BaselineKind: String, CaseIterable, Sendable {
    case ewma
    case kalman
    case rollingQuantile = "rolling_quantile"
    /// Not a model: a zero-width band at the last value, used when no baseline can fit the
    /// series (with the warning `degenerate_series`).
    case flat

    /// `meta.model_name` of a forecast this baseline made.
    public var modelName: String { "baseline:\(rawValue)" }
}

/// Why a baseline cannot make a band for a series. Baselines return it instead of a band that
/// would mean nothing; the chain then tries the next one.
public enum BaselineFailure: String, Error, CaseIterable, Sendable {
    /// The series is shorter than the method needs.
    case tooFewPoints = "too_few_points"
    /// The series does not move (the spread it would give is zero).
    case zeroVariance = "zero_variance"
    /// A value of the series (in transform space) is NaN or infinite.
    case nonFiniteValues = "non_finite_values"
}

/// `--baseline`: which baseline serves a request.
public enum BaselineChoice: String, CaseIterable, Sendable {
    /// EWMA, then Kalman, then rolling quantile: the first that yields a valid band.
    case auto
    case ewma
    case kalman
    case rolling

    /// The baselines to try, in order.
    public var chain: [BaselineKind] {
        switch self {
        case .auto: return [.ewma, .kalman, .rollingQuantile]
        case .ewma: return [.ewma]
        case .kalman: return [.kalman]
        case .rolling: return [.rollingQuantile]
        }
    }
}

/// The baselines' tunables, from the command line.
public struct BaselineSettings: Sendable, Equatable {
    public var choice: BaselineChoice
    /// EWMA half-life in steps (`--ewma-halflife`).
    public var ewmaHalflife: Double
    /// Points of history the rolling quantile looks at (`--window`).
    public var window: Int

    /// 288 steps (24 h at 5 min): measured, see docs/tsfm-forecast.md.
    public static let defaultHalflife = 288.0
    public static let defaultWindow = 288

    public init(choice: BaselineChoice = .auto, ewmaHalflife: Double = defaultHalflife, window: Int = defaultWindow) {
        self.choice = choice
        self.ewmaHalflife = ewmaHalflife
        self.window = window
    }
}
