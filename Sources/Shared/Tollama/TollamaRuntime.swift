#if canImport(Glibc)
import Glibc
#endif

/// How to reach and treat the daemon (TollamaOptions builds it from flags and environment).
public struct TollamaConfig: Sendable {
    public var baseURL = "http://127.0.0.1:11435"
    public var model = "chronos2"
    /// Per call, connect and transfer (seconds).
    public var timeout = 2.0
    public var retries = 1
    public var backoff = 0.2
    public var jitter = 0.1
    public var breakerFailures = 5
    public var breakerCooldown = 120.0
    public var stateDir: String?
    public var concurrency = 8
    public var batchSize = 1
    /// Seconds an answer may be reused for an identical request; 0 turns the cache off.
    public var cacheTTL = 60.0
    /// Baseline-only mode: more than this share of fallbacks…
    public var baselineOnlyShare = 0.5
    /// …over this many seconds…
    public var baselineOnlyWindow = 300.0
    /// …among at least this many requests.
    public var baselineOnlyMinRequests = 5
    /// From `TOLLAMA_API_KEY` only; never logged, never in an error or a record.
    public var token: String?
    public init() {}

    /// The base URL joined with `path`.
    public func url(_ path: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + path
    }
}

/// The tollama model runtime: answers from the response cache what it can, sends the rest as
/// batched requests, concurrently over kept-alive connections, retries what can succeed on
/// retry, falls back to `/v1/forecast` after the framework's plain 404, and keeps the circuit
/// breaker and the baseline-only mode's history. Every failure comes back as an outcome with a
/// reason code; nothing here throws for the daemon's trouble.
public final class TollamaRuntime: ModelRuntime {
    public let config: TollamaConfig
    let logger: Logger
    let transport: HTTPTransport
    let breaker: BreakerStore
    let history: FallbackHistoryStore
    let cache: ResponseCache
    var rng: SplitMix64
    let wallClockMs: () -> Int64
    /// Set once `/api/forecast` answered a plain 404: the rest of the run uses `/v1/forecast`.
    public internal(set) var usesV1 = false
    /// Breaker state for runs without a state dir.
    var memoryBreaker = BreakerState()
    /// Decided once, at the run's first call: is the run baseline-only?
    var baselineOnly: Bool?
    /// Model-bound requests and their fallbacks not yet added to the history.
    var unrecorded = (requests: 0, fallbacks: 0)
    var lastRecordMs: Int64 = 0
    /// For the run's warnings: calls seen, their fallback reasons, and whether (and after how
    /// many calls) the first warning went out.
    var runCalls = 0
    var runReasons: [String: Int] = [:]
    var warned = false
    var warnedAt = 0
    /// Models already reported as not installed (once per run each).
    var modelsReportedMissing: Set<String> = []

    public init(config: TollamaConfig, logger: Logger, seed: UInt64 = UInt64(truncatingIfNeeded: Timestamp.now().millis) ^ UInt64(getpid()),
                wallClockMs: @escaping () -> Int64 = { Timestamp.now().millis }) {
        self.config = config
        self.logger = logger
        transport = HTTPTransport(maxInFlight: config.concurrency)
        breaker = BreakerStore(directory: config.stateDir)
        history = FallbackHistoryStore(directory: config.stateDir)
        cache = ResponseCache(stateDir: config.stateDir, ttlSeconds: config.cacheTTL, scope: config.url(""))
        rng = SplitMix64(seed: seed)
        self.wallClockMs = wallClockMs
        lastRecordMs = wallClockMs()
    }

    /// Four rounds of requests per chunk, so the transport keeps every slot busy while a slow
    /// answer is still out (the scheduler stops sending once the breaker would open).
    public var chunkSize: Int { max(1, 4 * config.concurrency * config.batchSize) }
    public var defaultModelName: String { config.model }

    func breakerState() -> BreakerState { config.stateDir == nil ? memoryBreaker : breaker.load() }

