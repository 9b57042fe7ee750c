import ArgumentParser

/// `tsfm-forecast health`: the daemon's version, health, installed models and our breaker
/// state, as one JSON object; exit 69 when the daemon cannot be reached.
public struct HealthCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Print the tollama daemon's version, health, installed models and breaker state.",
        discussion: """
            Asks GET /api/version, /v1/health and /api/tags, and reads the circuit
            breaker's state file. Exit 0 when the daemon answers, 69 when it cannot be
            reached. The token (TOLLAMA_API_KEY) is sent when set, never printed.

            Example:
              tsfm-forecast health --tollama-url http://127.0.0.1:11435 | jq .
            """
    )

    @OptionGroup public var tollama: TollamaOptions

    public init() {}

    public func run() throws {
        let config = tollama.config()
        let transport = HTTPTransport(maxInFlight: 1)
        var base = config.baseURL
        while base.hasSuffix("/") { base.removeLast() }
        func get(_ path: String) -> (status: Int, body: JSONValue?)? {
            var headers = ["Accept: application/json"]
            if let token = config.token { headers.append("Authorization: Bearer \(token)") }
            let one = SingleRequest(HTTPRequest(method: "GET", url: base + path, headers: headers, body: nil, timeout: config.timeout))
            transport.run(one)
            guard case .response(let status, let body)? = one.result else { return nil }
            return (status, try? JSONValue.parse(String(decoding: body, as: UTF8.self)))
        }
        let version = get("/api/version")
        let health = get("/v1/health")
        let tags = get("/api/tags")
        let state = BreakerStore(directory: config.stateDir).load()
        var out = JSONObject()
        out["url"] = .string(base)
        out["reachable"] = .bool(version != nil || health != nil)
        out["version"] = version.flatMap { $0.status == 200 ? $0.body?.object?["version"] : .string("http \($0.status)") } ?? .null
        out["health"] = health.flatMap { $0.status == 200 ? $0.body?.object?["status"] : .string("http \($0.status)") } ?? .null
        let models = tags?.body?.object?["models"]?.array?.compactMap { $0.object?["name"] ?? $0.object?["model"] } ?? []
        out["models"] = tags == nil ? .null : .array(models)
        var breaker = state.json.object ?? JSONObject()
        breaker["state"] = .string(state.phase(nowMs: Timestamp.now().millis, cooldownSeconds: config.breakerCooldown))
        out["breaker"] = .object(breaker)
        print(try JSONValue.object(out).jsonText())
        if version == nil && health == nil { throw ExitCode(ExitStatus.unavailable.rawValue) }
    }
}

/// One request through the transport.
final class SingleRequest: ExchangeScheduler {
    let request: HTTPRequest
    var started = false
    var result: HTTPResult?

    init(_ request: HTTPRequest) { self.request = request }

    func nextReady(now: Double) -> (token: Int, request: HTTPRequest)? {
        guard !started else { return nil }
        started = true
        return (0, request)
    }

    func nextWakeup() -> Double? { nil }
    func complete(token: Int, result: HTTPResult, now: Double) { self.result = result }
    var isFinished: Bool { result != nil }
}
