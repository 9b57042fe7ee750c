import Testing
@testable import TSFMCore

/// t minutes after 2026-11-24T00:00:00Z.
func at(_ minutes: Double) -> Timestamp {
    Timestamp(millis: Timestamp("2026-11-24T00:00:00Z")!.millis + Int64(minutes * 60_000))
}

func history(_ quotes: [(Double, Quote.Price)]) -> MarketHistory {
    var h = MarketHistory()
    for (m, p) in quotes { h.add(Quote(ts: at(m), price: p)) }
    return h
}

func gridIndex(_ minutes: Double, _ cadence: Cadence = .fiveMinutes) -> Int64 { at(minutes).seconds / cadence.seconds }

@Suite("tsfm-prep: quote lines")
struct QuoteParserTests {
    func parse(_ text: String) throws -> QuoteLine? {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { try QuoteParser.parse(UnsafeBufferPointer($0)) }
    }

    func reason(_ text: String) -> String? {
        do {
            _ = try parse(text)
            return nil
        } catch { return "\(error)" }
    }

    @Test func formsOfQuote() throws {
        #expect(try parse(#"{"market_id":"m","ts":"2026-11-24T00:00:00Z","bid":0.4,"ask":0.5,"last_trade":0.1}"#)?.quote.price == .mid(0.45))
        #expect(try parse(#"{"market_id":"m","ts":"2026-11-24T00:00:00Z","price":0.3,"extra":[1,{"a":2}]}"#)?.quote.price == .mid(0.3))
        #expect(try parse(#"{"market_id":"m","ts":"2026-11-24T00:05:00Z","bid":0.4,"ask":null,"last_trade":0.42,"last_trade_ts":"2026-11-24T00:01:00Z"}"#)?.quote.price
            == .trade(0.42, at: at(1)))
        #expect(try parse(#"{"market_id":"m","ts":"2026-11-24T00:00:00Z","last_trade":0.42}"#)?.quote.price == .trade(0.42, at: at(0)))
        #expect(try parse(#"{"market_id":"m","ts":"2026-11-24T00:00:00Z","bid":null,"ask":null}"#)?.quote.price == Quote.Price.none)
        #expect(try parse(#"{"error":{"file":"x","line":1,"reason":"r"},"input":"z"}"#) == nil)
    }

    @Test func badLinesNameTheField() {
        #expect(reason(#"{"market_id":"m","ts":"2026-11-24T00:00:00Z","bid":1.2,"ask":1.3}"#) == "field 'bid': 1.2 is not a probability in [0, 1]")
        #expect(reason(#"{"market_id":"m","ts":"2026-11-24T00:00:00Z","bid":0.6,"ask":0.5}"#) == "field 'bid': bid 0.6 is above ask 0.5")
        #expect(reason(#"{"market_id":"m","ts":"yesterday","price":0.5}"#) == "field 'ts': 'yesterday' is not an RFC 3339 timestamp")
        #expect(reason(#"{"ts":"2026-11-24T00:00:00Z","price":0.5}"#) == "field 'market_id': missing")
        #expect(reason(#"{"market_id":"m","ts":"2026-11-24T00:00:00Z","price":"0.5"}"#) == "field 'price': expected a number")
        #expect(reason(#"{"market_id":"m","price":0.5}"#) == "field 'ts': missing")
        #expect(reason(#"[1]"#) == "not a JSON object")
        #expect(reason(#"{"market_id":"m","#)?.hasPrefix("not valid JSON") == true)
    }
}

@Suite("tsfm-prep: y rules")
struct GridSeriesTests {
    let maxAge: Int64 = 15 * 60_000

    func series(_ h: MarketHistory, from: Double, to: Double, _ cadence: Cadence = .fiveMinutes) -> GridSeries {
        GridSeries.build(h, cadence: cadence, from: gridIndex(from, cadence), to: gridIndex(to, cadence), maxAgeMs: maxAge)
    }

