#if canImport(Glibc)
import Glibc
#endif

/// The configuration file (`--config FILE` or `$TSFM_CONFIG`, docs/configuration.md): the
/// settings an operator sets once, shared by every tool, JSON with one key per setting.
///
/// It works on the command line before ArgumentParser sees it: a key the running command takes,
/// and whose flag is not on the command line (and whose environment variable, if it has one, is
/// not set), becomes `--flag=value` for the parser. So the precedence is flag, then environment,
/// then the file, then the default, and every value is validated exactly as the flag is. A key
/// the running command does not take is ignored (one file serves all tools); an unknown key, a
/// value of the wrong type or a file that cannot be read is exit 78 naming the file and the key.
/// `--print-config` shows the effective values and where each came from, and exits.
public enum ToolConfig {
    public enum Kind: Sendable {
        case string, number, integer, duration
        case choice([String])
    }

    /// One setting: its key in the file, its flag, the commands that take it, an environment
    /// variable that overrides the file, and the default as `--help` shows it.
    public struct Key: Sendable {
        public let name: String
        public let kind: Kind
        public let commands: Set<String>
        public let environment: String?
        public let defaultText: String

        public var flag: String { "--" + name.replacing("_", with: "-") }
    }

    static let forecast = "tsfm-forecast forecast"
    static let tollama: Set<String> = ["tsfm-forecast forecast", "tsfm-forecast health", "tsfm-forecast check-config"]
    static let streaming: Set<String> = ["tsfm-prep", "tsfm-prep actuals", "tsfm-forecast forecast", "tsfm-post", "tsfm-conformal fit",
                                         "tsfm-conformal apply", "tsfm-eval"]
    static let guards: Set<String> = ["tsfm-post", "tsfm-conformal apply"]

    /// Every key the file may hold. Defaults must match the options' declarations (a test
    /// compares them with `--help`).
    public static let keys: [Key] = [
        Key(name: "tollama_url", kind: .string, commands: tollama, environment: "TOLLAMA_BASE_URL", defaultText: "http://127.0.0.1:11435"),
        Key(name: "model", kind: .string, commands: tollama, environment: nil, defaultText: "chronos2"),
        Key(name: "profile", kind: .choice(["dev", "prod"]), commands: [forecast, "tsfm-forecast check-config"], environment: nil, defaultText: "dev"),
        Key(name: "model_registry", kind: .string, commands: [forecast, "tsfm-forecast check-config"], environment: "TSFM_MODEL_REGISTRY",
            defaultText: "<prefix>/share/tsfm/models.json"),
        Key(name: "state_dir", kind: .string, commands: tollama.union(streaming), environment: nil, defaultText: "$XDG_STATE_HOME/tsfm"),
        Key(name: "timeout", kind: .number, commands: tollama, environment: nil, defaultText: "2.0"),
        Key(name: "timeout_per_series", kind: .number, commands: tollama, environment: nil, defaultText: "0.05"),
        Key(name: "retries", kind: .integer, commands: tollama, environment: nil, defaultText: "1"),
        Key(name: "breaker_failures", kind: .integer, commands: tollama, environment: nil, defaultText: "5"),
        Key(name: "breaker_cooldown", kind: .duration, commands: tollama, environment: nil, defaultText: "120s"),
        Key(name: "probe_interval", kind: .duration, commands: tollama, environment: nil, defaultText: "30s"),
        Key(name: "cache_ttl", kind: .duration, commands: tollama, environment: nil, defaultText: "60s"),
        Key(name: "baseline_only_share", kind: .number, commands: tollama, environment: nil, defaultText: "0.5"),
        Key(name: "baseline_only_window", kind: .duration, commands: tollama, environment: nil, defaultText: "5m"),
        Key(name: "concurrency", kind: .integer, commands: tollama, environment: nil, defaultText: "8"),
        Key(name: "batch_size", kind: .integer, commands: tollama, environment: nil, defaultText: "50"),
        Key(name: "min_width", kind: .number, commands: guards, environment: nil, defaultText: "0.02"),
        Key(name: "max_width", kind: .number, commands: guards, environment: nil, defaultText: "0.6"),
        Key(name: "params", kind: .string, commands: ["tsfm-conformal apply"], environment: nil, defaultText: "(required)"),
        Key(name: "metrics_pipeline", kind: .string, commands: streaming, environment: nil, defaultText: "default"),
        Key(name: "log_format", kind: .choice(["json", "text"]), commands: streaming.union(["tsfm-forecast health"]), environment: nil,
            defaultText: "json"),
        Key(name: "log_level", kind: .choice(["debug", "info", "warning", "error"]), commands: streaming.union(["tsfm-forecast health"]),
            environment: nil, defaultText: "warning"),
    ]

    /// Where a value came from, for `--print-config`.
    public enum Source: Equatable, Sendable {
        case flag, environment(String), file(String), defaultValue

        public var text: String {
            switch self {
            case .flag: return "flag"
            case .environment(let name): return "env $\(name)"
            case .file(let path): return "config file \(path)"
            case .defaultValue: return "default"
            }
        }
    }

    /// One effective setting of the running command.
    public struct Setting: Equatable, Sendable {
        public let key: String
        public let value: String
        public let source: Source
    }

