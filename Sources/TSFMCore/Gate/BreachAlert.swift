/// One Gate-1 alert: a realized price outside a forecast's band at one horizon step. The
/// record tsfm-gate alerts writes and tsfm-gate review reads (docs/tsfm-gate.md lists its
/// fields).
public struct BreachAlert: Equatable, Sendable {
    public var marketId: String
    public var asOf: Timestamp
    public var freq: Cadence
    /// 1-based horizon step; the breach time is `asOf + step · freq`.
    public var step: Int
    /// `above` (y > hi) or `below` (y < lo).
    public var above: Bool
    public var y: Double
    public var lo: Double
    public var hi: Double
    /// The pair's name, e.g. `0.1-0.9`.
    public var pair: String
    public var bandSource: String
    public var bandSourceFallback: String?
    public var fallbackUsed: Bool
    public var fallbackReason: String?
    public var modelName: String?
    public var modelVersion: String?
    public var paramsVersion: String?
    public var phase: RolloutPhase
    public var arm: RolloutArm
    public var shadow: Bool
    /// Whether the move followed (nil: the realized path does not cover the window yet).
    public var followThrough: Bool?

    public var breachTime: Timestamp { asOf + Int64(step) * freq.seconds }
    public var direction: String { above ? "above" : "below" }

    /// Stable id: 16 hex digits of `MarketHash`'s rule over market_id, as_of_ts (ms), step,
    /// arm, band_source and pair, each followed by a 0x1f separator. The same breach found
    /// again (a re-run, overlapping alert files) has the same id, which review deduplicates on.
    public var alertId: String {
        var h = FNV1a64.offsetBasis
        func add<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
            h = MarketHash.fnv1a(bytes, seed: h)
            h = MarketHash.fnv1a(CollectionOfOne(0x1F), seed: h)
        }
        add(marketId.utf8)
        add(String(asOf.millis).utf8)
        add(String(step).utf8)
        add(arm.rawValue.utf8)
        add(bandSource.utf8)
        add(pair.utf8)
        return NumberText.hex16(MarketHash.mix(h))
    }

    /// The alert as one NDJSON line (with its newline), keys in a fixed order.
    public func write(into w: inout JSONWriter) throws {
        w.raw("{\"alert_id\":")
        w.string(alertId)
        w.raw(",\"market_id\":")
        w.string(marketId)
        w.raw(",\"as_of_ts\":")
        w.string(asOf.rfc3339)
        w.raw(",\"freq\":")
        w.string(freq.rawValue)
        w.raw(",\"breach_ts\":")
        w.string(breachTime.rfc3339)
        w.raw(",\"step\":")
        w.int(step)
        w.raw(",\"direction\":")
        w.string(direction)
        w.raw(",\"y\":")
        try w.double(y)
        w.raw(",\"lo\":")
        try w.double(lo)
        w.raw(",\"hi\":")
        try w.double(hi)
        w.raw(",\"pair\":")
        w.string(pair)
        w.raw(",\"band_source\":")
        w.string(bandSource)
        w.raw(",\"band_source_fallback\":")
        optional(bandSourceFallback, &w)
        w.raw(",\"fallback_used\":")
        w.bool(fallbackUsed)
        w.raw(",\"fallback_reason\":")
        optional(fallbackReason, &w)
        w.raw(",\"model_name\":")
        optional(modelName, &w)
        w.raw(",\"model_version\":")
        optional(modelVersion, &w)
        w.raw(",\"params_version\":")
        optional(paramsVersion, &w)
        w.raw(",\"phase\":")
        w.string(phase.rawValue)
        w.raw(",\"arm\":")
        w.string(arm.rawValue)
        w.raw(",\"shadow\":")
        w.bool(shadow)
        w.raw(",\"followthrough\":")
        if let followThrough { w.bool(followThrough) } else { w.raw("null") }
        w.raw("}\n")
    }

    private func optional(_ text: String?, _ w: inout JSONWriter) {
        if let text { w.string(text) } else { w.raw("null") }
    }
}