    public func forecast(_ calls: [ModelCall]) -> [ModelOutcome] {
        guard !calls.isEmpty else { return [] }
        let now = wallClockMs()
        var outcomes = [ModelOutcome?](repeating: nil, count: calls.count)
        var pending: [Int] = []
        // One key per call (nil with the cache off), for the lookup and for storing the answer.
        let keys = calls.map(cache.key(for:))
        for (i, call) in calls.enumerated() {
            if let key = keys[i], let hit = cache.lookup(call, key: key, nowMs: now) { outcomes[i] = .success(hit) } else { pending.append(i) }
        }
        if !pending.isEmpty && isBaselineOnly(nowMs: now) {
            for i in pending {
                outcomes[i] = .failure(.baselineOnlyMode, detail: "recent runs mostly fell back; baseline-only until a health probe succeeds")
            }
            return outcomes.map { $0! }
        }
        let sent = pending.map { calls[$0] }
        for (i, outcome) in zip(pending, callDaemon(sent)) {
            outcomes[i] = outcome
            if case .success(let forecast) = outcome, let key = keys[i] {
                do { try cache.store(forecast, key: key, nowMs: now) } catch {
                    logger.info("cannot store an answer in the cache", [("error", .string("\(error)"))])
                }
            }
        }
        let final = outcomes.map { $0! }
        var reasons: [String: Int] = [:]
        for case .failure(let reason, _) in final { reasons[reason.rawValue, default: 0] += 1 }
        unrecorded.requests += calls.count
        unrecorded.fallbacks += reasons.values.reduce(0, +)
        if now - lastRecordMs >= 60_000 { recordHistory(nowMs: now) }
        runCalls += calls.count
        for (reason, n) in reasons { runReasons[reason, default: 0] += n }
        if !reasons.isEmpty && !warned {
            // Once at the first trouble, and once more at the end if there was more.
            warned = true
            warnedAt = runCalls
            warnFallbacks(reasons, of: calls.count, "tollama could not serve some requests; they fall back to a baseline")
        }
        return final
    }

    public func finish() {
        recordHistory(nowMs: wallClockMs())
        if warned && runCalls > warnedAt {
            warnFallbacks(runReasons, of: runCalls, "in all, tollama could not serve these requests of the run")
        }
    }

    func warnFallbacks(_ reasons: [String: Int], of total: Int, _ message: String) {
        logger.warning(message, [
            ("failed", .int(reasons.values.reduce(0, +))), ("of", .int(total)), ("url", .string(config.baseURL)),
            ("reasons", .object(JSONObject(reasons.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))),
        ])
    }

    /// Sends calls to the daemon under the circuit breaker: nothing while it is open; when the
    /// cool-down is over, one trial request first, and the rest only if it succeeds.
    func callDaemon(_ calls: [ModelCall]) -> [ModelOutcome] {
        guard !calls.isEmpty else { return [] }
        let state = breakerState()
        let open: (BreakerState) -> ModelOutcome = {
            .failure(.circuitOpen, detail: "the circuit breaker is open after \($0.consecutiveFailures) consecutive failures")
        }
        var batches = batches(calls)
        var outcomes = [ModelOutcome?](repeating: nil, count: calls.count)
        switch state.phase(nowMs: wallClockMs(), cooldownSeconds: config.breakerCooldown) {
        case "open":
            return calls.map { _ in open(state) }
        case "half_open":
            guard claimTrial() else { return calls.map { _ in open(state) } }
            let trial = batches.removeFirst()
            let (results, healthy) = send(calls, [trial], isTrial: true)
            for i in trial { outcomes[i] = results[i] }
            guard healthy else {
                logger.info("the circuit breaker's trial call failed; it stays open")
                let now = breakerState()
                return outcomes.map { $0 ?? open(now) }
            }
            logger.info("the circuit breaker's trial call succeeded; it is closed again")
        default:
            break
        }
        if !batches.isEmpty {
            for (i, outcome) in send(calls, batches).outcomes.enumerated() where outcome != nil { outcomes[i] = outcome }
        }
        return outcomes.map { $0 ?? .failure(.tollamaInvalidResponse, detail: "no answer") }
    }

