/// Everything that shapes prep's requests; the defaults are the product's (DESIGN.md).
public struct PrepSettings: Sendable {
    public var cadence: Cadence = .standard
    public var inputLength = 288
    public var horizon = 12
    /// y_future length in backtest/actuals: max(horizon, futureSteps).
    public var futureSteps: Int?
    public var quantiles: [Double] = QuantileLevel.standard
    public var transform: Transform = .standard
    /// A record (and a last trade) counts as observed at a grid point only this fresh.
    public var maxTradeAgeSeconds: Double = 15 * 60
    /// Forward-fill limit; a longer gap makes the request TSFM-ineligible.
    public var maxGapSeconds: Double = 60 * 60
    public var minInput = 32
    public var illiquidVolume: Double = 5000
    /// The widest span of quote times a run accepts (`--max-span`); a quote outside is a bad line.
    public var maxSpanSeconds: Double = 366 * 86_400

    /// Caps on flag values (docs/tsfm-prep.md): each bounds what one record or one market can
    /// make prep allocate.
    public static let maxHorizon = ForecastRequest.maxHorizon
    public static let maxFutureSteps = ForecastRequest.maxFutureLength
    public static let maxGapLimitSeconds: Double = 7 * 86_400
    public static let maxStride = 1_000_000
    public static let maxTop = 1_000_000

    /// The hard cap of a request's length (DESIGN.md).
    public static let maxInputLength = ForecastRequest.maxInputLength

    public init() {}

    public var futureLength: Int { max(horizon, futureSteps ?? horizon) }
    var maxAgeMs: Int64 { Int64(maxTradeAgeSeconds * 1000) }
    var maxGapMinutes: Double { maxGapSeconds / 60 }
    /// Grid points looked at before a window so a value can be carried into it.
    var lookbackPoints: Int64 { Int64((maxGapSeconds / Double(cadence.seconds)).rounded(.up)) + 1 }
}

/// prep's verdict on one window.
public struct WindowQuality: Equatable, Sendable {
    public var inputLength: Int
    public var missingRatio: Double
    public var longestGapMinutes: Int
    public var reasons: [BaselineOnlyReason]
    public var eligible: Bool { reasons.isEmpty }

    /// Judges a window: `lastQuoteAge` is how old the market's latest quote (of any kind) is at
    /// the as-of time, nil when it has none at or before it.
    public static func judge(_ window: GridSeries, lastQuoteAgeSeconds: Double?, metadata: MarketMetadata?,
                             settings: PrepSettings) -> WindowQuality {
        let filled = window.filled.reduce(0) { $0 + ($1 ? 1 : 0) }
        let longest = window.ageMinutes.max() ?? 0
        var reasons: [BaselineOnlyReason] = []
        if Double(longest) > settings.maxGapMinutes { reasons.append(.gapTooLong) }
        if window.values.count < settings.minInput { reasons.append(.tooShort) }
        if LiquidityBucket(text: metadata?.liquidityBucket) == .low || (metadata?.volume24h.map { $0 < settings.illiquidVolume } ?? false) {
            reasons.append(.illiquid)
        }
        if lastQuoteAgeSeconds.map({ $0 > settings.maxGapSeconds }) ?? true { reasons.append(.stale) }
        let ratio = window.values.isEmpty ? 0 : Double(filled) / Double(window.values.count)
        return WindowQuality(inputLength: window.values.count, missingRatio: (ratio * 1e6).rounded() / 1e6,
                             longestGapMinutes: longest, reasons: reasons)
    }
}
