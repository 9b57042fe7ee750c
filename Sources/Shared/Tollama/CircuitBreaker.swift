#if canImport(Glibc)
import Glibc
#endif

/// The circuit breaker's state, shared by every run through a small file in the state dir
/// (`breaker.json`), written atomically and guarded by an exclusive lock (`breaker.lock`), so cron
/// runs every 5 minutes see each other's failures and two concurrent runs don't corrupt it.
public struct BreakerState: Equatable, Sendable {
    public var consecutiveFailures = 0
    /// When the breaker opened (ms since the epoch); nil when closed.
    public var openedAtMs: Int64?

    public init() {}

    public var json: JSONValue {
        ["consecutive_failures": .int(consecutiveFailures), "opened_at_ms": openedAtMs.map { .int(Int($0)) } ?? .null]
    }

    /// open, half_open (cool-down over: the next call is the trial) or closed.
    public func phase(nowMs: Int64, cooldownSeconds: Double) -> String {
        guard let opened = openedAtMs else { return "closed" }
        return Double(nowMs - opened) >= cooldownSeconds * 1000 ? "half_open" : "open"
    }

    /// Records one call's outcome; opens after `threshold` consecutive failures.
    public mutating func record(success: Bool, nowMs: Int64, threshold: Int) {
        if success {
            consecutiveFailures = 0
            openedAtMs = nil
        } else {
            consecutiveFailures += 1
            if consecutiveFailures >= threshold { openedAtMs = nowMs }
        }
    }
}

public struct BreakerStore: Sendable {
    /// nil: no state dir (state lives only for the run).
    public let directory: String?

    public init(directory: String?) { self.directory = directory }

    var file: String? { directory.map { $0 + "/breaker.json" } }

    public func load() -> BreakerState {
        guard let file, let fd = Optional(open(file, O_RDONLY)), fd >= 0 else { return BreakerState() }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        guard let object = (try? JSONValue.parse(String(decoding: bytes, as: UTF8.self)))?.object else { return BreakerState() }
        var state = BreakerState()
        state.consecutiveFailures = object["consecutive_failures"]?.int ?? 0
        state.openedAtMs = object["opened_at_ms"]?.int.map(Int64.init)
        return state
    }

    /// Reads, changes and writes the state under the lock.
    public func update(_ change: (inout BreakerState) -> Void) throws {
        guard let directory, let file else { return }
        try Self.makeDirectory(directory)
        let lock = open(directory + "/breaker.lock", O_RDWR | O_CREAT, 0o644)
        guard lock >= 0 else { throw ToolError(.ioError, "cannot open \(directory)/breaker.lock: \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        defer { flock(lock, LOCK_UN) }
        var state = load()
        change(&state)
        try AtomicFile.write(Array((try state.json.jsonText() + "\n").utf8), to: file)
    }

    static func makeDirectory(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw ToolError(.ioError, "cannot create \(current): \(String(cString: strerror(errno)))")
            }
        }
    }
}
