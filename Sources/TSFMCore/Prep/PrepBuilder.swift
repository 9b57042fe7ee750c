/// Turns quote histories into forecast requests: one per market as of a time (live), or one at
/// every K-th grid point with its realized future (backtest).
public struct PrepBuilder {
    public var settings: PrepSettings
    public var metadata: [String: MarketMetadata]

    public init(settings: PrepSettings, metadata: [String: MarketMetadata] = [:]) {
        self.settings = settings
        self.metadata = metadata
    }

    var step: Int64 { settings.cadence.seconds }

    /// History a live window needs before the latest time, for `QuoteBook(keepSeconds:)`.
    public var liveKeepSeconds: Int64 {
        (Int64(settings.inputLength) + settings.lookbackPoints + 2) * step + Int64(settings.maxTradeAgeSeconds)
    }

    func lastQuoteAge(_ history: MarketHistory, at t: Timestamp) -> Double? {
        history.latest(atOrBefore: t).map { Double(t.millis - $0.ts.millis) / 1000 }
    }

    /// The live request of one market as of `asOf` (on the grid); nil when the market has no
    /// usable price in the window.
    public func liveRequest(_ id: String, _ history: MarketHistory, asOf: Timestamp) -> PrepRequest? {
        let kEnd = asOf.seconds / step
        let kStart = kEnd - Int64(settings.inputLength) + 1
        let series = GridSeries.build(history, cadence: settings.cadence, from: kStart - settings.lookbackPoints,
                                      to: kEnd, maxAgeMs: settings.maxAgeMs)
        let window = series.slice(from: kStart, to: kEnd)
        guard !window.isEmpty else { return nil }
        let meta = metadata[id]
        let quality = WindowQuality.judge(window, lastQuoteAgeSeconds: lastQuoteAge(history, at: asOf), metadata: meta,
                                          settings: settings)
        return PrepRequest(marketId: id, asOf: asOf, window: window, quality: quality, metadata: meta)
    }

    /// Live requests for every market (sorted by market_id), the markets with no usable price,
    /// and, with `top`, only the N best by score, in rank order.
    public func liveRequests(_ book: QuoteBook, asOf: Timestamp, top: Int?) -> (requests: [PrepRequest], unusable: [String]) {
        var requests: [PrepRequest] = []
        var unusable: [String] = []
        for id in book.marketIds {
            if let r = liveRequest(id, book.markets[id]!, asOf: asOf) { requests.append(r) } else { unusable.append(id) }
        }
        guard let top else { return (requests, unusable) }
        let ranked = TopSelection.rank(requests.map { (id: $0.marketId, volume: $0.metadata?.volume24h,
                                                        openInterest: $0.metadata?.openInterest) })
        let byId = Dictionary(uniqueKeysWithValues: requests.map { ($0.marketId, $0) })
        let chosen = ranked.prefix(top).map { entry -> PrepRequest in
            var r = byId[entry.id]!
            r.selection = (entry.rank, entry.score)
            return r
        }
        return (chosen, unusable)
    }

    /// Backtest requests of one market: at every grid point k with k % stride == 0 whose full
    /// window and complete future lie inside the data. Each window uses only quotes at or before
    /// its as-of time; `y_future` holds the next max(horizon, future-steps) points.
    public func backtestRequests(_ id: String, _ history: MarketHistory, stride: Int64) -> [PrepRequest] {
        var out: [PrepRequest] = []
        backtestRequests(id, history, stride: stride) { out.append($0) }
        return out
    }

    /// The same, handing each request to `body` as soon as it is built, so memory holds one
    /// market's grid (bounded by `--max-span`) and one request, not every request of the market.
    /// Returns the number of requests.
    @discardableResult
    public func backtestRequests(_ id: String, _ history: MarketHistory, stride: Int64,
                                 _ body: (PrepRequest) throws -> Void) rethrows -> Int {
        guard let first = history.firstTs, let latest = history.latestTs else { return 0 }
        let kFirst = (first.seconds + step - 1) / step
        let kLast = latest.seconds / step
        let series = GridSeries.build(history, cadence: settings.cadence, from: kFirst, to: kLast, maxAgeMs: settings.maxAgeMs)
        guard !series.isEmpty else { return 0 }
        let length = Int64(settings.inputLength)
        let future = Int64(settings.futureLength)
        var k = series.start + length - 1
        if k % stride != 0 { k += stride - ((k % stride) + stride) % stride }
        let meta = metadata[id]
        var count = 0
        while k + future <= kLast {
            let asOf = Timestamp(seconds: k * step)
            let window = series.slice(from: k - length + 1, to: k)
            let quality = WindowQuality.judge(window, lastQuoteAgeSeconds: lastQuoteAge(history, at: asOf), metadata: meta,
                                              settings: settings)
            var r = PrepRequest(marketId: id, asOf: asOf, window: window, quality: quality, metadata: meta)
            r.yFuture = series.slice(from: k + 1, to: k + future).values
            try body(r)
            count += 1
            k += stride
        }
        return count
    }

    /// The realized values of the `count` grid points after `asOf` on `cadence`, or nil when the
    /// quotes do not reach that far yet.
    public func realizedFuture(_ history: MarketHistory, asOf: Timestamp, cadence: Cadence, count: Int) -> [Double]? {
        guard let latest = history.latestTs else { return nil }
        let s = cadence.seconds
        let k = asOf.seconds / s
        let kEnd = k + Int64(count)
        guard kEnd <= latest.seconds / s else { return nil }
        var local = settings
        local.cadence = cadence
        let series = GridSeries.build(history, cadence: cadence, from: k - local.lookbackPoints, to: kEnd, maxAgeMs: settings.maxAgeMs)
        let future = series.slice(from: k + 1, to: kEnd)
        return future.values.count == count ? future.values : nil
    }
}

/// What identifies a stored forecast's future: market, as-of time, cadence and horizon.
public struct ForecastKey: Sendable {
    public var marketId: String
    public var asOf: Timestamp
    public var freq: Cadence
    public var horizonSteps: Int

    public init(record: Record) throws {
        let header = try RecordHeader(record: record)
        marketId = header.marketId
        asOf = header.asOf
        freq = header.freq
        horizonSteps = try header.checkedHorizon()
    }
}