    /// The file's values, checked: a JSON object whose keys are all known and whose values have
    /// their key's type. Throws `ToolError(.config)` naming the file (and the key).
    public static func load(_ path: String) throws -> [String: String] {
        func bad(_ reason: String) -> ToolError { ToolError(.config, "\(path): \(reason)") }
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path) } catch { throw bad("cannot read the configuration file (\(error))") }
        guard let root = (try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)))?.object else {
            throw bad("not a JSON object")
        }
        var values: [String: String] = [:]
        for (name, value) in root.members {
            guard let key = keys.first(where: { $0.name == name }) else {
                throw bad("unknown key '\(name)' (known: \(keys.map(\.name).joined(separator: ", ")))")
            }
            values[name] = try text(of: value, for: key, bad: bad)
        }
        return values
    }

    static func text(of value: JSONValue, for key: Key, bad: (String) -> ToolError) throws -> String {
        switch key.kind {
        case .string, .duration:
            guard let s = value.string, !s.isEmpty else { throw bad("'\(key.name)' must be a non-empty string") }
            return s
        case .number:
            guard let n = value.number, n.isFinite else { throw bad("'\(key.name)' must be a number") }
            return NumberText.plain(n)
        case .integer:
            guard let n = value.int else { throw bad("'\(key.name)' must be an integer") }
            return String(n)
        case .choice(let allowed):
            guard let s = value.string, allowed.contains(s) else {
                throw bad("'\(key.name)' must be one of \(allowed.joined(separator: ", "))")
            }
            return s
        }
    }

    /// The command a command line runs, as `Key.commands` names it: the tool and its subcommand
    /// (the default one when none is named).
    public static func command(tool: String, arguments: [String]) -> String {
        let subcommands: [String: (all: [String], defaultOne: String?)] = [
            "tsfm-forecast": (["forecast", "health", "check-config"], "forecast"),
            "tsfm-prep": (["actuals"], nil),
            "tsfm-conformal": (["fit", "apply"], nil),
            "tsfm-eval": (["merge"], nil),
        ]
        guard let known = subcommands[tool] else { return tool }
        // The default subcommands of tsfm-prep and tsfm-eval go by the tool's name.
        if let first = arguments.first, (tool == "tsfm-prep" && first == "requests") || (tool == "tsfm-eval" && first == "score") {
            return tool
        }
        if let first = arguments.first, known.all.contains(first) { return "\(tool) \(first)" }
        return known.defaultOne.map { "\(tool) \($0)" } ?? tool
    }

    /// Whether `flag` is on the command line (`--flag value` or `--flag=value`, before `--`).
    static func given(_ flag: String, in arguments: [String]) -> Bool {
        for a in arguments {
            if a == "--" { return false }
            if a == flag || a.hasPrefix(flag + "=") { return true }
        }
        return false
    }


    /// The effective settings of `command`: each key it takes, its value and source.
    public static func settings(command: String, arguments: [String], file: (path: String, values: [String: String])?) -> [Setting] {
        keys.filter { $0.commands.contains(command) }.map { key in
            if given(key.flag, in: arguments) {
                return Setting(key: key.name, value: flagValue(key.flag, in: arguments) ?? "", source: .flag)
            }
            if let env = key.environment, let value = System.environment(env) {
                return Setting(key: key.name, value: value, source: .environment(env))
            }
            if let file, let value = file.values[key.name] {
                return Setting(key: key.name, value: value, source: .file(file.path))
            }
            return Setting(key: key.name, value: key.defaultText, source: .defaultValue)
        }
    }

    static func flagValue(_ flag: String, in arguments: [String]) -> String? {
        var i = 0
        while i < arguments.count && arguments[i] != "--" {
            if arguments[i] == flag { return i + 1 < arguments.count ? arguments[i + 1] : nil }
            if arguments[i].hasPrefix(flag + "=") { return String(arguments[i].dropFirst(flag.count + 1)) }
            i += 1
        }
        return nil
    }

    /// The command line for ArgumentParser: `--config FILE` and `--print-config` taken out, the
    /// file's values added as flags (before any `--`). With `--print-config`, prints the
    /// settings and exits 0; a bad file exits 78. `arguments` excludes the program name.
    public static func arguments(tool: String, _ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> [String] {
        var rest: [String] = []
        var path = System.environment("TSFM_CONFIG")
        var printing = false
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" {
                rest += arguments[i...]
                break
            }
            if a == "--config" && i + 1 < arguments.count {
                path = arguments[i + 1]
                i += 2
                continue
            }
            if a.hasPrefix("--config=") {
                path = String(a.dropFirst(9))
            } else if a == "--print-config" {
                printing = true
            } else {
                rest.append(a)
            }
            i += 1
        }
        let command = command(tool: tool, arguments: rest)
        var file: (path: String, values: [String: String])?
        if let path {
            do { file = (path, try load(path)) } catch let error as ToolError {
                Logger.writeStderr("\(tool): \(TerminalText.escaped(error.message))\n")
                exit(ExitStatus.config.rawValue)
            } catch {
                exit(ExitStatus.config.rawValue)
            }
        }
        let settings = settings(command: command, arguments: rest, file: file)
        if printing {
            let width = (settings.map(\.key.count).max() ?? 0) + 2
            let valueWidth = min(40, (settings.map(\.value.count).max() ?? 0) + 2)
            var text = "# effective configuration of \(command)\n"
            for s in settings {
                let key = s.key + String(repeating: " ", count: max(1, width - s.key.count))
                let value = s.value + String(repeating: " ", count: max(1, valueWidth - s.value.count))
                text += "\(key)\(value)\(s.source.text)\n"
            }
            print(text, terminator: "")
            exit(0)
        }
        var injected: [String] = []
        for s in settings {
            if case .file = s.source, let key = keys.first(where: { $0.name == s.key }) { injected.append("\(key.flag)=\(s.value)") }
        }
        guard !injected.isEmpty else { return rest }
        if let dash = rest.firstIndex(of: "--") { return Array(rest[..<dash]) + injected + Array(rest[dash...]) }
        return rest + injected
    }
}
