import TSFMCore

/// How many calls to keep in flight to the daemon, adapted to what it actually serves.
///
/// tollama 0.1.0 serves one forecast call at a time (its runner supervisor holds one lock per
/// runner), so calls beyond what it serves only queue inside it, each waiting for the ones before:
/// at 32–64 in flight the queue pushed single-series calls past the 2 s timeout, the retries made
/// it worse and the breaker opened on a healthy daemon. A fixed `--concurrency` cannot know that,
/// so it is only the ceiling here, and the limit follows the answers:
///
/// - **Slow start**: from 1, each fast success adds one (the limit doubles per round trip) until
///   the first slow success or overload.
/// - **Additive increase**: after that, a fast success adds 1/limit (one per round trip).
/// - **Queueing shows as latency**: a success is *fast* when it took at most twice the fastest
///   call seen (plus 10 ms for noise), i.e. it hardly waited behind another; a success slower
///   than three times the fastest (plus 20 ms) takes 1/limit away. Against a daemon that serves
///   one call at a time the limit settles at 2–3, which keeps one call waiting while another runs.
/// - **Multiplicative decrease**: a timeout, 429 or 503 halves the limit, once per round trip
///   (answers to calls sent before the last cut do not cut again).
///
/// The state lives for one run (one process); nothing is stored.
public struct ConcurrencyLimit: Sendable, Equatable {
    /// `--concurrency`: never more in flight than this.
    public let ceiling: Int
    /// The limit, fractional so additive steps of 1/limit add up.
    public private(set) var window: Double
    /// The fastest successful call seen (seconds): the daemon's service time without a queue.
    public private(set) var fastest: Double?
    public private(set) var slowStart = true
    /// When the limit was last cut (monotonic seconds).
    var lastCut = -Double.infinity

    public init(ceiling: Int, start: Int = 1) {
        self.ceiling = max(1, ceiling)
        window = Double(min(max(1, start), self.ceiling))
    }

    /// Calls that may be in flight now.
    public var current: Int { max(1, min(ceiling, Int(window.rounded(.down)))) }

    /// A call answered (any answer that is not overload) after `latency` seconds.
    public mutating func succeeded(latency: Double) {
        let best = min(fastest ?? latency, latency)
        fastest = best
        if latency <= 2 * best + 0.010 {
            window = min(Double(ceiling), window + (slowStart ? 1 : 1 / window))
        } else {
            slowStart = false
            if latency > 3 * best + 0.020 { window = max(1, window - 1 / window) }
        }
    }

    /// A call timed out or the daemon said it is busy (429, 503). `startedAt` is when that call
    /// was sent, `now` the time of the answer (monotonic seconds).
    public mutating func overloaded(startedAt: Double, now: Double) {
        slowStart = false
        guard startedAt >= lastCut else { return }
        window = max(1, window / 2)
        lastCut = now
    }
}
