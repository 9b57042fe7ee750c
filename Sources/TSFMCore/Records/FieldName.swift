/// Top-level field names of the record contract (docs/records.md), as `String`s. Tools refer to
/// these (or to `FieldKey`), never to string literals.
public enum FieldName {
    /// The stage that writes a field into the pipeline, named when the field is missing further
    /// on (a stage left out, or records from the wrong stage). Nil for fields a user supplies.
    public static func producer(of field: String) -> String? {
        switch field {
        case marketId, asOfTs, freq, horizonSteps, y: "tsfm-prep"
        case yFuture: "tsfm-prep --backtest or tsfm-prep actuals"
        case yhatQ: "tsfm-forecast"
        case yhatQRaw: "tsfm-conformal apply"
        default: nil
        }
    }

    // Request
    public static let marketId = FieldKey.marketId.description
    public static let asOfTs = FieldKey.asOfTs.description
    public static let freq = FieldKey.freq.description
    public static let horizonSteps = FieldKey.horizonSteps.description
    public static let quantiles = FieldKey.quantiles.description
    public static let y = FieldKey.y.description
    public static let transform = FieldKey.transform.description
    public static let model = FieldKey.model.description
    public static let liquidityBucket = FieldKey.liquidityBucket.description
    public static let tteBucket = FieldKey.tteBucket.description
    public static let category = FieldKey.category.description
    public static let eventId = FieldKey.eventId.description
    public static let endTs = FieldKey.endTs.description
    public static let volume24h = FieldKey.volume24h.description
    public static let openInterest = FieldKey.openInterest.description
    public static let quality = FieldKey.quality.description
    public static let selection = FieldKey.selection.description
    public static let yFuture = FieldKey.yFuture.description
    // Forecast
    public static let yhatQ = FieldKey.yhatQ.description
    public static let yhatQRaw = FieldKey.yhatQRaw.description
    /// The baseline's band beside a model-served band (tsfm-gate compares the arms with it).
    public static let yhatQBaseline = "yhat_q_baseline"
    /// `yhat_q_baseline` before tsfm-conformal apply calibrated it.
    public static let yhatQBaselineRaw = "yhat_q_baseline_raw"
    public static let meta = FieldKey.meta.description
    // Error record
    public static let error = FieldKey.error.description
    public static let input = FieldKey.input.description
}

/// Keys inside a forecast's `meta` object.
public enum MetaKey {
    public static let runtime = FieldKey.runtime.description
    public static let modelName = FieldKey.modelName.description
    public static let modelVersion = FieldKey.modelVersion.description
    public static let latencyMs = FieldKey.latencyMs.description
    public static let inputLen = FieldKey.inputLen.description
    public static let transform = FieldKey.transform.description
    public static let fallbackUsed = FieldKey.fallbackUsed.description
    public static let fallbackReason = FieldKey.fallbackReason.description
    public static let warnings = FieldKey.warnings.description
    public static let requestId = FieldKey.requestId.description
    public static let bandSource = FieldKey.bandSource.description
    public static let cached = FieldKey.cached.description
    /// Space of `yhat_q` values: absent or "prob" means probabilities; "logit" asks tsfm-post
    /// to map them back with the logistic function.
    public static let yhatSpace = FieldKey.yhatSpace.description
    /// Per-record counts written by tsfm-post.
    public static let post = FieldKey.post.description
    /// What tsfm-conformal apply did.
    public static let conformal = FieldKey.conformal.description
    /// `{model_name, band_source}` of `yhat_q_baseline`.
    public static let baselineBand = "baseline_band"
}

/// Keys inside a request's `quality` block, written by tsfm-prep.
public enum QualityKey {
    public static let inputLen = FieldKey.inputLen.description
    public static let missingRatio = FieldKey.missingRatio.description
    public static let longestGapMinutes = FieldKey.longestGapMinutes.description
    public static let tsfmEligible = FieldKey.tsfmEligible.description
    public static let baselineOnlyReasons = FieldKey.baselineOnlyReasons.description
}
