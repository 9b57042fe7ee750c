/// What evaluation reads of one forecast: its band, realized values and grouping attributes.
public struct ScoredForecast: Sendable {
    public var marketId: String
    public var asOf: Timestamp
    public var freq: Cadence
    public var horizon: Int
    public var band: QuantileBand
    /// Realized values; may run past the horizon (the path used for follow-through).
    public var yFuture: [Double]
    public var eventId: String?
    public var liquidityBucket: String?
    public var tteBucket: String?
    public var category: String?
    public var bandSource: String
    public var runtime: String?
    public var model: String?
    /// The coverage target tsfm-conformal calibrated to, when it did.
    public var target: Double?

    /// The value of a grouping attribute a record does not carry.
    public static let unknown = "unknown"
    /// The key of the coverage target inside `meta.conformal` (written by tsfm-conformal apply).
    public static let conformalTargetKey = FieldKey.target.description

    /// The as-of time as RFC 3339 (UTC, normalized).
    public var asOfText: String { asOf.rfc3339 }

    init(marketId: String, asOf: Timestamp, freq: Cadence, horizon: Int, band: QuantileBand, yFuture: [Double]) {
        self.marketId = marketId
        self.asOf = asOf
        self.freq = freq
        self.horizon = horizon
        self.band = band
        self.yFuture = yFuture
        bandSource = Self.unknown
    }

    /// Reads a forecast straight from a line: the fast byte scan, else the `Record` path (which
    /// throws a `RecordError` naming the problem). Nil for an error record or a record without
    /// `y_future`; `isErrorRecord` tells which.
    public static func read(line: UnsafeBufferPointer<UInt8>) throws -> (forecast: ScoredForecast?, isErrorRecord: Bool) {
        switch scan(line) {
        case .forecast(let f): return (f, false)
        case .withoutFuture: return (nil, false)
        case .undecided:
            let record = try Record(line: line)
            if record.isErrorRecord { return (nil, true) }
            return (try ScoredForecast(record: record), false)
        }
    }

    /// Decodes a forecast; nil when it has no `y_future` (not scorable yet).
    public init?(record: Record) throws {
        guard let future = try record.doubles(FieldName.yFuture) else { return nil }
        let header = try RecordHeader(record: record)
        let horizonField = header.horizonSteps
        guard let band = try QuantileBand.decode(from: record, field: FieldName.yhatQ, horizon: horizonField) else {
            throw RecordError.missing(FieldName.yhatQ)
        }
        // A band is scored as probabilities: a value outside [0, 1] (run tsfm-post first) would
        // score silently wrong, and huge ones overflow the widths.
        for (i, level) in band.levels.enumerated() {
            if let step = band.values[i].firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
                throw RecordError(field: "\(FieldName.yhatQ).\(QuantileLevel.key(level))[\(step)]",
                                  "\(band.values[i][step]) is not a probability in [0, 1]")
            }
        }
        if let bad = future.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
            throw RecordError(field: "\(FieldName.yFuture)[\(bad)]", "\(future[bad]) is not a probability in [0, 1]")
        }
        marketId = header.marketId
        asOf = header.asOf
        freq = header.freq
        horizon = horizonField ?? band.horizon
        self.band = band
        yFuture = future
        eventId = try record.string(FieldName.eventId)
        liquidityBucket = try record.string(FieldName.liquidityBucket)
        tteBucket = try record.string(FieldName.tteBucket)
        category = try record.string(FieldName.category)
        let meta = try record.object(FieldName.meta)
        bandSource = meta?[MetaKey.bandSource]?.string ?? Self.unknown
        runtime = meta?[MetaKey.runtime]?.string
        model = meta?[MetaKey.modelName]?.string
        target = meta?[MetaKey.conformal]?.object?[Self.conformalTargetKey]?.number
        if let t = target, !(t > 0 && t < 1) {
            throw RecordError(field: "\(FieldName.meta).\(MetaKey.conformal).\(Self.conformalTargetKey)", "\(t) is not a coverage in (0, 1)")
        }
    }

    /// The value of a grouping key for this record (step is handled by the caller).
    public func attribute(_ key: EvalGroupKey) -> String {
        switch key {
        case .bandSource: return bandSource
        case .runtime: return runtime ?? Self.unknown
        case .model: return model ?? Self.unknown
        case .liquidityBucket: return liquidityBucket ?? Self.unknown
        case .tteBucket: return tteBucket ?? Self.unknown
        case .category: return category ?? Self.unknown
        case .marketId: return marketId
        case .step: return ""
        }
    }
}

/// What metric rows can be grouped by.
public enum EvalGroupKey: String, CaseIterable, Sendable {
    case bandSource = "band_source"
    case runtime
    case model
    case step
    case liquidityBucket = "liquidity_bucket"
    case tteBucket = "tte_bucket"
    case category
    case marketId = "market_id"
}
