import TSFMCore

/// The circuit breaker's state, shared by every run through a small file in the state dir
/// (`breaker.json`), written atomically under the state dir's lock (`StateDir`), so cron
/// runs every 5 minutes see each other's failures and two concurrent runs don't corrupt it.
public struct BreakerState: Equatable, Sendable, StateFileValue {
    public static let fileName = "breaker.json"

    public var consecutiveFailures = 0
    /// When the breaker opened (ms since the epoch); nil when closed.
    public var openedAtMs: Int64?
    /// When a run claimed the half-open trial call (so concurrent runs send only one).
    public var trialStartedMs: Int64?

    public init() {}

    public init(_ object: JSONObject) {
        consecutiveFailures = object["consecutive_failures"]?.int ?? 0
        openedAtMs = object["opened_at_ms"]?.int.map(Int64.init)
        trialStartedMs = object["trial_started_ms"]?.int.map(Int64.init)
    }

    public var object: JSONObject {
        var o = JSONObject([("consecutive_failures", .int(consecutiveFailures)),
                            ("opened_at_ms", openedAtMs.map { .int(Int($0)) } ?? .null)])
        if let trialStartedMs { o["trial_started_ms"] = .int(Int(trialStartedMs)) }
        return o
    }

    /// The breaker's phase (`tsfm-forecast health` prints its raw value).
    public enum Phase: String, Sendable {
        case closed
        case open
        /// The cool-down is over: the next call is the trial.
        case halfOpen = "half_open"
    }

    public func phase(nowMs: Int64, cooldownSeconds: Double) -> Phase {
        guard let opened = openedAtMs else { return .closed }
        // A clock that stepped back counts as the cool-down being over.
        return nowMs < opened || Double(nowMs - opened) >= cooldownSeconds * 1000 ? .halfOpen : .open
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

/// The breaker's file in the state dir.
public typealias BreakerStore = StateFile<BreakerState>
