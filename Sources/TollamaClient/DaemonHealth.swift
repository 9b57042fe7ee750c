import TSFMCore

/// `tsfm-forecast health`: the daemon's version, health, installed models, whether the
/// configured model is among them and the key is accepted, and our breaker state for this
/// daemon, as one JSON object; exit 0 when all is well, 78 for a configuration problem (with the
/// fix on stderr), 69 when the daemon cannot be reached. (The command is in tsfm-forecast; this
/// is the check it prints.)
public struct DaemonHealth {
    /// The object printed for this daemon.
    public var report: JSONObject
    /// Whether `/api/version` or `/v1/health` answered.
    public var reachable: Bool
    /// A refusal only the user can fix (key, model, licence), when the daemon answered with one.
    public var problem: TollamaConfigProblem?

    /// 69 when unreachable, 78 for a configuration problem, else 0.
    public var status: ExitStatus {
        if !reachable { return .unavailable }
        return problem == nil ? .success : .config
    }

    /// Asks GET /api/version, /v1/health and /api/tags, probes as a run would, and reads the
    /// breaker and fallback history in the state dir. The token is sent, never reported.
    public static func check(_ config: TollamaConfig) -> DaemonHealth {
        let transport = HTTPTransport(maxInFlight: 1)
        func get(_ path: String) -> (status: Int, body: [UInt8])? {
            guard case .response(let status, let body)? = transport.get(config.url(path), token: config.token, timeout: config.timeout) else { return nil }
            return (status, body)
        }
        func field(_ answer: (status: Int, body: [UInt8])?, _ key: String) -> JSONValue {
            guard let answer else { return .null }
            guard answer.status == 200 else { return .string("http \(answer.status)") }
            let value = (try? JSONValue.parse(String(decoding: answer.body, as: UTF8.self)))?.object?[key]
            return value?.string.map { .string(config.redact($0)) } ?? value ?? .null
        }
        let version = get("/api/version")
        let health = get("/v1/health")
        let tags = get("/api/tags")
        let probe = DaemonProbe.run(transport, config: config)
        let state = BreakerStore(directory: config.stateDir, scope: config.url("")).load()
        let history = FallbackHistoryStore(directory: config.stateDir, scope: config.url("")).load()
        let now = Timestamp.now().millis
        var out = JSONObject()
        out["url"] = .string(config.url(""))
        let reachable = version != nil || health != nil
        out["reachable"] = .bool(reachable)
        out["version"] = field(version, "version")
        out["health"] = field(health, "status")
        let installed = tags.flatMap { $0.status == 200 ? DaemonProbe.installedModels($0.body) : nil }
        out["models"] = installed.map { .array($0.keys.sorted().map { .string(config.redact($0)) }) } ?? .null
        out["model"] = .string(config.model)
        out["model_installed"] = installed.map { .bool($0[config.model] != nil) } ?? .null
        out["model_version"] = installed?[config.model].flatMap { $0.isEmpty ? nil : JSONValue.string(config.redact($0)) } ?? .null
        var problem: TollamaConfigProblem?
        if case .problem(let p) = probe.verdict {
            problem = p
            out["problem"] = .object(JSONObject([("kind", .string(p.kind.rawValue)), ("hint", .string(p.hint))]))
        } else {
            out["problem"] = .null
        }
        var breaker = state.object
        breaker["state"] = .string(state.phase(nowMs: now, cooldownSeconds: config.breakerCooldown).rawValue)
        out["breaker"] = .object(breaker)
        let recent = history.totals(nowMs: now, windowMs: Int64(config.baselineOnlyWindow * 1000))
        out["baseline_only_mode"] = .object(JSONObject([
            ("state", .string(history.phase(nowMs: now, cooldownSeconds: config.probeInterval).rawValue)),
            ("since_ms", history.baselineOnlySinceMs.map { .int(Int($0)) } ?? .null),
            ("recent_requests", .int(recent.requests)), ("recent_fallbacks", .int(recent.fallbacks)),
        ]))
        out["state_dir"] = config.stateDir.map(JSONValue.string) ?? .null
        return DaemonHealth(report: out, reachable: reachable, problem: problem)
    }
}