    /// Runs the given batches of `calls` through the transport and records each request's
    /// outcome in the breaker. The result has an outcome at the index of every call sent, and
    /// whether the daemon looked healthy (no request failed for its sake). A trial that only got
    /// 4xx answers still shows the daemon up, so it closes the breaker.
    func send(_ calls: [ModelCall], _ batches: [[Int]], isTrial: Bool = false) -> (outcomes: [ModelOutcome?], healthy: Bool) {
        let scheduler = BatchScheduler(runtime: self, calls: calls, batches: batches,
                                       consecutiveFailures: isTrial ? 0 : breakerState().consecutiveFailures)
        transport.run(scheduler)
        let healthy = !scheduler.callResults.contains(false)
        let results = isTrial && healthy && scheduler.callResults.isEmpty ? [true] : scheduler.callResults
        let record: (inout BreakerState) -> Void = { state in
            if isTrial { state.trialStartedMs = nil }
            for success in results {
                state.record(success: success, nowMs: self.wallClockMs(), threshold: self.config.breakerFailures)
            }
        }
        if config.stateDir == nil {
            record(&memoryBreaker)
        } else {
            do { try breaker.update(record) } catch { logger.warning("cannot update the breaker state", [("error", .string("\(error)"))]) }
        }
        return (scheduler.outcomes, healthy)
    }

    /// Under the state dir's lock: is this run the one to send the half-open trial? Another
    /// run's claim counts while it can still be waiting for its answer.
    func claimTrial() -> Bool {
        guard config.stateDir != nil else { return true }
        let now = wallClockMs()
        let patience = Int64((config.timeout * Double(config.retries + 1) + config.backoff + config.jitter) * 1000) + 1000
        do {
            return try breaker.update { state -> Bool in
                if let claimed = state.trialStartedMs, now >= claimed, now - claimed < patience { return false }
                state.trialStartedMs = now
                return true
            } ?? true
        } catch {
            logger.warning("cannot update the breaker state", [("error", .string("\(error)"))])
            return true
        }
    }

    /// Whether this run goes baseline-only, decided at its first call: the mode is on and
    /// either its cool-down is not over or the health probe fails.
    func isBaselineOnly(nowMs: Int64) -> Bool {
        if let decided = baselineOnly { return decided }
        let state = history.load()
        var decided = state.baselineOnlySinceMs != nil
        if decided && state.probeDue(nowMs: nowMs, cooldownSeconds: config.breakerCooldown) {
            let healthy = probeHealth()
            do {
                try history.update { h in
                    // Another run may have changed the mode meanwhile; act only on the one probed.
                    guard h.baselineOnlySinceMs == state.baselineOnlySinceMs else { return }
                    if healthy { h.leave() } else { h.lastProbeMs = nowMs }
                }
            } catch {
                logger.warning("cannot update the fallback history", [("error", .string("\(error)"))])
            }
            if healthy {
                logger.info("tollama's health probe succeeded; leaving baseline-only mode")
                decided = false
            }
        }
        if decided {
            logger.warning("baseline-only mode: recent runs mostly fell back, so this run does not call tollama", [
                ("until", .string("a health probe succeeds, at most every \(config.breakerCooldown)s")),
                ("state_dir", .string(config.stateDir ?? "")),
            ])
        }
        baselineOnly = decided
        return decided
    }

    /// GET /v1/health, else /api/version: does the daemon answer 200?
    func probeHealth() -> Bool {
        for path in ["/v1/health", "/api/version"] {
            if case .response(200, _)? = transport.get(config.url(path), token: config.token, timeout: config.timeout) { return true }
        }
        return false
    }

    /// Adds this run's counts to the history in the state dir (which may turn baseline-only mode on).
    func recordHistory(nowMs: Int64) {
        lastRecordMs = nowMs
        guard unrecorded.requests > 0 else { return }
        let counts = unrecorded
        unrecorded = (0, 0)
        do {
            let turnedOn = try history.update { h in
                h.record(requests: counts.requests, fallbacks: counts.fallbacks, nowMs: nowMs,
                         windowMs: Int64(config.baselineOnlyWindow * 1000), share: config.baselineOnlyShare,
                         minRequests: config.baselineOnlyMinRequests)
            }
            if turnedOn == true {
                logger.warning("most recent requests fell back: later runs go baseline-only until tollama's health probe succeeds", [
                    ("share_above", .double(config.baselineOnlyShare)), ("window_s", .double(config.baselineOnlyWindow)),
                    ("probe_after_s", .double(config.breakerCooldown)),
                ])
            }
        } catch {
            logger.warning("cannot update the fallback history", [("error", .string("\(error)"))])
        }
    }

