import ArgumentParser

/// `tsfm-forecast health`: the daemon's version, health, installed models, whether the
/// configured model is among them and the key is accepted, and our breaker state for this
/// daemon, as one JSON object; exit 0 when all is well, 78 for a configuration problem (with the
/// fix on stderr), 69 when the daemon cannot be reached.
public struct HealthCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Print the tollama daemon's version, health, installed models and tsfm's breaker state.",
        discussion: """
            Asks GET /api/version, /v1/health and /api/tags, and reads the state
            of the circuit breaker and of baseline-only mode for this daemon
            (--state-dir). Exit 0 when the daemon answers, takes the key and has
            the --model installed; 78 when it refuses the key (401/403) or lacks
            the model, with the fix on stderr; 69 when it cannot be reached. The
            token (TOLLAMA_API_KEY) is sent when set, never printed.

            Example:
              tsfm-forecast health --tollama-url http://127.0.0.1:11435 --model mock | jq .
            """
    )

    @OptionGroup public var tollama: TollamaOptions

    @Option(help: "Log format on stderr: json or text.")
    public var logFormat: Logger.Format = .json

    @Option(help: "Least severe log level shown: debug, info, warning, error.")
    public var logLevel: Logger.Level = .warning

    public init() {}

    public func run() throws {
        let logger = Logger(tool: "tsfm-forecast", format: logFormat, level: logLevel)
        let configs: [TollamaConfig]
        do { configs = try tollama.configs() } catch let error as ToolError {
            Logger.writeStderr("tsfm-forecast: \(error.message)\n")
            throw ExitCode(error.status.rawValue)
        }
        // Several daemons: one line each; the exit status is the worst (69 before 78 before 0).
        var statuses: [Int32] = []
        for config in configs {
            do { try check(config, logger: logger) } catch let e as ExitCode { statuses.append(e.rawValue) }
        }
        if statuses.contains(ExitStatus.unavailable.rawValue) { throw ExitCode(ExitStatus.unavailable.rawValue) }
        if let s = statuses.first { throw ExitCode(s) }
    }

    func check(_ config: TollamaConfig, logger: Logger) throws {
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
        if case .problem(let problem) = probe.verdict {
            out["problem"] = .object(JSONObject([("kind", .string(problem.kind.rawValue)), ("hint", .string(problem.hint))]))
        } else {
            out["problem"] = .null
        }
        var breaker = state.object
        breaker["state"] = .string(state.phase(nowMs: now, cooldownSeconds: config.breakerCooldown))
        out["breaker"] = .object(breaker)
        let recent = history.totals(nowMs: now, windowMs: Int64(config.baselineOnlyWindow * 1000))
        out["baseline_only_mode"] = .object(JSONObject([
            ("state", .string(history.phase(nowMs: now, cooldownSeconds: config.probeInterval))),
            ("since_ms", history.baselineOnlySinceMs.map { .int(Int($0)) } ?? .null),
            ("recent_requests", .int(recent.requests)), ("recent_fallbacks", .int(recent.fallbacks)),
        ]))
        out["state_dir"] = config.stateDir.map(JSONValue.string) ?? .null
        print(try JSONValue.object(out).jsonText())
        if !reachable { throw ExitCode(ExitStatus.unavailable.rawValue) }
        if case .problem(let problem) = probe.verdict {
            logger.warning("tollama answers but refuses tsfm's calls until its configuration is fixed",
                           problem.fields + [("url", .string(config.baseURL))])
            throw ExitCode(ExitStatus.config.rawValue)
        }
    }
}
