import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// Structured logs on stderr: JSON lines by default, `key=value` text for people. Stdout never
/// carries logs. Libraries take a `Logger`; only executables decide its format and level.
public struct Logger: Sendable {
    public enum Level: String, CaseIterable, ExpressibleByArgument, Comparable, Sendable {
        case debug, info, warning, error

        var rank: Int { Self.allCases.firstIndex(of: self)! }
        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rank < rhs.rank }
    }

    public enum Format: String, CaseIterable, ExpressibleByArgument, Sendable {
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

    /// Whether an event at `level` would be written (to skip building its fields).
    public func shows(_ level: Level) -> Bool { !muted && level >= self.level }

    public func log(_ level: Level, _ message: String, _ fields: [(String, JSONValue)]) {
        guard !muted, level >= self.level else { return }
        emit(line(level: level.rawValue, message: message, fields))
    }

    /// Totals asked for with `--summary`: printed whatever the log level.
    public func summary(_ fields: [(String, JSONValue)]) {
        guard !muted else { return }
        emit(line(level: "summary", message: "summary", fields))
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
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(2, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }
}
