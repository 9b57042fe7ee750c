import TSFMCore

/// The tollama families of tsfm-forecast's metrics file that describe state rather than the
/// run's own counts: configuration problems met, and the breaker and baseline-only mode as the
/// state dir's files say at the run's end (so they agree with `tsfm-forecast health`). With
/// several daemons, a gauge is the worst of them: open if any breaker is, the most consecutive
/// failures, the earliest opening; the recent counts are summed over the daemons.
public enum TollamaMetrics {
    public static func report(to m: RunMetrics, configs: [TollamaConfig], runtime: ModelRuntime?, nowMs: Int64) {
        for family in ["tsfm_tollama_calls_total", "tsfm_tollama_retries_total", "tsfm_tollama_series_sent_total",
                       "tsfm_tollama_cache_lookups_total", "tsfm_tollama_cache_hits_total", "tsfm_tollama_breaker_opens_total"] {
            m.add(family, [], 0)
        }
        for reason in [FallbackReason.tollamaTimeout, .tollamaUnreachable, .tollamaInvalidResponse, .modelNotInstalled] {
            m.add("tsfm_tollama_call_errors_total", [("reason", reason.rawValue)], 0)
        }
        m.declareHistogram("tsfm_tollama_call_duration_seconds")
        let members: [TollamaRuntime] = (runtime as? TollamaPool)?.members ?? (runtime as? TollamaRuntime).map { [$0] } ?? []
        let kinds = Set(members.flatMap { $0.configProblems.map(\.kind) })
        for kind in [TollamaConfigProblem.Kind.auth, .modelNotInstalled, .licenseNotAccepted] {
            m.add("tsfm_tollama_config_problems_total", [("reason", kind.rawValue)], kinds.contains(kind) ? 1 : 0)
        }
        var open = false
        var failures = 0
        var openedMs: Int64?
        var mode = false
        var sinceMs: Int64?
        var requests = 0
        var fallbacks = 0
        for config in configs {
            let scope = config.url("")
            let breaker = BreakerStore(directory: config.stateDir, scope: scope).load()
            if breaker.phase(nowMs: nowMs, cooldownSeconds: config.breakerCooldown) != .closed { open = true }
            failures = max(failures, breaker.consecutiveFailures)
            if let at = breaker.openedAtMs { openedMs = min(openedMs ?? at, at) }
            let history = FallbackHistoryStore(directory: config.stateDir, scope: scope).load()
            if let since = history.baselineOnlySinceMs {
                mode = true
                sinceMs = min(sinceMs ?? since, since)
            }
            let t = history.totals(nowMs: nowMs, windowMs: Int64(config.baselineOnlyWindow * 1000))
            requests += t.requests
            fallbacks += t.fallbacks
        }
        m.set("tsfm_tollama_breaker_open", [], open ? 1 : 0)
        m.set("tsfm_tollama_breaker_consecutive_failures", [], Double(failures))
        m.set("tsfm_tollama_breaker_opened_timestamp_seconds", [], openedMs.map { Double($0) / 1000 } ?? 0)
        m.set("tsfm_tollama_baseline_only_mode", [], mode ? 1 : 0)
        m.set("tsfm_tollama_baseline_only_since_timestamp_seconds", [], sinceMs.map { Double($0) / 1000 } ?? 0)
        m.set("tsfm_tollama_recent_model_requests", [], Double(requests))
        let minimum = configs.first?.baselineOnlyMinRequests ?? 5
        m.set("tsfm_tollama_recent_fallback_ratio", [], requests >= minimum ? Double(fallbacks) / Double(requests) : nil)
    }
}
