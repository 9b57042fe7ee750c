import TSFMCore

/// Baseline-only mode: when more than `share` (0.5) of the requests sent toward the model over
/// the last `window` (5 min) fell back, later runs stop trying the model (reason
/// `baseline_only_mode`) until a health probe succeeds after the cool-down. Runs record their
/// counts in `<state-dir>/fallbacks.json`, so a cron job every 5 minutes sees the trouble of
/// the runs before it.
public struct FallbackHistory: Equatable, Sendable, StateFileValue {
    public static let fileName = "fallbacks.json"

    /// One entry per recording run: when, how many model-bound requests, how many fell back.
    public struct Entry: Equatable, Sendable {
        public var atMs: Int64
        public var requests: Int
        public var fallbacks: Int
    }

    public var entries: [Entry] = []
    /// When the mode began (ms since the epoch); nil when off.
    public var baselineOnlySinceMs: Int64?
    /// The last failed health probe while in the mode: the next is due a cool-down after it.
    public var lastProbeMs: Int64?

    public init() {}

    public init(_ object: JSONObject) {
        entries = (object["recent"]?.array ?? []).compactMap { value in
            guard let a = value.array, a.count == 3, let at = a[0].int, let n = a[1].int, let f = a[2].int else { return nil }
            return Entry(atMs: Int64(at), requests: n, fallbacks: f)
        }
        baselineOnlySinceMs = object["baseline_only_since_ms"]?.int.map(Int64.init)
        lastProbeMs = object["last_probe_ms"]?.int.map(Int64.init)
    }

    public var object: JSONObject {
        var o = JSONObject()
        o["recent"] = .array(entries.map { .array([.int(Int($0.atMs)), .int($0.requests), .int($0.fallbacks)]) })
        o["baseline_only_since_ms"] = baselineOnlySinceMs.map { .int(Int($0)) } ?? .null
        o["last_probe_ms"] = lastProbeMs.map { .int(Int($0)) } ?? .null
        return o
    }

    /// Requests and fallbacks within the window ending at `nowMs`.
    public func totals(nowMs: Int64, windowMs: Int64) -> (requests: Int, fallbacks: Int) {
        entries.filter { nowMs - $0.atMs < windowMs }.reduce((0, 0)) { ($0.0 + $1.requests, $0.1 + $1.fallbacks) }
    }

    /// Adds a run's counts, forgets what left the window, and turns the mode on when the share
    /// of fallbacks exceeds `share` over at least `minRequests` requests. Returns true when
    /// this call turned it on.
    @discardableResult
    public mutating func record(requests: Int, fallbacks: Int, nowMs: Int64, windowMs: Int64, share: Double, minRequests: Int) -> Bool {
        entries.removeAll { nowMs - $0.atMs >= windowMs }
        if requests > 0 { entries.append(Entry(atMs: nowMs, requests: requests, fallbacks: fallbacks)) }
        let t = totals(nowMs: nowMs, windowMs: windowMs)
        guard baselineOnlySinceMs == nil, t.requests >= minRequests, Double(t.fallbacks) > share * Double(t.requests) else { return false }
        baselineOnlySinceMs = nowMs
        lastProbeMs = nil
        return true
    }

    /// Whether a run starting at `nowMs` should probe the daemon's health to leave the mode.
    public func probeDue(nowMs: Int64, cooldownSeconds: Double) -> Bool {
        guard let since = baselineOnlySinceMs else { return false }
        let last = max(since, lastProbeMs ?? since)
        // A clock that stepped back counts as the cool-down being over.
        return nowMs < last || Double(nowMs - last) >= cooldownSeconds * 1000
    }

    /// The mode ends (a probe succeeded): the old counts no longer say anything.
    public mutating func leave() {
        self = FallbackHistory()
    }

    /// Baseline-only mode's phase (`tsfm-forecast health` prints its raw value).
    public enum Phase: String, Sendable {
        case off
        case on
        /// On, and a health probe is due (the cool-down since the last one is over).
        case probeDue = "probe_due"
    }

    public func phase(nowMs: Int64, cooldownSeconds: Double) -> Phase {
        guard baselineOnlySinceMs != nil else { return .off }
        return probeDue(nowMs: nowMs, cooldownSeconds: cooldownSeconds) ? .probeDue : .on
    }
}

/// The fallback history's file in the state dir.
public typealias FallbackHistoryStore = StateFile<FallbackHistory>