    @Test func midThenTradeThenFill() {
        let h = history([(0, .mid(0.4)), (4, .trade(0.6, at: at(3))), (30, .mid(0.5))])
        let s = series(h, from: 0, to: 30)
        // 0: mid; 5: latest is the trade (age 2 min) → 0.6; 10, 15: trade still ≤ 15 min old;
        // 20: trade 17 min old and record 16 min old → carried; 25 carried; 30 mid.
        #expect(s.values == [0.4, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5])
        #expect(s.filled == [false, false, false, false, true, true, false])
        #expect(s.ageMinutes == [0, 0, 0, 0, 5, 10, 0])
    }

    @Test func tradeExactlyFifteenMinutesOldIsObserved() {
        let h = history([(0, .trade(0.3, at: at(0)))])
        let s = series(h, from: 0, to: 20)
        #expect(s.filled == [false, false, false, false, true])
    }

    @Test func emptyBookObservesNothing() {
        let h = history([(0, .mid(0.3)), (3, .none)])
        let s = series(h, from: 0, to: 5)
        #expect(s.values == [0.3, 0.3])
        #expect(s.filled == [false, true])
    }

    @Test func gapExactlySixtyMinutesIsStillEligible() {
        var settings = PrepSettings()
        settings.minInput = 1
        // A quote at 0 observes the points 0…15 (a record counts for 15 minutes); with the next
        // quote at 80, the points 20…75 are carried: a run of 60 minutes, the limit.
        let exactly = history([(0, .mid(0.3)), (80, .mid(0.31)), (100, .mid(0.3))])
        let s = series(exactly, from: 0, to: 100)
        #expect(s.ageMinutes.max() == 60)
        #expect(WindowQuality.judge(s, lastQuoteAgeSeconds: 0, metadata: nil, settings: settings).reasons.isEmpty)
        let longer = history([(0, .mid(0.3)), (85, .mid(0.31)), (100, .mid(0.3))])
        let t = series(longer, from: 0, to: 100)
        #expect(t.ageMinutes.max() == 65)
        #expect(WindowQuality.judge(t, lastQuoteAgeSeconds: 0, metadata: nil, settings: settings).reasons == [.gapTooLong])
    }

    @Test func outOfOrderAndDuplicateQuotes() {
        var h = MarketHistory()
        h.add(Quote(ts: at(10), price: .mid(0.5)))
        h.add(Quote(ts: at(5), price: .mid(0.4)))  // late
        h.add(Quote(ts: at(5), price: .mid(0.45)))  // same time: the later line wins
        h.add(Quote(ts: at(4.5), price: .mid(0.9)))  // earlier in the same minute bucket: loses
        let s = series(h, from: 5, to: 10)
        #expect(s.values == [0.45, 0.5])
    }

    @Test func gridIsAlignedToTheEpochForEveryCadence() {
        // Quotes every minute from 00:00 to 02:00, value = minute / 1000.
        let h = history((0...120).map { (Double($0), .mid(Double($0) / 1000)) })
        for (cadence, minutes) in [(Cadence.oneMinute, 1.0), (.fiveMinutes, 5), (.fifteenMinutes, 15), (.oneHour, 60)] {
            let s = series(h, from: 0, to: 120, cadence)
            #expect(s.values.count == Int(120 / minutes) + 1, "\(cadence)")
            #expect(s.values.enumerated().allSatisfy { i, v in abs(v - Double(i) * minutes / 1000) < 1e-12 }, "\(cadence)")
        }
    }

    @Test func quoteOffTheGridCountsAtTheNextPoint() {
        let h = history([(2.5, .mid(0.3))])
        let s = series(h, from: 0, to: 5)
        #expect(s.start == gridIndex(5))
        #expect(s.values == [0.3])
    }

