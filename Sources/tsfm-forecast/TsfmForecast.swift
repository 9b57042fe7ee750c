import ArgumentParser
import TollamaClient
import TSFMCommandLine
import TSFMCore

@main
struct TsfmForecast: ParsableCommand {
    /// `--help` and `--version` to a full disk exit 74, not 0.
    static func main() {
        ToolMain.checkStandardOutputAtExit()
        main(ToolConfig.arguments(tool: "tsfm-forecast"))
    }

    static let configuration = CommandConfiguration(
        commandName: "tsfm-forecast",
        abstract: "Forecast quantile bands for requests, by the tollama model or a statistical baseline.",
        discussion: """
            Without a subcommand, forecasts (see `tsfm-forecast forecast --help`).

            Examples:
              tsfm-prep quotes.ndjson | tsfm-forecast | tsfm-post > out.ndjson
              tsfm-forecast --runtime baseline --deterministic requests.ndjson
              tsfm-forecast health
            """,
        version: TSFM.version,
        subcommands: [ForecastCommand.self, HealthCommand.self, CheckConfigCommand.self],
        defaultSubcommand: ForecastCommand.self
    )
}

struct ForecastCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Read forecast requests (NDJSON) and write forecasts: the request plus yhat_q and meta.",
        discussion: """
            Policy (--runtime auto): a request is served by a baseline when prep
            marked it ineligible (fallback reason ineligible_gap_too_long, too_short,
            illiquid, ineligible_stale), when its liquidity_bucket is LOW or its
            volume_24h is below --illiquid-volume (illiquid), or when the model call
            fails (tollama_timeout, tollama_http_<status>, tollama_unreachable,
            tollama_invalid_response, circuit_open, model_not_installed,
            baseline_only_mode); otherwise by the model. --runtime tollama sends every
            valid request to the model; --runtime baseline serves all by baseline
            (fallback_used false, fallback_reason null).

            tollama: --batch-size series per request (50), each call's time limit
            --timeout plus --timeout-per-series for each series after the first; as
            many calls in flight as the daemon serves without queueing, adapted up
            to --concurrency; output order is input order. A call that times out,
            cannot connect or gets 429/5xx (or a runner-conflict 409) is retried
            --retries times; after --breaker-failures consecutive failed calls the
            breaker opens for --breaker-cooldown (circuit_open), then one trial call
            decides (other runs wait for it). When more than --baseline-only-share
            of the requests of the last --baseline-only-window fell back, later runs
            go baseline-only until a health probe (at most every --probe-interval,
            30s) reaches the daemon. Identical requests within --cache-ttl are answered from the
            cache (meta.cached true). The breaker, the history (both per daemon URL)
            and the cache live in --state-dir, shared by every run. The bearer token
            comes from TOLLAMA_API_KEY only and is never shown.

            A key refused (401/403), a model not installed or a licence not accepted
            is a configuration problem, not an outage: one warning with the fix,
            every record still written (by baseline), exit 78 at the end.

            Baselines, computed in the request's transform space and mapped back:
              ewma     centred on the last value (prices are martingales), sd √(v·h)
                       from the EW mean square v of one-step changes
                       (RiskMetrics; --ewma-halflife, default 288 steps)
              kalman   local level (random walk + noise), variances by method of
                       moments on the first differences; variance P + h·q + r
              rolling  empirical quantiles of h-step changes over the last --window
                       points
            --baseline auto tries them in that order; the first valid band wins.
            When none is valid (e.g. a constant series) the band is flat at the last
            value, with the warning degenerate_series (tsfm-post's width guard
            widens it).

            Output: yhat_q {"<level>": [horizon_steps probabilities]} and meta
            {runtime, model_name, model_version, latency_ms, input_len, transform,
            fallback_used, fallback_reason, warnings, request_id, band_source
            [, cached]}. Every other field of the request passes through unchanged.
            --deterministic drops latency_ms and derives request_id from the
            request's bytes, for golden tests.

            Examples:
              tsfm-forecast requests.ndjson | tsfm-post > forecasts.ndjson
              tsfm-forecast --model timesfm-2.5-200m --concurrency 4 requests.ndjson
              tsfm-forecast --runtime baseline --baseline kalman requests.ndjson
              tsfm-forecast --runtime baseline --deterministic requests.ndjson
              tsfm-forecast --on-error skip --summary requests.ndjson | jq -c .meta
              TOLLAMA_API_KEY=… tsfm-forecast health
            """
    )

    @OptionGroup var common: CommonOptions

    @Option(help: "Who serves the requests: auto (model when eligible and liquid), baseline, or tollama (model for every request).")
    var runtime: RuntimeMode = .auto

    @Option(help: "Baseline to use: auto (ewma, then kalman, then rolling), ewma, kalman, or rolling.")
    var baseline: BaselineChoice = .auto

    @Option(help: "EWMA half-life in steps (in (0, 1000000]).")
    var ewmaHalflife: Double = BaselineSettings.defaultHalflife

    @Option(help: "Points of history for the rolling-quantile baseline (2 to 2000).")
    var window: Int = BaselineSettings.defaultWindow

    @Option(help: "In auto mode, a request with volume_24h below this goes to a baseline (illiquid).")
    var illiquidVolume: Double = ForecastPolicy.defaultIlliquidVolume

    @Flag(help: "Omit latency_ms and derive request_id from each request's bytes, so output is byte-stable.")
    var deterministic = false

    @OptionGroup(title: "Tollama") var tollama: TollamaOptions

    @OptionGroup(title: "Licence guard") var licence: ProfileOptions

    func validate() throws {
        try FlagRange.check("--ewma-halflife", ewmaHalflife, low: 0, high: 1e6, openLow: true)
        try FlagRange.check("--window", window, 2...ForecastRequest.maxInputLength)
        try FlagRange.check("--illiquid-volume", illiquidVolume, low: 0, high: nil)
    }

    func run() throws {
        common.run(tool: "tsfm-forecast", stateDir: tollama.stateDir ?? StateDirOption.defaultPath()) { output, log, metrics in
            var started: Forecaster?
            var model: ModelRuntime?
            metrics?.collect { m, _ in
                let t = started?.totals ?? Forecaster.Totals()
                m.stream(StreamTotals(records: t.records - t.badLines, errorRecordsPassed: t.errorRecordsPassed, badLines: t.badLines))
                m.forecaster(t)
                TollamaMetrics.report(to: m, configs: (try? tollama.configs()) ?? [], runtime: model, nowMs: Timestamp.now().millis)
            }
            // The licence guard stops the run before any input is read or any call is made.
            let licenceGuard = runtime == .baseline ? nil : try licence.licenceGuard()
            try licenceGuard?.check(model: tollama.model)
            model = runtime == .baseline ? nil
                : try tollama.makeRuntime(logger: log, deterministic: deterministic, metrics: metrics?.metrics)
            if runtime == .tollama && model == nil {
                log.warning("no model runtime is available: every request falls back to a baseline", [])
            }
            let forecaster = Forecaster(
                policy: ForecastPolicy(mode: runtime, illiquidVolume: illiquidVolume),
                settings: BaselineSettings(choice: baseline, ewmaHalflife: ewmaHalflife, window: window),
                runtime: model, deterministic: deterministic, logger: log)
            forecaster.metrics = metrics?.metrics
            started = forecaster
            if let licenceGuard { forecaster.modelGuard = { try licenceGuard.check(model: $0, at: $1.description) } }
            try forecaster.run(input: NDJSONInput(paths: common.files), output: output, onError: common.onError,
                               progress: ProgressMeter.forTerminal(tool: "tsfm-forecast"))
            if common.summary {
                let t = forecaster.totals
                let reasons = JSONValue.object(JSONObject(t.fallbackReasons.sorted { $0.key.rawValue < $1.key.rawValue }.map { ($0.key.rawValue, .int($0.value)) }))
                log.summary(t.stream, [
                    ("model", .int(t.model)), ("cached", .int(t.cached)), ("baseline", .int(t.baseline)),
                    ("fallbacks", .int(t.fallbacks)), ("fallback_reasons", reasons), ("degenerate", .int(t.degenerate)),
                ])
            }
            return forecaster.exitStatus
        }
    }
}
