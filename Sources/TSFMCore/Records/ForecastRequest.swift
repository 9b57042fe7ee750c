/// The typed view of a forecast request (docs/records.md), decoded from a record. Omitted
/// optional fields take the product defaults; the record itself keeps every field for output.
public struct ForecastRequest: Sendable {
    public var marketId: String
    public var asOf: Timestamp
    public var freq: Cadence
    public var horizonSteps: Int
    /// Requested quantile levels, ascending.
    public var quantiles: [Double]
    /// The series in probabilities, oldest first, ending at `asOf`.
    public var y: [Double]
    public var transform: Transform
    public var liquidityBucket: String?
    public var volume24h: Double?
    public var openInterest: Double?
    /// prep's verdict; nil when the request has no quality block.
    public var tsfmEligible: Bool?
    public var baselineOnlyReasons: [String]
    /// prep's `quality.missing_ratio`, for the per-request log; nil without one.
    public var missingRatio: Double?
    /// Realized values after `asOf` (backtest mode).
    public var yFuture: [Double]?
    /// `model.model_name`, when the request names one.
    public var modelName: String?
    /// `model.params`, when an object: sent to tollama as the model-family `options`.
    public var modelParams: JSONObject?

    /// Hard cap on input length, from the product requirements.
    public static let maxInputLength = 2000
    public static let defaultHorizon = 12
    /// Caps on every length a record can ask a tool to build (docs/records.md): a record over one
    /// is a bad line, so no line can make a tool allocate without bound.
    public static let maxHorizon = 2000
    /// `y_future` (and `tsfm-prep --future-steps`): long enough for a 6h follow-through at 1m.
    public static let maxFutureLength = 10_000
    public static let maxQuantileLevels = QuantileLevel.maxCount

    /// A record's `horizon_steps` (default 12), checked against 1...`maxHorizon`.
    public static func horizon(of record: Record) throws -> Int {
        guard let horizon = try record.int(FieldName.horizonSteps) else { return defaultHorizon }
        return try RecordHeader.checked(horizon)
    }

    public init(marketId: String, asOf: Timestamp, freq: Cadence = .standard, horizonSteps: Int = defaultHorizon,
                quantiles: [Double] = QuantileLevel.standard, y: [Double], transform: Transform = .standard) {
        self.marketId = marketId
        self.asOf = asOf
        self.freq = freq
        self.horizonSteps = horizonSteps
        self.quantiles = quantiles
        self.y = y
        self.transform = transform
        baselineOnlyReasons = []
    }

    /// Decodes and validates. Errors name the field.
    public init(record: Record) throws {
        let header = try RecordHeader(record: record)
        let horizon = try header.checkedHorizon()
        var levels = QuantileLevel.standard
        if let given = try record.doubles(FieldName.quantiles) {
            levels = try QuantileLevel.validated(given, field: FieldName.quantiles)
        }
        guard let y = try record.doubles(FieldName.y) else { throw RecordError.missing(FieldName.y) }
        guard !y.isEmpty else { throw RecordError(field: FieldName.y, "is empty") }
        guard y.count <= Self.maxInputLength else {
            throw RecordError(field: FieldName.y, "has \(y.count) points; the cap is \(Self.maxInputLength)")
        }
        if let bad = y.firstIndex(where: { !($0 >= 0 && $0 <= 1) }) {
            throw RecordError(field: "\(FieldName.y)[\(bad)]", "\(y[bad]) is not a probability in [0, 1]")
        }
        var transform = Transform.standard
        if let json = try record.value(FieldName.transform), json != .null {
            transform = try Transform(json: json)
        }
        self.init(marketId: header.marketId, asOf: header.asOf, freq: header.freq, horizonSteps: horizon, quantiles: levels, y: y,
                  transform: transform)
        liquidityBucket = try record.string(FieldName.liquidityBucket)
        volume24h = try record.double(FieldName.volume24h)
        openInterest = try record.double(FieldName.openInterest)
        yFuture = try record.doubles(FieldName.yFuture)
        if let f = yFuture, f.count > Self.maxFutureLength {
            throw RecordError(field: FieldName.yFuture, "has \(f.count) points; the cap is \(Self.maxFutureLength)")
        }
        if let quality = try record.object(FieldName.quality) {
            tsfmEligible = quality[QualityKey.tsfmEligible]?.bool
            baselineOnlyReasons = quality[QualityKey.baselineOnlyReasons]?.array?.compactMap(\.string) ?? []
            missingRatio = quality[QualityKey.missingRatio]?.number
        }
        if let model = try record.object(FieldName.model) {
            modelName = model["model_name"]?.string
            modelParams = model["params"]?.object
        }
    }

    /// Timestamps of the input points, oldest first: the last one is `asOf`.
    public var inputTimestamps: [Timestamp] {
        let n = Int64(y.count)
        return (0..<n).map { asOf - (n - 1 - $0) * freq.seconds }
    }
}
