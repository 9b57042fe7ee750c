/// Top-level field names of the record contract (docs/records.md). Tools refer to these, never
/// to string literals, so a rename is one edit.
public enum FieldName {
    // Request
    public static let marketId = "market_id"
    public static let asOfTs = "as_of_ts"
    public static let freq = "freq"
    public static let horizonSteps = "horizon_steps"
    public static let quantiles = "quantiles"
    public static let y = "y"
    public static let transform = "transform"
    public static let model = "model"
    public static let liquidityBucket = "liquidity_bucket"
    public static let tteBucket = "tte_bucket"
    public static let category = "category"
    public static let eventId = "event_id"
    public static let endTs = "end_ts"
    public static let volume24h = "volume_24h"
    public static let openInterest = "open_interest"
    public static let quality = "quality"
    public static let selection = "selection"
    public static let yFuture = "y_future"
    // Forecast
    public static let yhatQ = "yhat_q"
    public static let yhatQRaw = "yhat_q_raw"
    /// The baseline's band beside a model-served band (tsfm-gate compares the arms with it).
    public static let yhatQBaseline = "yhat_q_baseline"
    /// `yhat_q_baseline` before tsfm-conformal apply calibrated it.
    public static let yhatQBaselineRaw = "yhat_q_baseline_raw"
    public static let meta = "meta"
    // Error record
    public static let error = "error"
    public static let input = "input"
}

/// Keys inside a forecast's `meta` object.
public enum MetaKey {
    public static let runtime = "runtime"
    public static let modelName = "model_name"
    public static let modelVersion = "model_version"
    public static let latencyMs = "latency_ms"
    public static let inputLen = "input_len"
    public static let transform = "transform"
    public static let fallbackUsed = "fallback_used"
    public static let fallbackReason = "fallback_reason"
    public static let warnings = "warnings"
    public static let requestId = "request_id"
    public static let bandSource = "band_source"
    public static let cached = "cached"
    /// Space of `yhat_q` values: absent or "prob" means probabilities; "logit" asks tsfm-post
    /// to map them back with the logistic function.
    public static let yhatSpace = "yhat_space"
    /// Per-record counts written by tsfm-post.
    public static let post = "post"
    /// What tsfm-conformal apply did.
    public static let conformal = "conformal"
    /// `{model_name, band_source}` of `yhat_q_baseline`.
    public static let baselineBand = "baseline_band"
}

/// Keys inside a request's `quality` block, written by tsfm-prep.
public enum QualityKey {
    public static let inputLen = "input_len"
    public static let missingRatio = "missing_ratio"
    public static let longestGapMinutes = "longest_gap_min"
    public static let tsfmEligible = "tsfm_eligible"
    public static let baselineOnlyReasons = "baseline_only_reasons"
}