    /// Groups calls that can share a request (same model, horizon, levels, options; distinct ids), at most
    /// `batchSize` each, keeping input order within a batch.
    func batches(_ calls: [ModelCall]) -> [[Int]] {
        var out: [[Int]] = []
        var open: [String: Int] = [:]
        for (i, call) in calls.enumerated() {
            let r = call.request
            let key = "\(call.modelName)|\(r.horizonSteps)|\(r.quantiles)|\(call.optionsJSON)"
            if let b = open[key], out[b].count < config.batchSize,
               !out[b].contains(where: { calls[$0].request.marketId == r.marketId }) {
                out[b].append(i)
            } else {
                open[key] = out.count
                out.append([i])
            }
        }
        return out
    }

    func jitteredBackoff() -> Double { config.backoff + config.jitter * rng.uniform() }

    func headers(requestId: String) -> [String] {
        // "Expect:" (empty) stops libcurl from waiting for a 100 Continue before large bodies.
        var h = ["Content-Type: application/json", "Accept: application/json, application/x-ndjson", "x-request-id: \(requestId)", "Expect:"]
        if let token = config.token, !token.isEmpty { h.append("Authorization: Bearer \(token)") }
        return h
    }
}

/// Runs one chunk's requests through the transport: endpoint fallback, retries with backoff.
final class BatchScheduler: ExchangeScheduler {
    struct Item {
        var calls: [Int]
        var attempts = 0
        var readyAt = 0.0
        var startedAt = 0.0
        var inFlight = false
        var done = false
        var usedV1 = false
    }

    let runtime: TollamaRuntime
    let calls: [ModelCall]
    var items: [Item]
    var outcomes: [ModelOutcome?]
    /// One entry per finished request that says something about the daemon's health: did it
    /// succeed? (Requests refused for our own mistakes, a 4xx, are not counted.)
    var callResults: [Bool] = []
    /// Failed requests in a row, counting from the breaker's state: at the threshold nothing
    /// more is sent and what waits falls back with `circuit_open`.
    var consecutiveFailures: Int

    init(runtime: TollamaRuntime, calls: [ModelCall], batches: [[Int]], consecutiveFailures: Int = 0) {
        self.runtime = runtime
        self.calls = calls
        self.consecutiveFailures = consecutiveFailures
        items = batches.map { Item(calls: $0) }
        outcomes = Array(repeating: nil, count: calls.count)
    }

    var isFinished: Bool { items.allSatisfy(\.done) }

    func nextReady(now: Double) -> (token: Int, request: HTTPRequest)? {
        if consecutiveFailures >= runtime.config.breakerFailures { openCircuit() }
        guard let i = items.firstIndex(where: { !$0.done && !$0.inFlight && $0.readyAt <= now }) else { return nil }
        let batch = items[i].calls.map { calls[$0] }
        let v1 = runtime.usesV1
        guard let body = try? TollamaWire.body(model: batch[0].modelName, calls: batch, streamField: !v1) else {
            finish(i, .failure(.tollamaInvalidResponse, detail: "the request could not be encoded"), success: nil)
            return nextReady(now: now)
        }
        items[i].inFlight = true
        items[i].startedAt = now
        items[i].usedV1 = v1
        let request = HTTPRequest(method: "POST", url: runtime.config.url(v1 ? "/v1/forecast" : "/api/forecast"),
                                  headers: runtime.headers(requestId: batch[0].requestId), body: body, timeout: runtime.config.timeout)
        return (i, request)
    }

    func nextWakeup() -> Double? {
        items.filter { !$0.done && !$0.inFlight }.map(\.readyAt).min()
    }

    /// `success` nil: the outcome says nothing about the daemon's health.
    func finish(_ i: Int, _ outcome: ModelOutcome, success: Bool?) {
        for c in items[i].calls { outcomes[c] = outcome }
        items[i].done = true
        items[i].inFlight = false
        guard let success else { return }
        callResults.append(success)
        consecutiveFailures = success ? 0 : consecutiveFailures + 1
    }

