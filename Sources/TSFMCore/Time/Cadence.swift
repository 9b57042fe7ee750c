/// The sampling cadence of a series (`freq`).
public enum Cadence: String, CaseIterable, Sendable {
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
    /// The longest duration any flag accepts: 3660 days (about ten years). Longer ones are typos
    /// or overflow attempts (`1e9d`), and bounding them keeps instant ± duration inside Int64.
    public static let maxSeconds: Double = 3660 * 86_400

    /// Seconds in a duration text; nil when it does not parse or is longer than `maxSeconds`.
    /// The number is plain decimal (`1.5h`; no sign, exponent, hex, `inf` or `nan`); a bare
    /// number is seconds.
    public static func seconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400), ("w", 604_800)]
        var number = Substring(text)
        var scale = 1.0
        for (suffix, s) in units where text.hasSuffix(suffix) {
            number = text.dropLast(suffix.count)
            scale = s
            break
        }
        guard isPlainDecimal(number), let v = Double(number) else { return nil }
        let seconds = v * scale
        guard seconds.isFinite, seconds <= maxSeconds else { return nil }
        return seconds
    }

    /// Digits, optionally a point and more digits.
    static func isPlainDecimal(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        }
        return true
    }

    /// A duration in the shortest unit that writes it whole (`3600` → `1h`), for messages.
    public static func text(_ seconds: Double) -> String {
        if seconds == 0 { return "0s" }
        for (suffix, scale) in [("d", 86_400.0), ("h", 3600), ("m", 60), ("s", 1)] where seconds >= scale && (seconds / scale).rounded() == seconds / scale {
            return "\(Int(seconds / scale))\(suffix)"
        }
        return "\(seconds)s"
    }
}

/// A duration option value (`--max-gap 60m`): a plain decimal and a unit, `ms`, `s`, `m`, `h`, `d`
/// or `w`. On the command line a bare number other than 0 is refused: `--max-gap 90` could mean
/// seconds or minutes (prep reports gaps in minutes), so the unit must be written.
public struct DurationArgument: Sendable, Equatable, CustomStringConvertible {
    public var seconds: Double
    public var text: String

    public init(seconds: Double, text: String) {
        self.seconds = seconds
        self.text = text
    }

    public init?(argument: String) {
        guard argument == "0" || argument.last.map({ !$0.isNumber }) ?? false,
              let s = DurationText.seconds(argument) else { return nil }
        seconds = s
        text = argument
    }

    public var description: String { text }
    public var defaultValueDescription: String { text }
}
