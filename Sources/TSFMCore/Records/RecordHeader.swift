/// The fields every request and forecast begins with — `market_id`, `as_of_ts`, `freq`,
/// `horizon_steps` — decoded and checked in one place, so tsfm-forecast (`ForecastRequest`),
/// `tsfm-prep actuals` (`ForecastKey`) and tsfm-eval (`ScoredForecast`) name the same problem
/// the same way.
public struct RecordHeader: Sendable {
    public var marketId: String
    public var asOf: Timestamp
    public var freq: Cadence
    /// As written; nil when absent (a request then means 12 steps, a scored forecast its band's
    /// length). `checkedHorizon` applies the request rules.
    public var horizonSteps: Int?

    /// Decodes the header; throws a `RecordError` naming the field.
    public init(record: Record) throws {
        guard let marketId = try record.string(FieldName.marketId), !marketId.isEmpty else {
            throw RecordError.missing(FieldName.marketId)
        }
        guard let asOfText = try record.string(FieldName.asOfTs) else {
            throw RecordError.missing(FieldName.asOfTs)
        }
        guard let asOf = Timestamp(asOfText) else {
            throw RecordError(field: FieldName.asOfTs, "'\(asOfText)' is not an RFC 3339 timestamp")
        }
        var freq = Cadence.standard
        if let text = try record.string(FieldName.freq) {
            guard let c = Cadence(rawValue: text) else {
                throw RecordError(field: FieldName.freq, "'\(text)' is not one of 1m, 5m, 15m, 1h")
            }
            freq = c
        }
        self.marketId = marketId
        self.asOf = asOf
        self.freq = freq
        horizonSteps = try record.int(FieldName.horizonSteps)
    }

    /// `horizon_steps` by the request rules: 12 when absent, else within 1...`maxHorizon`.
    public func checkedHorizon() throws -> Int {
        guard let horizon = horizonSteps else { return ForecastRequest.defaultHorizon }
        return try Self.checked(horizon)
    }

    static func checked(_ horizon: Int) throws -> Int {
        guard horizon >= 1, horizon <= ForecastRequest.maxHorizon else {
            throw RecordError(field: FieldName.horizonSteps, "\(horizon) is outside 1...\(ForecastRequest.maxHorizon)")
        }
        return horizon
    }
}