    /// The breaker opened during this chunk: whatever is not on the wire falls back now.
    func openCircuit() {
        for i in items.indices where !items[i].done && !items[i].inFlight {
            for c in items[i].calls {
                outcomes[c] = .failure(.circuitOpen, detail: "the circuit breaker opened after \(consecutiveFailures) consecutive failures")
            }
            items[i].done = true
        }
    }

    func retryOrFail(_ i: Int, now: Double, reason: FallbackReason, detail: String) {
        if items[i].attempts < runtime.config.retries {
            items[i].attempts += 1
            items[i].inFlight = false
            items[i].readyAt = now + runtime.jitteredBackoff()
            runtime.logger.info("retrying a tollama call", [("reason", .string(reason.rawValue)), ("detail", .string(detail))])
        } else {
            runtime.logger.info("tollama call failed", [("reason", .string(reason.rawValue)), ("detail", .string(detail))])
            finish(i, .failure(reason, detail: detail), success: false)
        }
    }

    func complete(token i: Int, result: HTTPResult, now: Double) {
        switch result {
        case .failure(let failure):
            switch failure.kind {
            case .timeout: retryOrFail(i, now: now, reason: .tollamaTimeout, detail: failure.message)
            case .connect: retryOrFail(i, now: now, reason: .tollamaUnreachable, detail: failure.message)
            // A connection dropped mid-answer may have run the forecast already; a bad URL or
            // an oversized answer will not change: neither is retried.
            case .dropped: finish(i, .failure(.tollamaUnreachable, detail: failure.message), success: false)
            case .other: finish(i, .failure(.tollamaUnreachable, detail: failure.message), success: nil)
            }
        case .response(let status, let body):
            switch status {
            case 200:
                let batch = items[i].calls.map { calls[$0] }
                let results = TollamaWire.outcomes(body, calls: batch, latencyMs: (now - items[i].startedAt) * 1000)
                for (c, outcome) in zip(items[i].calls, results) { outcomes[c] = outcome }
                items[i].done = true
                items[i].inFlight = false
                let anySuccess = results.contains { if case .success = $0 { return true } else { return false } }
                callResults.append(anySuccess)
                consecutiveFailures = anySuccess ? 0 : consecutiveFailures + 1
                if !anySuccess { runtime.logger.info("tollama answer unusable", [("detail", .string(describe(results.first)))]) }
            case 404:
                let detail = TollamaWire.detail(body)
                if detail == "Not Found" && !items[i].usedV1 {
                    runtime.usesV1 = true
                    items[i].inFlight = false
                    items[i].readyAt = now
                    runtime.logger.info("/api/forecast is missing; using /v1/forecast for the rest of the run")
                } else if detail.contains("not installed") {
                    let model = calls[items[i].calls[0]].modelName
                    if runtime.modelsReportedMissing.insert(model).inserted {
                        runtime.logger.warning("model not installed", [("model", .string(model)), ("hint", .string("run `tollama pull \(model)`"))])
                    }
                    finish(i, .failure(.modelNotInstalled, detail: "\(detail); run `tollama pull \(model)`"), success: nil)
                } else {
                    finish(i, .failure(.tollamaHTTP(404), detail: detail), success: nil)
                }
            case 409, 429, 500, 502, 503:
                retryOrFail(i, now: now + (status == 429 ? 1 : 0), reason: .tollamaHTTP(status), detail: TollamaWire.detail(body))
            default:
                let detail = TollamaWire.detail(body)
                runtime.logger.info("tollama refused the call", [("status", .int(status)), ("detail", .string(detail))])
                // A 4xx is our request or our credentials, not the daemon's health: the breaker
                // does not count it (a 5xx outside the retry list does).
                finish(i, .failure(.tollamaHTTP(status), detail: detail), success: status >= 500 ? false : nil)
            }
        }
    }

    func describe(_ outcome: ModelOutcome?) -> String {
        if case .failure(_, let detail)? = outcome { return detail }
        return ""
    }
}

