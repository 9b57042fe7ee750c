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
    /// From `TOLLAMA_API_KEY` only; never logged, never in an error or a record.
    public var token: String?
    public init() {}
}

/// The tollama model runtime: sends a chunk of calls as batched requests, concurrently over
/// kept-alive connections, retries what can succeed on retry, falls back to `/v1/forecast` after
/// the framework's plain 404, and keeps the circuit breaker. Every failure comes back as an
/// outcome with a reason code; nothing here throws for the daemon's trouble.
public final class TollamaRuntime: ModelRuntime {
    public let config: TollamaConfig
    let logger: Logger
    let transport: HTTPTransport
    let breaker: BreakerStore
    var rng: SplitMix64
    let wallClockMs: () -> Int64
    /// Set once `/api/forecast` answered a plain 404: the rest of the run uses `/v1/forecast`.
    public internal(set) var usesV1 = false
    /// Breaker state for runs without a state dir.
    var memoryBreaker = BreakerState()

    public init(config: TollamaConfig, logger: Logger, seed: UInt64 = UInt64(truncatingIfNeeded: Timestamp.now().millis) ^ UInt64(getpid()),
                wallClockMs: @escaping () -> Int64 = { Timestamp.now().millis }) {
        self.config = config
        self.logger = logger
        transport = HTTPTransport(maxInFlight: config.concurrency)
        breaker = BreakerStore(directory: config.stateDir)
        rng = SplitMix64(seed: seed)
        self.wallClockMs = wallClockMs
    }

    public var chunkSize: Int { max(1, config.concurrency * config.batchSize) }
    public var defaultModelName: String { config.model }

    func breakerState() -> BreakerState { config.stateDir == nil ? memoryBreaker : breaker.load() }

    public func forecast(_ calls: [ModelCall]) -> [ModelOutcome] {
        guard !calls.isEmpty else { return [] }
        let now = wallClockMs()
        let state = breakerState()
        if state.phase(nowMs: now, cooldownSeconds: config.breakerCooldown) == "open" {
            return calls.map { _ in .failure(.circuitOpen, detail: "the circuit breaker is open after \(state.consecutiveFailures) failures") }
        }
        let scheduler = BatchScheduler(runtime: self, calls: calls, batches: batches(calls))
        transport.run(scheduler)
        // Breaker: each request's outcome, in completion order.
        let record: (inout BreakerState) -> Void = { state in
            for success in scheduler.callResults {
                state.record(success: success, nowMs: self.wallClockMs(), threshold: self.config.breakerFailures)
            }
        }
        if config.stateDir == nil {
            record(&memoryBreaker)
        } else {
            do { try breaker.update(record) } catch { logger.warning("cannot update the breaker state", [("error", .string("\(error)"))]) }
        }
        let outcomes = scheduler.outcomes.map { $0 ?? .failure(.tollamaInvalidResponse, detail: "no answer") }
        var reasons: [String: Int] = [:]
        for case .failure(let reason, _) in outcomes { reasons[reason.rawValue, default: 0] += 1 }
        if !reasons.isEmpty {
            logger.warning("tollama could not serve some requests; they fall back to a baseline", [
                ("failed", .int(reasons.values.reduce(0, +))), ("of", .int(calls.count)), ("url", .string(config.baseURL)),
                ("reasons", .object(JSONObject(reasons.sorted { $0.key < $1.key }.map { ($0.key, .int($0.value)) }))),
            ])
        }
        return outcomes
    }

    /// Groups calls that can share a request (same model, horizon, levels; distinct ids), at most
    /// `batchSize` each, keeping input order within a batch.
    func batches(_ calls: [ModelCall]) -> [[Int]] {
        var out: [[Int]] = []
        var open: [String: Int] = [:]
        for (i, call) in calls.enumerated() {
            let r = call.request
            let key = "\(call.modelName)|\(r.horizonSteps)|\(r.quantiles)"
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

    func url(_ path: String) -> String {
        var base = config.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + path
    }

    func jitteredBackoff() -> Double { config.backoff + config.jitter * rng.uniform() }

    func headers(requestId: String) -> [String] {
        var h = ["Content-Type: application/json", "Accept: application/json, application/x-ndjson", "x-request-id: \(requestId)"]
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
    /// One entry per finished request: did it succeed (for the breaker)?
    var callResults: [Bool] = []

    init(runtime: TollamaRuntime, calls: [ModelCall], batches: [[Int]]) {
        self.runtime = runtime
        self.calls = calls
        items = batches.map { Item(calls: $0) }
        outcomes = Array(repeating: nil, count: calls.count)
    }

    var isFinished: Bool { items.allSatisfy(\.done) }

    func nextReady(now: Double) -> (token: Int, request: HTTPRequest)? {
        guard let i = items.firstIndex(where: { !$0.done && !$0.inFlight && $0.readyAt <= now }) else { return nil }
        let batch = items[i].calls.map { calls[$0] }
        let v1 = runtime.usesV1
        guard let body = try? TollamaWire.body(model: batch[0].modelName, calls: batch, streamField: !v1) else {
            finish(i, .failure(.tollamaInvalidResponse, detail: "the request could not be encoded"), success: false)
            return nextReady(now: now)
        }
        items[i].inFlight = true
        items[i].startedAt = now
        items[i].usedV1 = v1
        let request = HTTPRequest(method: "POST", url: runtime.url(v1 ? "/v1/forecast" : "/api/forecast"),
                                  headers: runtime.headers(requestId: batch[0].requestId), body: body, timeout: runtime.config.timeout)
        return (i, request)
    }

    func nextWakeup() -> Double? {
        items.filter { !$0.done && !$0.inFlight }.map(\.readyAt).min()
    }

    func finish(_ i: Int, _ outcome: ModelOutcome, success: Bool) {
        for c in items[i].calls { outcomes[c] = outcome }
        items[i].done = true
        items[i].inFlight = false
        callResults.append(success)
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
            let reason: FallbackReason = failure.kind == .timeout ? .tollamaTimeout : .tollamaUnreachable
            retryOrFail(i, now: now, reason: reason, detail: failure.message)
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
                    runtime.logger.warning("model not installed", [("model", .string(model)), ("hint", .string("run `tollama pull \(model)`"))])
                    finish(i, .failure(.modelNotInstalled, detail: "\(detail); run `tollama pull \(model)`"), success: false)
                } else {
                    finish(i, .failure(.tollamaHTTP(404), detail: detail), success: false)
                }
            case 409, 429, 500, 502, 503:
                retryOrFail(i, now: now + (status == 429 ? 1 : 0), reason: .tollamaHTTP(status), detail: TollamaWire.detail(body))
            default:
                let detail = TollamaWire.detail(body)
                runtime.logger.info("tollama refused the call", [("status", .int(status)), ("detail", .string(detail))])
                finish(i, .failure(.tollamaHTTP(status), detail: detail), success: false)
            }
        }
    }

    func describe(_ outcome: ModelOutcome?) -> String {
        if case .failure(_, let detail)? = outcome { return detail }
        return ""
    }
}

