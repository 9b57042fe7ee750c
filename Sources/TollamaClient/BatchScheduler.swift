import TSFMCore

/// Runs one chunk's requests through the transport: as many in flight as the runtime's
/// `ConcurrencyLimit` allows, endpoint fallback, retries with backoff, and the sorting of
/// refusals into the daemon's trouble (counted by the breaker) and configuration problems
/// (reported once, never counted).
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
    /// Calls refused for a configuration problem (by index into `calls`).
    var configFailed = Set<Int>()
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
    var inFlightLimit: Int { runtime.limit.current }

    func nextReady(now: Double) -> (token: Int, request: HTTPRequest)? {
        if consecutiveFailures >= runtime.config.breakerFailures { openCircuit() }
        while let i = items.firstIndex(where: { !$0.done && !$0.inFlight && $0.readyAt <= now }) {
            let batch = items[i].calls.map { calls[$0] }
            // A configuration problem met meanwhile stops the calls it concerns.
            if let problem = runtime.configProblems.first(where: { $0.blocks(model: batch[0].modelName) }) {
                refuse(i, problem)
                continue
            }
            let v1 = runtime.usesV1
            guard let body = try? TollamaWire.body(model: batch[0].modelName, calls: batch, streamField: !v1) else {
                finish(i, .failure(.tollamaInvalidResponse, detail: "the request could not be encoded"), success: nil)
                continue
            }
            items[i].inFlight = true
            items[i].startedAt = now
            items[i].usedV1 = v1
            let request = HTTPRequest(method: "POST", url: runtime.config.url(v1 ? "/v1/forecast" : "/api/forecast"),
                                      headers: runtime.headers(requestId: batch[0].requestId), body: body,
                                      timeout: runtime.config.callTimeout(series: batch.count))
            return (i, request)
        }
        return nil
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

    /// A configuration problem refused item `i`: reported (once per run), not counted.
    func refuse(_ i: Int, _ problem: TollamaConfigProblem) {
        runtime.report(problem)
        configFailed.formUnion(items[i].calls)
        finish(i, .failure(problem.reason, detail: "\(problem.detail); \(problem.hint)"), success: nil)
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
            runtime.config.metrics?.add("tsfm_tollama_call_errors_total", [("reason", reason.rawValue)])
            runtime.config.metrics?.add("tsfm_tollama_retries_total")
            items[i].attempts += 1
            items[i].inFlight = false
            items[i].readyAt = now + runtime.jitteredBackoff()
            runtime.logger.info("retrying a tollama call", [("reason", .string(reason.rawValue)), ("detail", .string(detail))])
        } else {
            fail(i, reason: reason, detail: detail, success: false)
        }
    }

    /// Every failed call is logged at info, whatever happens next.
    func fail(_ i: Int, reason: FallbackReason, detail: String, success: Bool?) {
        runtime.config.metrics?.add("tsfm_tollama_call_errors_total", [("reason", reason.rawValue)])
        runtime.logger.info("tollama call failed", [("reason", .string(reason.rawValue)), ("detail", .string(detail)),
                                                    ("series", .int(items[i].calls.count))])
        finish(i, .failure(reason, detail: detail), success: success)
    }

    /// The `detail` of an error body, with the token redacted.
    func detail(_ body: [UInt8]) -> String { runtime.config.redact(TollamaWire.detail(body)) }

    func complete(token i: Int, result: HTTPResult, now: Double) {
        countCall(i, result: result, now: now)
        switch result {
        case .failure(let failure):
            switch failure.kind {
            case .timeout:
                runtime.limit.overloaded(startedAt: items[i].startedAt, now: now)
                retryOrFail(i, now: now, reason: .tollamaTimeout, detail: failure.message)
            case .connect: retryOrFail(i, now: now, reason: .tollamaUnreachable, detail: failure.message)
            // A connection dropped mid-answer may have run the forecast already; a bad URL or
            // an oversized answer will not change: neither is retried.
            case .dropped: fail(i, reason: .tollamaUnreachable, detail: failure.message, success: false)
            case .other: fail(i, reason: .tollamaUnreachable, detail: failure.message, success: nil)
            }
        case .response(let status, let body):
            switch status {
            case 200:
                runtime.limit.succeeded(latency: now - items[i].startedAt)
                let batch = items[i].calls.map { calls[$0] }
                let results = TollamaWire.outcomes(body, calls: batch, latencyMs: (now - items[i].startedAt) * 1000)
                for (c, outcome) in zip(items[i].calls, results) { outcomes[c] = outcome }
                items[i].done = true
                items[i].inFlight = false
                let anySuccess = results.contains { if case .success = $0 { return true } else { return false } }
                if !anySuccess {
                    runtime.config.metrics?.add("tsfm_tollama_call_errors_total", [("reason", FallbackReason.tollamaInvalidResponse.rawValue)])
                }
                callResults.append(anySuccess)
                consecutiveFailures = anySuccess ? 0 : consecutiveFailures + 1
                if !anySuccess { runtime.logger.info("tollama answer unusable", [("detail", .string(describe(results.first)))]) }
            case 401, 403:
                runtime.config.metrics?.add("tsfm_tollama_call_errors_total", [("reason", FallbackReason.tollamaHTTP(status).rawValue)])
                refuse(i, .auth(status: status, detail: detail(body), tokenSet: runtime.config.token != nil))
            case 404:
                let detail = detail(body)
                if detail == "Not Found" && !items[i].usedV1 {
                    runtime.usesV1 = true
                    items[i].inFlight = false
                    items[i].readyAt = now
                    runtime.logger.info("/api/forecast is missing; using /v1/forecast for the rest of the run")
                } else if detail.contains("not installed") {
                    runtime.config.metrics?.add("tsfm_tollama_call_errors_total", [("reason", FallbackReason.modelNotInstalled.rawValue)])
                    refuse(i, .modelNotInstalled(calls[items[i].calls[0]].modelName, detail: detail))
                } else {
                    fail(i, reason: .tollamaHTTP(404), detail: detail, success: nil)
                }
            case 409 where TollamaConfigProblem.isLicenseRefusal(TollamaWire.detail(body)):
                runtime.config.metrics?.add("tsfm_tollama_call_errors_total", [("reason", FallbackReason.tollamaHTTP(409).rawValue)])
                refuse(i, .licenseNotAccepted(calls[items[i].calls[0]].modelName, detail: detail(body)))
            case 429, 503:
                runtime.limit.overloaded(startedAt: items[i].startedAt, now: now)
                retryOrFail(i, now: now + (status == 429 ? 1 : 0), reason: .tollamaHTTP(status), detail: detail(body))
            case 409, 500, 502:
                retryOrFail(i, now: now, reason: .tollamaHTTP(status), detail: detail(body))
            default:
                // A 4xx is our request, not the daemon's health: the breaker does not count it
                // (a 5xx outside the retry list does).
                fail(i, reason: .tollamaHTTP(status), detail: detail(body), success: status >= 500 ? false : nil)
            }
        }
    }

    /// Counts a finished call and observes its duration: every answer or failure except the
    /// plain 404 that switches the run to `/v1/forecast` (the repeat is the call).
    func countCall(_ i: Int, result: HTTPResult, now: Double) {
        guard let metrics = runtime.config.metrics else { return }
        if case .response(404, let body) = result, !items[i].usedV1, detail(body) == "Not Found" { return }
        metrics.add("tsfm_tollama_calls_total")
        metrics.add("tsfm_tollama_series_sent_total", [], items[i].calls.count)
        metrics.observe("tsfm_tollama_call_duration_seconds", seconds: now - items[i].startedAt)
    }

    func describe(_ outcome: ModelOutcome?) -> String {
        if case .failure(_, let detail)? = outcome { return detail }
        return ""
    }
}