    @Test func midsAreRoundedToTenDecimals() {
        let h = history([(0, .mid((0.41 + 0.42) / 2))])
        #expect(series(h, from: 0, to: 0).values == [0.415])
    }
}

@Suite("tsfm-prep: requests")
struct PrepBuilderTests {
    func settings(_ inputLength: Int = 6, horizon: Int = 2) -> PrepSettings {
        var s = PrepSettings()
        s.inputLength = inputLength
        s.horizon = horizon
        s.minInput = 3
        return s
    }

    @Test func tteBuckets() {
        let t = at(0)
        #expect(TTEBucket.label(asOf: t, end: nil) == "unknown")
        #expect(TTEBucket.label(asOf: t, end: t + 3600) == "<1d")
        #expect(TTEBucket.label(asOf: t, end: t + 86_400) == "1d-7d")
        #expect(TTEBucket.label(asOf: t, end: t + 7 * 86_400) == "7d-30d")
        #expect(TTEBucket.label(asOf: t, end: t + 30 * 86_400) == ">30d")
        #expect(TTEBucket.label(asOf: t, end: t - 60) == "<1d")
    }

    @Test func topNWithTiesAndMissingMetadata() {
        let ranked = TopSelection.rank([
            (id: "b", volume: 100, openInterest: 10), (id: "a", volume: 100, openInterest: 10),
            (id: "c", volume: nil, openInterest: nil), (id: "d", volume: 300, openInterest: 30),
        ])
        // c's missing values count as the mean (z = 0), above a and b, which are below it; a and
        // b tie and are ordered by market_id.
        #expect(ranked.map(\.id) == ["d", "c", "a", "b"])
        #expect(ranked.map(\.rank) == [1, 2, 3, 4])
        #expect(ranked[1].score == 0)
        #expect(ranked[2].score == ranked[3].score && ranked[2].score < 0)
        #expect(TopSelection.rank([(id: "x", volume: nil, openInterest: nil)]).first?.score == 0)
    }

    @Test func illiquidAndStaleAndTooShort() {
        var meta = MarketMetadata()
        meta.liquidityBucket = "LOW"
        let h = history([(0, .mid(0.3)), (5, .mid(0.3))])
        let builder = PrepBuilder(settings: settings(), metadata: ["m": meta])
        let r = builder.liveRequest("m", h, asOf: at(90))!
        #expect(r.quality.reasons == [.gapTooLong, .illiquid, .stale])
        var lowVolume = MarketMetadata()
        lowVolume.volume24h = 4999
        let q = WindowQuality.judge(GridSeries(start: 0, values: [0.5, 0.5, 0.5], filled: [false, false, false], ageMinutes: [0, 0, 0]),
                                    lastQuoteAgeSeconds: 60, metadata: lowVolume, settings: settings())
        #expect(q.reasons == [.illiquid])
        let short = WindowQuality.judge(GridSeries(start: 0, values: [0.5, 0.5], filled: [false, false], ageMinutes: [0, 0]),
                                        lastQuoteAgeSeconds: 60, metadata: nil, settings: settings())
        #expect(short.reasons == [.tooShort])
    }

    @Test func backtestWindowsAndFutureAlignment() {
        // A quote every 5 minutes, value = minute / 1000.
        let h = history((0...24).map { (Double($0 * 5), .mid(Double($0 * 5) / 1000)) })
        let requests = PrepBuilder(settings: settings()).backtestRequests("m", h, stride: 3)
        #expect(!requests.isEmpty)
        for r in requests {
            let k = r.asOf.seconds / 300
            #expect(k % 3 == 0)
            #expect(r.window.values.count == 6)
            #expect(r.window.end == k)
            // y ends at the as-of value; y_future is the next two grid points.
            #expect(abs(r.window.values.last! - Double(r.asOf.millis - at(0).millis) / 60_000 / 1000) < 1e-12)
            #expect(r.yFuture!.count == 2)
            #expect(abs(r.yFuture![0] - r.window.values.last! - 0.005) < 1e-12)
        }
        // The last request leaves room for its future inside the data.
        #expect(requests.last!.asOf <= at(120 - 10))
    }

