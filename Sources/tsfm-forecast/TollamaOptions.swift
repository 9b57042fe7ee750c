import ArgumentParser
import TollamaClient
import TSFMCommandLine
import TSFMCore

/// tsfm-forecast's options for the tollama runtime. The bearer token comes from the environment
/// (`TOLLAMA_API_KEY`) only, never from a flag.
public struct TollamaOptions: ParsableArguments {
    @Option(help: "tollama base URL, or several comma-separated (batches go to the least loaded; else $TOLLAMA_BASE_URL, else http://127.0.0.1:11435).")
    public var tollamaURL: String?

    @Option(help: "Model to ask for when a request names none (model.model_name).")
    public var model: String = "chronos2"

    @Option(help: "Seconds per call of one series, connect and transfer together.")
    public var timeout: Double = 2.0

    @Option(help: "Seconds each series beyond the first adds to a call's time limit.")
    public var timeoutPerSeries: Double = 0.05

    @Option(help: "Retries of a call that can succeed on retry (connect failure, timeout, 409, 429, 500, 502, 503).")
    public var retries: Int = 1

    @Option(help: "Consecutive failed calls that open the circuit breaker.")
    public var breakerFailures: Int = 5

    @Option(help: "How long an open breaker sends everything to the baseline.")
    public var breakerCooldown: DurationArgument = DurationArgument(seconds: 120, text: "120s")

    @Option(help: "In baseline-only mode, the least time between two health probes of the daemon (the plan's 30s).")
    public var probeInterval: DurationArgument = DurationArgument(seconds: 30, text: "30s")

    @Option(help: "Where the breaker, fallback history and cache live (default $XDG_STATE_HOME/tsfm, else ~/.local/state/tsfm).")
    public var stateDir: String?

    @Option(help: "How long an answer serves identical requests (same model, levels, horizon, series).")
    public var cacheTTL: DurationArgument = DurationArgument(seconds: 60, text: "60s")

    @Flag(help: "Do not use the response cache (neither read nor write it).")
    public var noCache = false

    @Option(help: "Go baseline-only when more than this share of recent requests fell back (1 = never).")
    public var baselineOnlyShare: Double = 0.5

    @Option(help: "How far back 'recent' reaches for --baseline-only-share.")
    public var baselineOnlyWindow: DurationArgument = DurationArgument(seconds: 300, text: "5m")

    @Option(help: "Most requests in flight at once; the number adapts below it to what the daemon serves.")
    public var concurrency: Int = 8

    @Option(help: "Series per request (the daemon accepts a list).")
    public var batchSize: Int = 50

    public init() {}

    public func validate() throws {
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be in (0, 3600] seconds") }
        guard timeoutPerSeries >= 0, timeoutPerSeries <= 60 else { throw ValidationError("--timeout-per-series must be in [0, 60] seconds") }
        for (flag, d) in [("--breaker-cooldown", breakerCooldown), ("--cache-ttl", cacheTTL), ("--baseline-only-window", baselineOnlyWindow), ("--probe-interval", probeInterval)] {
            guard d.seconds <= 1e9 else { throw ValidationError("\(flag) must be at most 1e9 seconds") }
        }
        guard retries >= 0 else { throw ValidationError("--retries must not be negative") }
        guard breakerFailures >= 1 else { throw ValidationError("--breaker-failures must be at least 1") }
        guard baselineOnlyShare >= 0, baselineOnlyShare <= 1 else { throw ValidationError("--baseline-only-share must be in 0…1") }
        guard concurrency >= 1, concurrency <= 256 else { throw ValidationError("--concurrency must be in 1…256") }
        guard batchSize >= 1, batchSize <= 1000 else { throw ValidationError("--batch-size must be in 1…1000") }
    }

    /// The configuration from flags and environment. Throws (exit 78) when `TOLLAMA_API_KEY`
    /// holds a line break: sent as a header it would inject header lines of its own.
    public func config() throws -> TollamaConfig {
        var c = TollamaConfig()
        c.baseURL = tollamaURL ?? System.environment("TOLLAMA_BASE_URL") ?? c.baseURL
        c.model = model
        c.timeout = timeout
        c.timeoutPerSeries = timeoutPerSeries
        c.retries = retries
        c.breakerFailures = breakerFailures
        c.breakerCooldown = breakerCooldown.seconds
        c.stateDir = stateDir ?? Self.defaultStateDir()
        c.concurrency = concurrency
        c.batchSize = batchSize
        c.cacheTTL = noCache ? 0 : cacheTTL.seconds
        c.baselineOnlyShare = baselineOnlyShare
        c.baselineOnlyWindow = baselineOnlyWindow.seconds
        c.probeInterval = probeInterval.seconds
        c.token = try TollamaConfig.token(System.environment("TOLLAMA_API_KEY"))
        return c
    }

    /// One configuration per daemon: `--tollama-url` (or `TOLLAMA_BASE_URL`) may list several,
    /// comma-separated; each gets the same settings and its own breaker, history and cache.
    public func configs() throws -> [TollamaConfig] {
        let base = try config()
        let urls = TollamaPool.urls(base.baseURL)
        guard urls.count > 1 else { return [base] }
        return urls.map { url in
            var c = base
            c.baseURL = url
            return c
        }
    }

    static func defaultStateDir() -> String? {
        if let xdg = System.environment("XDG_STATE_HOME") { return xdg + "/tsfm" }
        if let home = System.environment("HOME") { return home + "/.local/state/tsfm" }
        return nil
    }

    /// The runtime: one daemon's, or a pool over several.
    public func makeRuntime(logger: Logger, deterministic: Bool, metrics: RunMetrics? = nil) throws -> ModelRuntime {
        // --deterministic fixes the retry jitter too; otherwise the runtime seeds from time and pid.
        var config = try config()
        config.metrics = metrics
        let configs = try self.configs().map { c -> TollamaConfig in
            var c = c
            c.metrics = metrics
            return c
        }
        if configs.count > 1 { return TollamaPool(configs: configs, logger: logger, seed: deterministic ? 0x7011_a3a : nil) }
        return deterministic ? TollamaRuntime(config: config, logger: logger, seed: 0x7011_a3a) : TollamaRuntime(config: config, logger: logger)
    }
}
