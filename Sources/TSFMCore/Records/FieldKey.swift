/// Every name of the record contract, once, as static strings: the byte scanners (quotes, scored
/// forecasts) match keys against them without allocating, and `FieldName`, `MetaKey` and
/// `QualityKey` below give the same names as `String`s, grouped by where they appear. A rename
/// is one edit here.
public enum FieldKey {
    // Top-level fields (requests, forecasts, error records)
    public static let marketId: StaticString = "market_id"
    public static let asOfTs: StaticString = "as_of_ts"
    public static let freq: StaticString = "freq"
    public static let horizonSteps: StaticString = "horizon_steps"
    public static let quantiles: StaticString = "quantiles"
    public static let y: StaticString = "y"
    public static let transform: StaticString = "transform"
    public static let model: StaticString = "model"
    public static let liquidityBucket: StaticString = "liquidity_bucket"
    public static let tteBucket: StaticString = "tte_bucket"
    public static let category: StaticString = "category"
    public static let eventId: StaticString = "event_id"
    public static let endTs: StaticString = "end_ts"
    public static let volume24h: StaticString = "volume_24h"
    public static let openInterest: StaticString = "open_interest"
    public static let quality: StaticString = "quality"
    public static let selection: StaticString = "selection"
    public static let yFuture: StaticString = "y_future"
    public static let yhatQ: StaticString = "yhat_q"
    public static let yhatQRaw: StaticString = "yhat_q_raw"
    public static let meta: StaticString = "meta"
    public static let error: StaticString = "error"
    public static let input: StaticString = "input"
    // Inside `meta`
    public static let runtime: StaticString = "runtime"
    public static let modelName: StaticString = "model_name"
    public static let modelVersion: StaticString = "model_version"
    public static let latencyMs: StaticString = "latency_ms"
    public static let inputLen: StaticString = "input_len"
    public static let fallbackUsed: StaticString = "fallback_used"
    public static let fallbackReason: StaticString = "fallback_reason"
    public static let warnings: StaticString = "warnings"
    public static let requestId: StaticString = "request_id"
    public static let bandSource: StaticString = "band_source"
    public static let cached: StaticString = "cached"
    public static let yhatSpace: StaticString = "yhat_space"
    public static let post: StaticString = "post"
    public static let conformal: StaticString = "conformal"
    // Inside `quality`
    public static let missingRatio: StaticString = "missing_ratio"
    public static let longestGapMinutes: StaticString = "longest_gap_min"
    public static let tsfmEligible: StaticString = "tsfm_eligible"
    public static let baselineOnlyReasons: StaticString = "baseline_only_reasons"
    // Quote input (tsfm-prep)
    public static let ts: StaticString = "ts"
    public static let bid: StaticString = "bid"
    public static let ask: StaticString = "ask"
    public static let lastTrade: StaticString = "last_trade"
    public static let lastTradeTs: StaticString = "last_trade_ts"
    public static let price: StaticString = "price"
    // Inside `meta.conformal` (written by tsfm-conformal apply)
    public static let target: StaticString = "target"
}

extension StaticString {
    /// Whether `bytes` (a key's raw text) spell this name.
    @inline(__always)
    public func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = utf8CodeUnitCount
        guard bytes.count == count else { return false }
        let name = utf8Start
        var i = 0
        while i < count {
            if bytes[i] != name[i] { return false }
            i += 1
        }
        return true
    }
}
