/// Writes a forecast request as one JSON line, keys in the documented order:
/// market_id, as_of_ts, freq, horizon_steps, quantiles, y, transform, volume_24h, open_interest,
/// liquidity_bucket, category, event_id, end_ts, tte_bucket, quality, selection, y_future.
public struct PrepRequest: Sendable {
    public var marketId: String
    public var asOf: Timestamp
    public var window: GridSeries
    public var quality: WindowQuality
    public var metadata: MarketMetadata?
    public var selection: (rank: Int, score: Double)?
    public var yFuture: [Double]?

    public func encoded(settings: PrepSettings) throws -> [UInt8] {
        var w = JSONWriter(capacity: 256 + window.values.count * 8)
        w.raw("{\"market_id\":")
        w.string(marketId)
        w.raw(",\"as_of_ts\":")
        w.string(asOf.rfc3339)
        w.raw(",\"freq\":")
        w.string(settings.cadence.rawValue)
        w.raw(",\"horizon_steps\":")
        w.int(settings.horizon)
        w.raw(",\"quantiles\":")
        try w.doubles(settings.quantiles)
        w.raw(",\"y\":")
        let clipped: [Double]
        switch settings.transform {
        case .identity: clipped = window.values
        case .logit(let eps): clipped = window.values.map { min(max($0, eps), 1 - eps) }
        }
        try w.doubles(clipped)
        w.raw(",\"transform\":")
        try w.value(settings.transform.json)
        if let m = metadata {
            if let v = m.volume24h { w.raw(",\"volume_24h\":"); try w.double(v) }
            if let v = m.openInterest { w.raw(",\"open_interest\":"); try w.double(v) }
            if let v = m.liquidityBucket { w.raw(",\"liquidity_bucket\":"); w.string(v) }
            if let v = m.category { w.raw(",\"category\":"); w.string(v) }
            if let v = m.eventId { w.raw(",\"event_id\":"); w.string(v) }
            if let v = m.endTsText { w.raw(",\"end_ts\":"); w.string(v) }
        }
        w.raw(",\"tte_bucket\":")
        w.string(TTEBucket.label(asOf: asOf, end: metadata?.endTs))
        w.raw(",\"quality\":{\"input_len\":")
        w.int(quality.inputLength)
        w.raw(",\"missing_ratio\":")
        try w.double(quality.missingRatio)
        w.raw(",\"longest_gap_min\":")
        w.int(quality.longestGapMinutes)
        w.raw(",\"tsfm_eligible\":")
        w.bool(quality.eligible)
        w.raw(",\"baseline_only_reasons\":")
        try w.value(.strings(quality.reasons.map(\.rawValue)))
        w.raw("}")
        if let s = selection {
            w.raw(",\"selection\":{\"rank\":")
            w.int(s.rank)
            w.raw(",\"score\":")
            try w.double((s.score * 1e6).rounded() / 1e6)
            w.raw("}")
        }
        if let f = yFuture {
            w.raw(",\"y_future\":")
            try w.doubles(f)
        }
        w.raw("}\n")
        return w.bytes
    }
}

/// Top-N selection: score = 0.6·z(volume_24h) + 0.4·z(open_interest) over the cycle's markets
/// (z standardised with the population standard deviation; a missing value counts as the mean,
/// z = 0; no spread, z = 0). Best first; ties broken by market_id.
public enum TopSelection {
    public static func rank(_ markets: [(id: String, volume: Double?, openInterest: Double?)]) -> [(id: String, rank: Int, score: Double)] {
        func z(_ values: [Double?]) -> [Double] {
            let present = values.compactMap { $0 }
            guard !present.isEmpty else { return values.map { _ in 0 } }
            let mean = present.reduce(0, +) / Double(present.count)
            let variance = present.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(present.count)
            let sd = variance.squareRoot()
            return values.map { v in
                guard let v, sd > 0 else { return 0 }
                return (v - mean) / sd
            }
        }
        let zv = z(markets.map(\.volume))
        let zo = z(markets.map(\.openInterest))
        let scored = markets.indices.map { (id: markets[$0].id, score: 0.6 * zv[$0] + 0.4 * zo[$0]) }
        let sorted = scored.sorted { $0.score != $1.score ? $0.score > $1.score : $0.id < $1.id }
        return sorted.enumerated().map { (id: $1.id, rank: $0 + 1, score: $1.score) }
    }
}