    @Test func noLookAhead() {
        // The same history, with and without quotes after t: the request as of t is identical.
        let early: [(Double, Quote.Price)] = (0...12).map { (Double($0 * 5), .mid(0.3 + Double($0) / 100)) }
        let late: [(Double, Quote.Price)] = [(61, .mid(0.99)), (62, .none), (70, .mid(0.01))]
        let builder = PrepBuilder(settings: settings())
        let a = builder.liveRequest("m", history(early), asOf: at(60))!
        let b = builder.liveRequest("m", history(early + late), asOf: at(60))!
        #expect(a.window == b.window)
        #expect(a.quality == b.quality)
        // And in backtest, each window equals the live request built from quotes up to its as-of only.
        let all = history(early + late)
        for r in builder.backtestRequests("m", all, stride: 1) {
            let cut = history((early + late).filter { at($0.0) <= r.asOf })
            #expect(builder.liveRequest("m", cut, asOf: r.asOf)?.window == r.window, "as of \(r.asOf)")
        }
    }

    @Test func futureStepsExtendYFuture() {
        var s = settings()
        s.futureSteps = 5
        let h = history((0...24).map { (Double($0 * 5), .mid(0.5)) })
        #expect(PrepBuilder(settings: s).backtestRequests("m", h, stride: 1).allSatisfy { $0.yFuture?.count == 5 })
    }

    @Test func actualsJoinOnlyCompleteFutures() {
        let h = history((0...12).map { (Double($0 * 5), .mid(Double($0) / 100)) })
        let builder = PrepBuilder(settings: settings())
        #expect(builder.realizedFuture(h, asOf: at(30), cadence: .fiveMinutes, count: 3) == [0.07, 0.08, 0.09])
        #expect(builder.realizedFuture(h, asOf: at(50), cadence: .fiveMinutes, count: 3) == nil)
        #expect(builder.realizedFuture(h, asOf: at(0), cadence: .fifteenMinutes, count: 2) == [0.03, 0.06])
    }

    @Test func liveHistoryIsBounded() {
        var h = MarketHistory()
        let keep: Int64 = 3600
        for m in 0..<20_000 {
            h.add(Quote(ts: at(Double(m)), price: .mid(0.5)))
            if m % 1000 == 0 { h.prune(before: at(Double(m)) - keep) }
        }
        #expect(h.minutes.count - h.head <= 60 + 1001)
        #expect(h.minutes.count < 6000)
    }

    @Test func requestJSON() throws {
        var meta = MarketMetadata()
        meta.volume24h = 6000
        meta.liquidityBucket = "HIGH"
        meta.category = "politics"
        let h = history([(0, .mid(0)), (5, .mid(1))])
        var s = settings(2)
        s.minInput = 1
        let r = PrepBuilder(settings: s, metadata: ["m": meta]).liveRequest("m", h, asOf: at(5))!
        let text = String(decoding: try r.encoded(settings: s), as: UTF8.self)
        #expect(text == #"{"market_id":"m","as_of_ts":"2026-11-24T00:05:00Z","freq":"5m","horizon_steps":2,"quantiles":[0.1,0.5,0.9],"y":[1e-06,0.999999],"transform":{"space":"logit","eps":1e-06},"volume_24h":6000.0,"liquidity_bucket":"HIGH","category":"politics","tte_bucket":"unknown","quality":{"input_len":2,"missing_ratio":0.0,"longest_gap_min":0,"tsfm_eligible":true,"baseline_only_reasons":[]}}"# + "\n")
        // What prep writes, tsfm-forecast reads.
        let request = try ForecastRequest(record: Record(String(text.dropLast())))
        #expect(request.y == [1e-6, 0.999999])
        #expect(request.tsfmEligible == true)
    }
}
