import ArgumentParser

/// The sampling cadence of a series (`freq`).
public enum Cadence: String, CaseIterable, ExpressibleByArgument, Sendable {
    case oneMinute = "1m"
    case fiveMinutes = "5m"
    case fifteenMinutes = "15m"
    case oneHour = "1h"

    /// The product default.
    public static let standard = Cadence.fiveMinutes

    public var seconds: Int64 {
        switch self {
        case .oneMinute: return 60
        case .fiveMinutes: return 300
        case .fifteenMinutes: return 900
        case .oneHour: return 3600
        }
    }

    /// tollama's (pandas) offset alias for this cadence.
    public var tollamaAlias: String {
        switch self {
        case .oneMinute: return "1min"
        case .fiveMinutes: return "5min"
        case .fifteenMinutes: return "15min"
        case .oneHour: return "h"
        }
    }
}

/// Durations written the way people do on a command line: `200ms`, `90s`, `15m`, `6h`, `14d`.
public enum DurationText {
    /// Seconds in a duration text; nil when it does not parse. A bare number is seconds.
    public static func seconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            guard let v = Double(number), v.isFinite, v >= 0 else { return nil }
            return v * scale
        }
        guard let v = Double(text), v.isFinite, v >= 0 else { return nil }
        return v
    }
}

/// A duration option value (`--max-gap 60m`).
public struct DurationArgument: ExpressibleByArgument, Sendable, Equatable, CustomStringConvertible {
    public var seconds: Double
    public var text: String

    public init(seconds: Double, text: String) {
        self.seconds = seconds
        self.text = text
    }

    public init?(argument: String) {
        guard let s = DurationText.seconds(argument) else { return nil }
        seconds = s
        text = argument
    }

    public var description: String { text }
    public var defaultValueDescription: String { text }
}
