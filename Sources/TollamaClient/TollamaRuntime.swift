import TSFMCore

/// How to reach and treat the daemon (TollamaOptions builds it from flags and environment).
public struct TollamaConfig: Sendable {
    public var baseURL = "http://127.0.0.1:11435"
    public var model = "chronos2"
    /// Per call of one series, connect and transfer (seconds); see `callTimeout(series:)`.
    public var timeout = 2.0
    /// What each series beyond the first adds to a call's time limit (seconds).
    public var timeoutPerSeries = 0.05
    public var retries = 1
    public var backoff = 0.2
    public var jitter = 0.1
    public var breakerFailures = 5
    public var breakerCooldown = 120.0
    public var stateDir: String?
    /// The ceiling of calls in flight; the limit itself adapts (`ConcurrencyLimit`).
    public var concurrency = 8
    /// Series per call. 50 by measurement against tollama 0.1.0 (docs/tollama.md): 200 series
    /// in batches of 50 take a fifth of the time of batches of 10, and larger batches gain
    /// nothing more while one failed call would send more requests to a baseline.
    public var batchSize = 50
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
    /// Where calls, errors, retries and durations are counted (`--metrics-file`); nil: nowhere.
    public var metrics: RunMetrics?
    /// While in baseline-only mode, the least time between two health probes (`--probe-interval`).
    public var probeInterval = 30.0
    public init() {}

    /// The base URL joined with `path`.
    public func url(_ path: String) -> String {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + path
    }

    /// The time limit of a call carrying `series` series: `--timeout` for the first, plus
    /// `--timeout-per-series` for each other. A single-series call keeps the plan's 2 s; a batch
    /// of 50 gets 2 + 49 × 0.05 = 4.45 s, where the mock model needs about 0.1 s and a model on
    /// a CPU some tens of milliseconds per series.
    public func callTimeout(series: Int) -> Double {
        timeout + timeoutPerSeries * Double(max(0, series - 1))
    }

    /// The API key as it may be sent: refused when it holds CR, LF or NUL (the message does not
    /// show it).
    public static func token(_ value: String?) throws -> String? {
        guard let value else { return nil }
        if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
            throw ToolError(.config, "TOLLAMA_API_KEY contains a line break (CR or LF) or NUL; refusing to send it as a header")
        }
        return value
    }

    /// `text` with the token replaced by `[redacted]`: a daemon or proxy that echoes headers
    /// in an error body must not put the key into the logs.
    public func redact(_ text: String) -> String {
        guard let token, !token.isEmpty, text.contains(token) else { return text }
        return text.replacing(token, with: "[redacted]")
    }
}

