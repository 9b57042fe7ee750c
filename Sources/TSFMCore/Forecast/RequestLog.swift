/// The per-request log event of tsfm-forecast (level info, message `forecast`): one JSON line on
/// stderr per forecast written, with the fields docs/records.md lists ("Per-request log"). The
/// same moment observes the forecast's duration in the metrics.
extension Forecaster {
    /// The event's fields, in a fixed order; `latency_ms` is measured even under
    /// `--deterministic` (logs are not output).
    static func requestLogFields(_ request: ForecastRequest, _ meta: ForecastMeta, seconds: Double) -> [(String, JSONValue)] {
        [
            ("market_id", .string(request.marketId)),
            ("as_of_ts", .string(request.asOf.rfc3339)),
            ("model", .string(meta.modelName)),
            ("model_version", meta.modelVersion.map { .string($0) } ?? .null),
            ("input_len", .int(meta.inputLength)),
            ("missing_ratio", request.missingRatio.map { .double($0) } ?? .null),
            ("warnings", .strings(meta.warnings)),
            ("runtime", .string(meta.runtime.rawValue)),
            ("band_source", .string(meta.bandSource.rawValue)),
            ("fallback_reason", meta.fallbackReason.map { .string($0.rawValue) } ?? .null),
            ("cached", .bool(meta.cached)),
            ("latency_ms", .double((max(0, seconds) * 1e6).rounded() / 1000)),
            ("request_id", .string(meta.requestId)),
        ]
    }

    func requestDone(_ request: ForecastRequest, _ meta: ForecastMeta, seconds: Double) {
        metrics?.observe("tsfm_forecast_request_duration_seconds", [("band_source", meta.bandSource.rawValue)], seconds: seconds)
        guard logger.shows(.info) else { return }
        logger.info("forecast", Self.requestLogFields(request, meta, seconds: seconds))
    }
}
