/// Structured logs on stderr: JSON lines by default, `key=value` text for people. Stdout never
/// carries logs. Libraries take a `Logger`; only executables decide its format and level.
public struct Logger: Sendable {
    public enum Level: String, CaseIterable, Comparable, Sendable {
        case debug, info, warning, error

        var rank: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
    }

    public enum Format: String, CaseIterable, Sendable {
        case json, text
    }

    public var tool: String
    public var format: Format
    public var level: Level

    public init(tool: String, format: Format = .json, level: Level = .info) {
        self.tool = tool
        self.format = format
        self.level = level
    }

    /// A logger that writes nothing (tests).
    public static func silent(tool: String = "test") -> Logger {
        Logger(tool: tool, format: .json, level: .error).with(level: nil)
    }

    var muted = false

    func with(level: Level?) -> Logger {
        var copy = self
        copy.muted = level == nil
        return copy
    }

    public func debug(_ message: String, _ fields: [(String, JSONValue)] = []) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: [(String, JSONValue)] = []) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: [(String, JSONValue)] = []) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: [(String, JSONValue)] = []) { log(.error, message, fields) }

    /// Whether a message at `level` would be written (to skip building fields nobody sees).
    public func isEnabled(_ level: Level) -> Bool { !muted && level >= self.level }
    /// Whether an event at `level` would be written (to skip building its fields).
    public func shows(_ level: Level) -> Bool { isEnabled(level) }

    public func log(_ level: Level, _ message: String, _ fields: [(String, JSONValue)]) {
        guard isEnabled(level) else { return }
        emit(line(level: level.rawValue, message: message, fields))
    }

    /// Totals asked for with `--summary`: printed whatever the log level.
    public func summary(_ fields: [(String, JSONValue)]) {
        guard !muted else { return }
        emit(line(level: "summary", message: "summary", fields))
    }

    /// `--summary` with the keys every tool shares, in one order: `records` first (when the tool
    /// reads records), the tool's own counts, then `error_records_passed` and `bad_lines`.
    public func summary(records: Int?, _ counts: [(String, JSONValue)], errorRecordsPassed: Int, badLines: Int) {
        summary((records.map { [("records", JSONValue.int($0))] } ?? []) + counts
                + [("error_records_passed", .int(errorRecordsPassed)), ("bad_lines", .int(badLines))])
    }

    /// The same, from a record stream's totals.
    public func summary(_ totals: StreamTotals, _ counts: [(String, JSONValue)]) {
        summary(records: totals.records, counts, errorRecordsPassed: totals.errorRecordsPassed, badLines: totals.badLines)
    }

    func line(level: String, message: String, _ fields: [(String, JSONValue)]) -> String {
        switch format {
        case .json:
            var object = JSONObject([("level", .string(level)), ("tool", .string(tool)), ("msg", .string(message))])
            for (k, v) in fields { object[k] = v }
            return (try? JSONValue.object(object).jsonText()) ?? message
        case .text:
            var text = "\(tool): "
            if level == "summary" {
                text += "summary:"
            } else {
                text += (level == "info" ? "" : level + ": ") + message
            }
            for (k, v) in fields {
                let rendered: String
                if case .string(let s) = v { rendered = s } else { rendered = (try? v.jsonText()) ?? "?" }
                text += " \(k)=\(rendered)"
            }
            return TerminalText.escaped(text)
        }
    }

    func emit(_ text: String) {
        Self.writeStderr(text + "\n")
    }

    /// Writes straight to fd 2 (unbuffered, so it interleaves sanely with other processes).
    public static func writeStderr(_ text: String) {
        _ = System.writeAll(2, Array(text.utf8))
    }
}