/// The tollama model runtime: answers from the response cache what it can, sends the rest as
/// batched requests, concurrently over kept-alive connections (as many at once as the daemon
/// serves, up to `--concurrency`), retries what can succeed on retry, falls back to
/// `/v1/forecast` after the framework's plain 404, and keeps the circuit breaker and the
/// baseline-only mode's history of this daemon. Every failure comes back as an outcome with a
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
    /// Calls in flight: adapted over the whole run.
    public internal(set) var limit: ConcurrencyLimit
    /// Breaker state for runs without a state dir.
    var memoryBreaker = BreakerState()
    /// Decided once, at the run's first call: is the run baseline-only?
    var baselineOnly: Bool?
    /// Model-bound requests and their fallbacks not yet added to the history.
    var unrecorded = (requests: 0, fallbacks: 0)
    var lastRecordMs: Int64 = 0
    /// For the run's warnings: calls seen, their fallback reasons (the daemon's trouble only),
    /// and whether (and after how many calls) the first warning went out.
    var runCalls = 0
    var runReasons: [String: Int] = [:]
    var warned = false
    var warnedAt = 0
    /// Configuration problems met in this run, in order; each was warned about once.
    public internal(set) var configProblems: [TollamaConfigProblem] = []
    /// Installed models and their versions (the daemon's digests), asked once per run.
    var installed: [String: String]??

    public init(config: TollamaConfig, logger: Logger, seed: UInt64 = UInt64(truncatingIfNeeded: Timestamp.now().millis) ^ UInt64(System.processID),
                wallClockMs: @escaping () -> Int64 = { Timestamp.now().millis }) {
        self.config = config
        self.logger = logger
        transport = HTTPTransport(maxInFlight: config.concurrency)
        breaker = BreakerStore(directory: config.stateDir, scope: config.url(""))
        history = FallbackHistoryStore(directory: config.stateDir, scope: config.url(""))
        cache = ResponseCache(stateDir: config.stateDir, ttlSeconds: config.cacheTTL, scope: config.url(""))
        limit = ConcurrencyLimit(ceiling: config.concurrency)
        rng = SplitMix64(seed: seed)
        self.wallClockMs = wallClockMs
        lastRecordMs = wallClockMs()
    }

    /// Four rounds of batches at the ceiling per chunk, so the transport keeps every slot busy
    /// while a slow answer is still out (the scheduler stops sending once the breaker would
    /// open); at most 2,000 records (or one batch), which bounds the memory held.
    public var chunkSize: Int { max(config.batchSize, min(4 * config.concurrency * config.batchSize, 2000)) }
    public var defaultModelName: String { config.model }
    /// 78 when the run met a configuration problem.
    public var exitStatus: ExitStatus { configProblems.isEmpty ? .success : .config }

    func breakerState() -> BreakerState { config.stateDir == nil ? memoryBreaker : breaker.load() }

    public func forecast(_ calls: [ModelCall]) -> [ModelOutcome] {
        guard !calls.isEmpty else { return [] }
        let now = wallClockMs()
        var outcomes = [ModelOutcome?](repeating: nil, count: calls.count)
        var pending: [Int] = []
        // One key per call (nil with the cache off), for the lookup and for storing the answer.
        let keys = calls.map(cache.key(for:))
        for (i, call) in calls.enumerated() {
            if keys[i] != nil { config.metrics?.add("tsfm_tollama_cache_lookups_total") }
            if let key = keys[i], let hit = cache.lookup(call, key: key, nowMs: now) {
                config.metrics?.add("tsfm_tollama_cache_hits_total")
                outcomes[i] = .success(hit)
            } else {
                pending.append(i)
            }
        }
        if !pending.isEmpty && isBaselineOnly(nowMs: now) {
            for i in pending {
                outcomes[i] = .failure(.baselineOnlyMode, detail: "recent runs mostly fell back; baseline-only until a health probe succeeds")
            }
            return outcomes.map { $0! }
        }
        // Calls a known configuration problem stops are not sent again.
        var sendable: [Int] = []
        var notCounted = Set<Int>()
        for i in pending {
            if let problem = configProblems.first(where: { $0.blocks(model: calls[i].modelName) }) {
                outcomes[i] = .failure(problem.reason, detail: "\(problem.detail); \(problem.hint)")
                notCounted.insert(i)
            } else {
                sendable.append(i)
            }
        }
        let (answers, configFailed) = callDaemon(sendable.map { calls[$0] })
        for (k, outcome) in answers.enumerated() {
            let i = sendable[k]
            var outcome = outcome
            if configFailed.contains(k) { notCounted.insert(i) }
            if case .success(var forecast) = outcome {
                if forecast.modelVersion == nil { forecast.modelVersion = modelVersion(forecast.modelName) }
                outcome = .success(forecast)
                if let key = keys[i] {
                    do { try cache.store(forecast, key: key, nowMs: now) } catch {
                        logger.info("cannot store an answer in the cache", [("error", .string("\(error)"))])
                    }
                }
            }
            outcomes[i] = outcome
        }
        let final = outcomes.map { $0! }
        // Baseline-only mode and the run's warnings are about the daemon's health: requests
        // stopped by a configuration problem or an open breaker (which already says the daemon
        // is down) count neither way.
        var reasons: [String: Int] = [:]
        var counted = 0
        for (i, outcome) in final.enumerated() where !notCounted.contains(i) {
            if case .failure(let reason, _) = outcome {
                if reason == .circuitOpen { continue }
                reasons[reason.rawValue, default: 0] += 1
            }
            counted += 1
        }
        unrecorded.requests += counted
        unrecorded.fallbacks += reasons.values.reduce(0, +)
        if now - lastRecordMs >= 60_000 { recordHistory(nowMs: now) }
        runCalls += calls.count
        for case .failure(let reason, _) in final where reason == .circuitOpen { reasons[reason.rawValue, default: 0] += 1 }
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

    /// Records a configuration problem: a warning with the fix the first time, and from then on
    /// the calls it concerns are not sent.
    func report(_ problem: TollamaConfigProblem) {
        guard !configProblems.contains(where: { $0.kind == problem.kind && $0.model == problem.model }) else { return }
        configProblems.append(problem)
        logger.warning("tollama refuses the calls until its configuration is fixed; they fall back to a baseline and the run exits 78",
                       problem.fields + [("url", .string(config.baseURL))])
    }

    /// The version the daemon reports for an installed model (its digest), asked once per run.
    func modelVersion(_ model: String) -> String? {
        if installed == nil {
            if case .response(200, let body)? = transport.get(config.url("/api/tags"), token: config.token, timeout: config.timeout) {
                installed = .some(DaemonProbe.installedModels(body))
            } else {
                installed = .some(nil)
            }
        }
        guard let digest = installed??[model], !digest.isEmpty else { return nil }
        return digest
    }

    /// Sends calls to the daemon under the circuit breaker: nothing while it is open; when the
    /// cool-down is over, one trial request first, and the rest only if it succeeds. A run that
    /// finds another run's trial out waits for its outcome (bounded) instead of falling back.
    /// Returns an outcome per call and the indices of the calls a configuration problem refused.
    func callDaemon(_ calls: [ModelCall]) -> ([ModelOutcome], Set<Int>) {
        guard !calls.isEmpty else { return ([], []) }
        let open: (BreakerState) -> ModelOutcome = {
            .failure(.circuitOpen, detail: "the circuit breaker is open after \($0.consecutiveFailures) consecutive failures")
        }
        var batches = batches(calls)
        var outcomes = [ModelOutcome?](repeating: nil, count: calls.count)
        var configFailed = Set<Int>()
        var state = breakerState()
        decide: for _ in 0..<4 {
            switch state.phase(nowMs: wallClockMs(), cooldownSeconds: config.breakerCooldown) {
            case .open:
                return (calls.map { _ in open(state) }, [])
            case .halfOpen:
                guard claimTrial() else {
                    state = waitForTrial()
                    continue decide
                }
                let trial = batches.removeFirst()
                let sent = send(calls, [trial], isTrial: true)
                for i in trial { outcomes[i] = sent.outcomes[i] }
                configFailed.formUnion(sent.configFailed)
                guard sent.healthy else {
                    logger.info("the circuit breaker's trial call failed; it stays open")
                    let now = breakerState()
                    return (outcomes.map { $0 ?? open(now) }, configFailed)
                }
                logger.info("the circuit breaker's trial call succeeded; it is closed again")
                break decide
            case .closed:
                break decide
            }
        }
        if state.phase(nowMs: wallClockMs(), cooldownSeconds: config.breakerCooldown) == .open {
            return (calls.map { _ in open(state) }, [])
        }
        if !batches.isEmpty {
            let sent = send(calls, batches)
            for (i, outcome) in sent.outcomes.enumerated() where outcome != nil { outcomes[i] = outcome }
            configFailed.formUnion(sent.configFailed)
        }
        return (outcomes.map { $0 ?? .failure(.tollamaInvalidResponse, detail: "no answer") }, configFailed)
    }

    /// Runs the given batches of `calls` through the transport and records each request's
    /// outcome in the breaker. The result has an outcome at the index of every call sent,
    /// whether the daemon looked healthy (no request failed for its sake), and the calls a
    /// configuration problem refused. A trial that only got 4xx answers still shows the daemon
    /// up, so it closes the breaker.
    func send(_ calls: [ModelCall], _ batches: [[Int]], isTrial: Bool = false)
        -> (outcomes: [ModelOutcome?], healthy: Bool, configFailed: Set<Int>) {
        let scheduler = BatchScheduler(runtime: self, calls: calls, batches: batches,
                                       consecutiveFailures: isTrial ? 0 : breakerState().consecutiveFailures)
        transport.run(scheduler)
        let healthy = !scheduler.callResults.contains(false)
        let results = isTrial && healthy && scheduler.callResults.isEmpty ? [true] : scheduler.callResults
        let record: (inout BreakerState) -> Void = { state in
            if isTrial { state.trialStartedMs = nil }
            let wasOpen = state.openedAtMs != nil
            for success in results {
                state.record(success: success, nowMs: self.wallClockMs(), threshold: self.config.breakerFailures)
            }
            if !wasOpen && state.openedAtMs != nil { self.config.metrics?.add("tsfm_tollama_breaker_opens_total") }
        }
        if config.stateDir == nil {
            record(&memoryBreaker)
        } else {
            do { try breaker.update(record) } catch { logger.warning("cannot update the breaker state", [("error", .string("\(error)"))]) }
        }
        return (scheduler.outcomes, healthy, scheduler.configFailed)
    }

    /// How long a trial call can take, all tries included, plus a second of slack: a claim older
    /// than this was abandoned.
    var trialPatienceMs: Int64 {
        let call = config.callTimeout(series: config.batchSize)
        return Int64((call * Double(config.retries + 1) + Double(config.retries) * (config.backoff + config.jitter + 1)) * 1000) + 1000
    }

    /// Under the state dir's lock: is this run the one to send the half-open trial? Another
    /// run's claim counts while it can still be waiting for its answer.
    func claimTrial() -> Bool {
        guard config.stateDir != nil else { return true }
        let now = wallClockMs()
        let patience = trialPatienceMs
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

    /// Another run sends the trial: polls the breaker's file until the trial is decided (the
    /// claim is cleared) or its patience runs out, and returns the state then.
    func waitForTrial() -> BreakerState {
        logger.info("another run is sending the circuit breaker's trial call; waiting for its outcome")
        while true {
            let state = breakerState()
            guard let claimed = state.trialStartedMs, state.openedAtMs != nil else { return state }
            let now = wallClockMs()
            if now < claimed || now - claimed >= trialPatienceMs { return state }
            System.sleep(seconds: 0.05)
        }
    }

    /// Whether this run goes baseline-only, decided at its first call: the mode is on and
    /// either its cool-down is not over or the health probe finds the daemon unreachable. A
    /// probe that reaches the daemon ends the mode, even when it finds a configuration problem
    /// (the outage is over; the problem is reported and the run exits 78).
    func isBaselineOnly(nowMs: Int64) -> Bool {
        if let decided = baselineOnly { return decided }
        let state = history.load()
        var decided = state.baselineOnlySinceMs != nil
        if decided && state.probeDue(nowMs: nowMs, cooldownSeconds: config.probeInterval) {
            let probe = DaemonProbe.run(transport, config: config)
            let reached = probe.verdict != .unreachable
            if probe.installed != nil { installed = .some(probe.installed) }
            do {
                try history.update { h in
                    // Another run may have changed the mode meanwhile; act only on the one probed.
                    guard h.baselineOnlySinceMs == state.baselineOnlySinceMs else { return }
                    if reached { h.leave() } else { h.lastProbeMs = nowMs }
                }
            } catch {
                logger.warning("cannot update the fallback history", [("error", .string("\(error)"))])
            }
            if reached {
                logger.info("tollama's health probe reached the daemon; leaving baseline-only mode")
                if case .problem(let problem) = probe.verdict { report(problem) }
                decided = false
            }
        }
        if decided {
            logger.warning("baseline-only mode: recent runs mostly fell back, so this run does not call tollama", [
                ("until", .string("a health probe succeeds, at most every \(config.probeInterval)s")),
                ("state_dir", .string(config.stateDir ?? "")), ("url", .string(config.baseURL)),
            ])
        }
        baselineOnly = decided
        return decided
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
                    ("probe_after_s", .double(config.probeInterval)), ("url", .string(config.baseURL)),
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
