import ArgumentParser

/// `tsfm-forecast health`: the daemon's version, health, installed models and our breaker
/// state, as one JSON object; exit 69 when the daemon cannot be reached.
public struct HealthCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Print the tollama daemon's version, health, installed models and tsfm's breaker state.",
        discussion: """
            Asks GET /api/version, /v1/health and /api/tags, and reads the state
            of the circuit breaker and of baseline-only mode (--state-dir). Exit 0
            when the daemon answers, 69 when it cannot be reached. The token
            (TOLLAMA_API_KEY) is sent when set, never printed.

            Example:
              tsfm-forecast health --tollama-url http://127.0.0.1:11435 | jq .
            """
    )

    @OptionGroup public var tollama: TollamaOptions

    public init() {}

    public func run() throws {
        let config = tollama.config()
        let transport = HTTPTransport(maxInFlight: 1)
        func get(_ path: String) -> (status: Int, body: JSONValue?)? {
            guard case .response(let status, let body)? = transport.get(config.url(path), token: config.token, timeout: config.timeout) else { return nil }
            return (status, try? JSONValue.parse(String(decoding: body, as: UTF8.self)))
        }
        let version = get("/api/version")
        let health = get("/v1/health")
        let tags = get("/api/tags")
        let state = BreakerStore(directory: config.stateDir).load()
        let history = FallbackHistoryStore(directory: config.stateDir).load()
        let now = Timestamp.now().millis
        var out = JSONObject()
        out["url"] = .string(config.url(""))
        out["reachable"] = .bool(version != nil || health != nil)
        out["version"] = version.flatMap { $0.status == 200 ? $0.body?.object?["version"] : .string("http \($0.status)") } ?? .null
        out["health"] = health.flatMap { $0.status == 200 ? $0.body?.object?["status"] : .string("http \($0.status)") } ?? .null
        let models = tags?.body?.object?["models"]?.array?.compactMap { $0.object?["name"] ?? $0.object?["model"] } ?? []
        out["models"] = tags == nil ? .null : .array(models)
        var breaker = state.object
        breaker["state"] = .string(state.phase(nowMs: now, cooldownSeconds: config.breakerCooldown))
        out["breaker"] = .object(breaker)
        let recent = history.totals(nowMs: now, windowMs: Int64(config.baselineOnlyWindow * 1000))
        out["baseline_only_mode"] = .object(JSONObject([
            ("state", .string(history.phase(nowMs: now, cooldownSeconds: config.breakerCooldown))),
            ("since_ms", history.baselineOnlySinceMs.map { .int(Int($0)) } ?? .null),
            ("recent_requests", .int(recent.requests)), ("recent_fallbacks", .int(recent.fallbacks)),
        ]))
        out["state_dir"] = config.stateDir.map(JSONValue.string) ?? .null
        print(try JSONValue.object(out).jsonText())
        if version == nil && health == nil { throw ExitCode(ExitStatus.unavailable.rawValue) }
    }
}
