#if canImport(Glibc)
import Glibc
#endif

/// The small files tsfm-forecast keeps between runs (`--state-dir`): the circuit breaker, the
/// recent fallback share behind baseline-only mode, and the response cache. Cron runs every 5
/// minutes share them, so each read-change-write happens under an exclusive `flock` on
/// `state.lock` and each file is replaced atomically (a reader never sees half a file).
public struct StateDir: Sendable {
    public let path: String

    public init(_ path: String) { self.path = path }

    /// The state dir every tool uses: `--state-dir`, else `$XDG_STATE_HOME/tsfm`, else
    /// `~/.local/state/tsfm`. Nil without any of them.
    public static func resolve(explicit: String? = nil, environment: (String) -> String? = System.environment) -> String? {
        if let explicit { return explicit }
        if let xdg = environment("XDG_STATE_HOME"), !xdg.isEmpty { return xdg + "/tsfm" }
        if let home = environment("HOME"), !home.isEmpty { return home + "/.local/state/tsfm" }
        return nil
    }

    /// The JSON object in `name`, or nil when it is missing or unreadable (state is advisory:
    /// a damaged file is treated as no state, never as an error).
    public func read(_ name: String) -> JSONObject? {
        guard let bytes = try? FileBytes.read(path + "/" + name, followSymlinks: false) else { return nil }
        return (try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)))?.object
    }

    /// Reads `name`, lets `change` edit it, and writes it back, all under the directory's lock.
    /// Returns what `change` returns. Nothing is written when nothing changed.
    @discardableResult
    public func update<T>(_ name: String, _ change: (inout JSONObject) -> T) throws -> T {
        try Self.makeDirectory(path)
        return try System.withExclusiveLock(path + "/state.lock") {
            let before = read(name)
            var object = before ?? JSONObject()
            let result = change(&object)
            if object == before { return result }
            try AtomicFile.write(object, to: path + "/" + name)
            return result
        }
    }

    public static func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw ToolError(.ioError, "cannot create \(current): \(System.lastErrorText)")
            }
        }
    }
}

/// A value kept in one JSON file of the state dir: a fresh one when the file is missing or
/// damaged.
public protocol StateFileValue {
    static var fileName: String { get }
    init()
    init(_ object: JSONObject)
    var object: JSONObject { get }
}

/// One value's file in the state dir, read without the lock (files are replaced atomically)
/// and changed under it. With no state dir (nil) it is never read nor written.
///
/// With a `scope` (the daemon's base URL) the file is `<name>-<16 hex digits of the scope's
/// hash>.json`, so a breaker opened against one daemon does not hold up runs against another
/// that share the state dir.
public struct StateFile<Value: StateFileValue>: Sendable {
    public let directory: String?
    public let fileName: String

    public init(directory: String?, scope: String? = nil) {
        self.directory = directory
        fileName = scope.map { Self.scopedName(Value.fileName, scope: $0) } ?? Value.fileName
    }

    /// `breaker.json` scoped to `http://h:1/` is `breaker-<hash>.json`; trailing slashes do not
    /// change the scope.
    public static func scopedName(_ name: String, scope: String) -> String {
        var s = scope
        while s.hasSuffix("/") { s.removeLast() }
        var hash = ContentHash()
        hash.add(s)
        let stem = name.hasSuffix(".json") ? String(name.dropLast(5)) : name
        return "\(stem)-\(hash.hex.prefix(16)).json"
    }

    public func load() -> Value {
        guard let directory, let object = StateDir(directory).read(fileName) else { return Value() }
        return Value(object)
    }

    /// Reads, changes and writes the value under the lock; returns what `change` does (nil
    /// without a state dir).
    @discardableResult
    public func update<T>(_ change: (inout Value) -> T) throws -> T? {
        guard let directory else { return nil }
        return try StateDir(directory).update(fileName) { object in
            var value = Value(object)
            let result = change(&value)
            object = value.object
            return result
        }
    }
}
