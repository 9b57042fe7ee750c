/// Optional per-market metadata (`--markets FILE`), copied into each request.
public struct MarketMetadata: Equatable, Sendable {
    public var volume24h: Double?
    public var openInterest: Double?
    /// Upper-cased (LOW, MEDIUM, HIGH).
    public var liquidityBucket: String?
    public var category: String?
    public var eventId: String?
    public var endTs: Timestamp?
    public var endTsText: String?

    public init() {}

    /// Reads one metadata record; returns its market id and metadata.
    public static func decode(_ record: Record) throws -> (String, MarketMetadata) {
        guard let id = try record.string(FieldName.marketId), !id.isEmpty else {
            throw RecordError(field: FieldName.marketId, "missing")
        }
        var m = MarketMetadata()
        m.volume24h = try record.double(FieldName.volume24h)
        m.openInterest = try record.double(FieldName.openInterest)
        if let text = try record.string(FieldName.liquidityBucket) {
            guard let bucket = LiquidityBucket(text: text) else {
                throw RecordError(field: FieldName.liquidityBucket, "'\(text)' is not LOW, MEDIUM or HIGH")
            }
            m.liquidityBucket = bucket.rawValue
        }
        m.category = try record.string(FieldName.category)
        m.eventId = try record.string(FieldName.eventId)
        if let text = try record.string(FieldName.endTs) {
            guard let t = Timestamp(text) else { throw RecordError(field: FieldName.endTs, "'\(text)' is not an RFC 3339 timestamp") }
            m.endTs = t
            m.endTsText = text
        }
        return (id, m)
    }

    /// Reads a metadata file (NDJSON) through the stream, so a bad line follows the run's
    /// `--on-error` policy like a bad quote (stop, or an error record and go on). Error records
    /// in it are not carried to the requests' output.
    public static func load(path: String, stream: RecordStream) throws -> [String: MarketMetadata] {
        var all: [String: MarketMetadata] = [:]
        try stream.forEachLine(in: NDJSONInput(paths: [path])) { bytes, _ in
            let record = try Record(line: bytes)
            if record.isErrorRecord { return .ignored }
            let (id, m) = try decode(record)
            all[id] = m
            return .used
        }
        return all
    }
}

/// Time-to-expiry buckets for calibration segments.
public enum TTEBucket {
    public static func label(asOf: Timestamp, end: Timestamp?) -> String {
        guard let end else { return "unknown" }
        let days = Double(end.millis - asOf.millis) / 86_400_000
        switch days {
        case ..<1: return "<1d"
        case ..<7: return "1d-7d"
        case ..<30: return "7d-30d"
        default: return ">30d"
        }
    }
}
