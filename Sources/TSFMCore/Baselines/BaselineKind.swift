/// A statistical baseline: a pure function from a series (already in transform space) to a
/// band in that space, or the reason it cannot make one. Each baseline is one file: a type that
/// conforms, with its `kind` and `choice` declared beside it, and one entry in `Baselines.all`.
public protocol Baseline: Sendable {
    /// Which baseline made a band (`meta.model_name` is `baseline:<kind>`).
    var kind: BaselineKind { get }
    /// The `--baseline` value that forces this baseline alone.
    var choice: BaselineChoice { get }
    /// The band for steps 1…horizon at `levels` (ascending).
    func band(_ x: [Double], horizon: Int, levels: [Double], settings: BaselineSettings) -> Result<QuantileBand, BaselineFailure>
}

/// The baselines, in the order `--baseline auto` tries them: the one list to extend.
public enum Baselines {
    public static let all: [any Baseline] = [EWMABaseline(), KalmanBaseline(), RollingQuantileBaseline()]

    /// The baseline of a kind; nil for `flat`, which is not a model.
    public static func named(_ kind: BaselineKind) -> (any Baseline)? { all.first { $0.kind == kind } }
}

/// A baseline's name, as in `meta.model_name` (`baseline:<raw value>`). Each baseline declares
/// its own (`extension BaselineKind { static let ewma … }` beside it).
public struct BaselineKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// Not a model: a zero-width band at the last value, used when no baseline can fit the
    /// series (with the warning `degenerate_series`).
    public static let flat = BaselineKind(rawValue: "flat")

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

/// `--baseline`: `auto` (every baseline in `Baselines.all` order, the first valid band wins)
/// or one baseline's `choice`, tried alone.
public struct BaselineChoice: RawRepresentable, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let auto = BaselineChoice(rawValue: "auto")

    public static var allCases: [BaselineChoice] { [.auto] + Baselines.all.map(\.choice) }

    /// The baselines to try, in order.
    public var chain: [BaselineKind] {
        self == .auto ? Baselines.all.map(\.kind) : Baselines.all.filter { $0.choice == self }.map(\.kind)
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
