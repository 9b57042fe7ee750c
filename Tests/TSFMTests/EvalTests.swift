import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import TSFMCore

@Suite("tsfm-eval: metrics")
struct EvalMetricTests {
    /// The inline storage of the scalar terms has one slot per `Term` (a new term must widen it),
    /// and every term has its own key in partial files.
    @Test func termStorageFitsTheTermTable() {
        let a = MetricAccumulator()
        #expect(a.sums.count == MetricAccumulator.Term.allCases.count)
        #expect(a.counts.count == MetricAccumulator.Term.allCases.count)
        #expect(Set(MetricAccumulator.Term.allCases.map(\.key)).count == MetricAccumulator.Term.allCases.count)
    }

    @Test func pairDetectionForArbitraryLevelSets() {
        #expect(IntervalMetrics.pairs([0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95]).map(\.name) == ["0.05-0.95", "0.1-0.9", "0.25-0.75"])
        #expect(IntervalMetrics.pairs([0.1, 0.5, 0.8]).isEmpty)
        #expect(IntervalMetrics.pairs([0.2, 0.8]).first.map { abs($0.nominal - 0.6) < 1e-12 } == true)
        #expect(IntervalMetrics.pairs([0.3, 0.7000000000001]).count == 1)
    }

    @Test func pinballHandComputed() {
        #expect(abs(IntervalMetrics.pinball(level: 0.1, predicted: 0.5, actual: 0.6) - 0.01) < 1e-12)
        #expect(abs(IntervalMetrics.pinball(level: 0.1, predicted: 0.5, actual: 0.4) - 0.09) < 1e-12)
        #expect(IntervalMetrics.pinball(level: 0.9, predicted: 0.5, actual: 0.5) == 0)
    }

    @Test func winklerAndCoverageAtTheEdges() {
        #expect(abs(IntervalMetrics.winkler(lo: 0.4, hi: 0.6, alpha: 0.2, actual: 0.3) - 1.2) < 1e-12)
        #expect(abs(IntervalMetrics.winkler(lo: 0.4, hi: 0.6, alpha: 0.2, actual: 0.65) - 0.7) < 1e-12)
        #expect(abs(IntervalMetrics.winkler(lo: 0.4, hi: 0.6, alpha: 0.2, actual: 0.4) - 0.2) < 1e-12)
        #expect(IntervalMetrics.covers(lo: 0.4, hi: 0.6, actual: 0.4))
        #expect(IntervalMetrics.covers(lo: 0.4, hi: 0.6, actual: 0.6))
        #expect(!IntervalMetrics.covers(lo: 0.4, hi: 0.6, actual: 0.6000001))
    }

    @Test func wisHandComputed() {
        // (½·|0.7−0.5| + (0.2/2)·(0.2 + 10·0.1)) / 1.5
        let w = IntervalMetrics.wis(median: 0.5, intervals: [(0.4, 0.6, 0.2)], actual: 0.7)!
        #expect(abs(w - (0.1 + 0.12) / 1.5) < 1e-12)
        #expect(abs(IntervalMetrics.wis(median: nil, intervals: [(0.4, 0.6, 0.2)], actual: 0.5)! - 0.02) < 1e-12)
        #expect(IntervalMetrics.wis(median: nil, intervals: [], actual: 0.5) == nil)
    }

    @Test func followThroughWindows() {
        // Breach above at index 1 (0.70); a move of ≥ 0.03 up comes at index 3.
        #expect(IntervalMetrics.followThrough(path: [0.5, 0.7, 0.72, 0.74], at: 1, above: true, move: 0.03, window: 2) == true)
        #expect(IntervalMetrics.followThrough(path: [0.5, 0.7, 0.72, 0.74], at: 1, above: true, move: 0.03, window: 1) == false)
        // Downward breach: only a move down counts.
        #expect(IntervalMetrics.followThrough(path: [0.5, 0.3, 0.35, 0.26], at: 1, above: false, move: 0.03, window: 2) == true)
        #expect(IntervalMetrics.followThrough(path: [0.5, 0.3, 0.35, 0.34], at: 1, above: false, move: 0.03, window: 2) == false)
        // A move of exactly --move counts.
        #expect(IntervalMetrics.followThrough(path: [0.5, 0.7, 0.73], at: 1, above: true, move: 0.03, window: 1) == true)
        // The window runs past the data: undecided, even when a move came within what there is
        // (judging only whole windows keeps cut-off quiet breaches from biasing the rate up).
        #expect(IntervalMetrics.followThrough(path: [0.5, 0.7, 0.71], at: 1, above: true, move: 0.03, window: 3) == nil)
        #expect(IntervalMetrics.followThrough(path: [0.5, 0.7, 0.75], at: 1, above: true, move: 0.03, window: 3) == nil)
        // The window ends exactly at the last point: decided.
        #expect(IntervalMetrics.followThrough(path: [0.5, 0.7, 0.71, 0.72], at: 1, above: true, move: 0.03, window: 2) == false)
        // A breach at the last step: nothing after it.
        #expect(IntervalMetrics.followThrough(path: [0.5, 0.7], at: 1, above: true, move: 0.03, window: 2) == nil)
        // A window shorter than one step decides nothing.
        #expect(IntervalMetrics.followThrough(path: [0.5, 0.7, 0.8], at: 1, above: true, move: 0.03, window: 0) == nil)
    }
}

func scored(_ market: String, _ asOf: String, source: String = "baseline", category: String = "politics", event: String? = nil,
            band: [[Double]] = [[0.4, 0.4], [0.5, 0.5], [0.6, 0.6]], future: [Double] = [0.5, 0.65],
            freq: String = "5m", target: Double? = nil) throws -> ScoredForecast {
    let text = """
        {"market_id":"\(market)","as_of_ts":"\(asOf)","freq":"\(freq)","horizon_steps":2,"category":"\(category)",\
        \(event.map { "\"event_id\":\"\($0)\"," } ?? "")"yhat_q":{"0.1":\(band[0]),"0.5":\(band[1]),"0.9":\(band[2])},\
        "y_future":\(future),"meta":{"band_source":"\(source)"\(target.map { ",\"conformal\":{\"target\":\($0)}" } ?? "")}}
        """
    return try ScoredForecast(record: Record(text))!
}

/// Runs records of ten events per category (two markets each, `times` as-of hours) through an
/// evaluator's two passes; returns the records fed.
@discardableResult
func evaluateEvents(_ e: Evaluator, categories: [String], times: Int) throws -> [ScoredForecast] {
    var records: [ScoredForecast] = []
    for category in categories {
        for i in 0..<10 {
            for t in 0..<times {
                records.append(try scored("\(category)-\(i)-m\(t % 2)", "2026-11-24T0\(t):00:00Z", category: category,
                                          event: "\(category)-ev\(i)"))
            }
        }
    }
    try records.forEach { try e.observe($0) }
    e.beginSecondPass()
    records.forEach { e.rescore($0) }
    return records
}

@Suite("tsfm-eval: grouping, splits, pairing")
struct EvaluatorTests {
    func row(_ e: Evaluator, _ i: Int = 0) -> JSONObject { e.rows()[i] }

    @Test func aggregatesByStep() throws {
        let e = Evaluator(settings: EvalSettings())
        try e.observe(try scored("m", "2026-11-24T00:00:00Z"))
        let rows = e.rows()
        #expect(rows.count == 2)
        #expect(rows[0]["step"] == 1)
        // Step 1: y = 0.5 inside [0.4, 0.6]; step 2: y = 0.65 above, a breach.
        #expect(rows[0]["coverage"]?.object?["0.1-0.9"]?.object?["empirical"] == .double(1))
        #expect(rows[1]["coverage"]?.object?["0.1-0.9"]?.object?["empirical"] == .double(0))
        #expect(rows[1]["breach_rate"] == .double(1))
        #expect(rows[1]["winkler"]?.object?["0.1-0.9"] == .double(0.7))
        #expect(rows[1]["mae"] == .double(0.15))
        // No path after the breach at the last step: follow-through is undefined, not 0.
        #expect(rows[1]["followthrough_rate"] == .null)
        #expect(rows[1]["followthrough_n"] == 0)
    }

    @Test func recordsWithoutFutureAreNotScorable() throws {
        #expect(try ScoredForecast(record: Record(#"{"market_id":"m","yhat_q":{"0.5":[0.5]}}"#)) == nil)
    }

    @Test func pairedComparisonKeepsOnlyCommonKeys() throws {
        var settings = EvalSettings()
        settings.groupBy = [.bandSource]
        let e = Evaluator(settings: settings)
        let records = [
            try scored("a", "2026-11-24T00:00:00Z", source: "baseline"),
            try scored("a", "2026-11-24T00:00:00Z", source: "tsfm_raw"),
            try scored("b", "2026-11-24T00:00:00Z", source: "baseline", future: [0.9, 0.9]),
        ]
        try records.forEach { try e.observe($0) }
        #expect(e.needsSecondPass && e.isPaired)
        e.beginSecondPass()
        records.forEach { e.rescore($0) }
        let rows = e.rows()
        #expect(rows.map { $0["band_source"] } == ["baseline", "tsfm_raw"])
        #expect(rows.allSatisfy { $0["n_records"] == 1 })
    }

    @Test func timeSplitKeepsTheLatestFraction() throws {
        var settings = EvalSettings()
        settings.groupBy = [.bandSource]
        settings.split = .time(0.2)
        let e = Evaluator(settings: settings)
        let records = try (0..<10).map { try scored("m", Timestamp(seconds: 1_795_219_200 + Int64($0) * 300).rfc3339) }
        try records.forEach { try e.observe($0) }
        e.beginSecondPass()
        records.forEach { e.rescore($0) }
        #expect(e.rows().map { $0["split"] } == ["validation"])
        #expect(e.rows()[0]["n_records"] == 2)
    }

    @Test func eventSplitIsStratifiedDeterministicAndDisjoint() throws {
        func validationEvents(seed: UInt64) throws -> Set<String> {
            var settings = EvalSettings()
            settings.groupBy = [.marketId]
            settings.split = .event(0.2)
            settings.seed = seed
            let e = Evaluator(settings: settings)
            try evaluateEvents(e, categories: ["politics", "sports"], times: 3)
            let markets = e.rows().compactMap { $0["market_id"]?.string }
            // Two events per category (20%), both markets of an event together.
            #expect(Set(markets.map { $0.components(separatedBy: "-m")[0] }).count == 4)
            #expect(markets.filter { $0.hasPrefix("politics") }.count == 4)
            #expect(markets.filter { $0.hasPrefix("sports") }.count == 4)
            return Set(markets.map { $0.components(separatedBy: "-m")[0] })
        }
        #expect(try validationEvents(seed: 1) == validationEvents(seed: 1))
        #expect(try validationEvents(seed: 1) != validationEvents(seed: 2))
    }

    @Test func mediansErrorsAndWISHandComputed() throws {
        var settings = EvalSettings()
        settings.groupBy = [.bandSource]
        let e = Evaluator(settings: settings)
        // Steps: y = 0.5 (m = 0.5, inside), y = 0.65 (m = 0.5, above 0.6).
        try e.observe(try scored("m", "2026-11-24T00:00:00Z"))
        let row = e.rows()[0]
        #expect(row["n_records"] == 1 && row["n_steps"] == 2)
        #expect(row["mae"] == .double(0.075))
        // RMSE = sqrt((0² + 0.15²) / 2)
        #expect(row["rmse"] == .double(((0.15 * 0.15 / 2).squareRoot() * 1e9).rounded() / 1e9))
        // WIS per step: (0 + 0.1·0.2)/1.5 and (0.5·0.15 + 0.1·(0.2 + 10·0.05))/1.5
        let wis = (0.02 / 1.5 + (0.075 + 0.07) / 1.5) / 2
        #expect(row["wis"] == .double((wis * 1e9).rounded() / 1e9))
        #expect(row["wis_n"] == 2)
        // Pinball of level 0.9 at 0.6: step 1 (y below) 0.1·0.1, step 2 (y above) 0.9·0.05.
        #expect(row["pinball"]?.object?["0.9"] == .double(((0.01 + 0.045) / 2 * 1e9).rounded() / 1e9))
        #expect(row["pinball_n"]?.object?["0.9"] == 2)
        #expect(row["mean_width"]?.object?["0.1-0.9"] == .double(0.2))
        #expect(row["breach_rate"] == .double(0.5) && row["breach_n"] == 2)
    }

    @Test func noMedianLevelMeansNoMAE() throws {
        let text = """
            {"market_id":"m","as_of_ts":"2026-11-24T00:00:00Z","freq":"5m","horizon_steps":1,\
            "yhat_q":{"0.25":[0.4],"0.75":[0.6]},"y_future":[0.5]}
            """
        let e = Evaluator(settings: EvalSettings())
        try e.observe(try #require(try ScoredForecast(record: Record(text))))
        let row = e.rows()[0]
        #expect(row["mae"] == .null && row["rmse"] == .null && row["median_n"] == 0)
        #expect(row["coverage"]?.object?["0.25-0.75"]?.object?["empirical"] == .double(1))
        #expect(row["band_source"] == "unknown")
    }

    @Test func followThroughUsesThePathAfterTheHorizon() throws {
        // 1h cadence, --followthrough 2h = 2 steps. Step 2 breaches above (0.65 > 0.6); the
        // path after the horizon rises to 0.69 (a move of 0.04 ≥ 0.03) within 2 steps.
        var settings = EvalSettings()
        settings.groupBy = [.bandSource]
        settings.followThroughSeconds = 2 * 3600
        let e = Evaluator(settings: settings)
        try e.observe(try scored("a", "2026-11-24T00:00:00Z", future: [0.5, 0.65, 0.66, 0.69], freq: "1h"))
        // Same breach, path too short for the whole window: undecided.
        try e.observe(try scored("b", "2026-11-24T00:00:00Z", future: [0.5, 0.65, 0.69], freq: "1h"))
        // No path after the horizon at all.
        try e.observe(try scored("c", "2026-11-24T00:00:00Z", future: [0.5, 0.65], freq: "1h"))
        let row = e.rows()[0]
        #expect(row["breach_n"] == 6)
        #expect(row["breach_rate"] == .double(0.5))
        #expect(row["followthrough_n"] == 1)
        #expect(row["followthrough_rate"] == .double(1))
    }

    @Test func conformalTargetShownBesideTheOuterPair() throws {
        var settings = EvalSettings()
        settings.groupBy = [.bandSource]
        let e = Evaluator(settings: settings)
        try e.observe(try scored("a", "2026-11-24T00:00:00Z", source: "baseline_conformal", target: 0.9))
        let coverage = e.rows()[0]["coverage"]?.object?["0.1-0.9"]?.object
        #expect(coverage?["target"] == .double(0.9))
        #expect(coverage?["nominal"] == .double(0.8))
    }

    @Test func pairedComparisonCountsWhatItLeavesOut() throws {
        var settings = EvalSettings()
        settings.groupBy = [.bandSource]
        let e = Evaluator(settings: settings)
        let records = [
            try scored("a", "2026-11-24T00:00:00Z", source: "baseline"),
            try scored("a", "2026-11-24T00:00:00Z", source: "tsfm_raw"),
            try scored("a", "2026-11-24T00:00:00Z", source: "baseline_conformal"),
            try scored("a", "2026-11-24T00:05:00Z", source: "baseline"),
            try scored("a", "2026-11-24T00:05:00Z", source: "tsfm_raw"),
        ]
        try records.forEach { try e.observe($0) }
        e.beginSecondPass()
        records.forEach { e.rescore($0) }
        #expect(e.unpaired == 2)
        #expect(e.rows().map { $0["n_records"] } == [1, 1, 1])
        #expect(e.rows().allSatisfy { $0["paired"] == true })
    }

    @Test func noPairingAndNoSplitKeepsNoKeys() throws {
        var settings = EvalSettings()
        settings.paired = false
        let e = Evaluator(settings: settings)
        for i in 0..<50 {
            try e.observe(try scored("m\(i)", "2026-11-24T00:00:00Z", source: i % 2 == 0 ? "baseline" : "tsfm_raw"))
        }
        #expect(e.sourcesByKey.isEmpty && e.asOfTimes.isEmpty && e.eventsByCategory.isEmpty)
        #expect(!e.needsSecondPass && !e.isPaired)
        #expect(e.rows().count == 4)
    }

    @Test func eventSplitWithBothPutsNoEventOnBothSides() throws {
        var settings = EvalSettings()
        settings.groupBy = [.marketId]
        settings.split = .event(0.3)
        settings.seed = 11
        settings.both = true
        let e = Evaluator(settings: settings)
        let records = try evaluateEvents(e, categories: ["politics", "sports", "crypto"], times: 4)
        let rows = e.rows()
        func events(_ part: String) -> Set<String> {
            Set(rows.filter { $0["split"] == .string(part) }.compactMap { $0["market_id"]?.string?.components(separatedBy: "-m")[0] })
        }
        #expect(events("validation").isDisjoint(with: events("train")))
        #expect(events("validation").count == 9 && events("train").count == 21)
        // Stratified: 3 of the 10 events of each category.
        for category in ["politics", "sports", "crypto"] {
            #expect(events("validation").filter { $0.hasPrefix(category) }.count == 3)
        }
        #expect(rows.reduce(0) { $0 + ($1["n_records"]?.int ?? 0) } == records.count)
    }

    @Test func timeSplitOnNoRecordsIsEmpty() throws {
        var settings = EvalSettings()
        settings.split = .time(0.2)
        let e = Evaluator(settings: settings)
        e.beginSecondPass()
        #expect(e.rows().isEmpty)
    }

    @Test func reportIsWellFormedWithOneCoverageChartPerSource() throws {
        var settings = EvalSettings()
        settings.forReport = true
        let e = Evaluator(settings: settings)
        for source in ["baseline", "tsfm_raw", "baseline_conformal"] {
            try e.observe(try scored("a", "2026-11-24T00:00:00Z", source: source))
        }
        let html = EvalReport(evaluator: e, samples: [try scored("a", "2026-11-24T00:00:00Z")]).html()
        let parser = XMLParser(data: Data(html.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(html.components(separatedBy: "<title>Coverage by horizon: ").count - 1 == 3)
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") || !html.replacingOccurrences(of: "http://www.w3.org/", with: "").contains("http://"))
    }
}

@Suite("tsfm-eval: reading and passes")
struct EvalReadingTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../examples/eval/scored.ndjson").standardized.path

    func same(_ a: ScoredForecast, _ b: ScoredForecast) -> Bool {
        a.marketId == b.marketId && a.asOf == b.asOf && a.freq == b.freq && a.horizon == b.horizon && a.band == b.band
            && a.yFuture == b.yFuture && a.eventId == b.eventId && a.liquidityBucket == b.liquidityBucket
            && a.tteBucket == b.tteBucket && a.category == b.category && a.bandSource == b.bandSource
            && a.runtime == b.runtime && a.model == b.model && a.target == b.target
    }

    func scan(_ text: String) -> ScoredForecast.Scan {
        Array(text.utf8).withUnsafeBufferPointer { ScoredForecast.scan($0) }
    }

    func scanKey(_ text: String) -> UInt64? {
        Array(text.utf8).withUnsafeBufferPointer { ScoredForecast.scanKey($0) }
    }

    @Test func keyNamesSpellTheRecordContract() {
        typealias K = ScoredForecast.Key
        #expect(K.marketId.description == FieldName.marketId && K.asOfTs.description == FieldName.asOfTs)
        #expect(K.freq.description == FieldName.freq && K.horizonSteps.description == FieldName.horizonSteps)
        #expect(K.yhatQ.description == FieldName.yhatQ && K.yFuture.description == FieldName.yFuture)
        #expect(K.eventId.description == FieldName.eventId && K.liquidityBucket.description == FieldName.liquidityBucket)
        #expect(K.tteBucket.description == FieldName.tteBucket && K.category.description == FieldName.category)
        #expect(K.meta.description == FieldName.meta && K.error.description == FieldName.error)
        #expect(K.bandSource.description == MetaKey.bandSource && K.runtime.description == MetaKey.runtime)
        #expect(K.modelName.description == MetaKey.modelName && K.conformal.description == MetaKey.conformal)
        #expect(K.target.description == ScoredForecast.conformalTargetKey)
    }

    @Test func fastScanAgreesWithTheRecordPathOnTheFixture() throws {
        let text = try String(contentsOfFile: Self.fixture, encoding: .utf8)
        var fast = 0
        for line in text.split(separator: "\n") {
            let record = try Record(String(line))
            let slow = try ScoredForecast(record: record)
            switch scan(String(line)) {
            case .forecast(let f):
                fast += 1
                #expect(slow.map { same($0, f) } == true)
                #expect(scanKey(String(line)) == Evaluator.key(f))
            case .withoutFuture:
                #expect(slow == nil)
            case .undecided:
                Issue.record("the fixture's lines are all plain: \(line.prefix(60))")
            }
        }
        #expect(fast == 312)
    }

    @Test func unusualLinesGoToTheRecordPath() throws {
        let base = #"{"market_id":"m","as_of_ts":"2026-11-24T00:00:00Z","freq":"5m","horizon_steps":1,"yhat_q":{"0.1":[0.4],"0.9":[0.6]},"#
        // Each of these is either an error the Record path names, or a value it reads another way.
        for tail in [#""y_future":null}"#, #""y_future":[1.5]}"#, #""y_future":[0.5],"meta":null}"#,
                     #""y_future":[0.5],"meta":{"band_source":null}}"#, #""y_future":[0.5],"error":{"x":1}}"#,
                     #""y_future":[0.5],"category":3}"#, #""y_future":[0.5],"k\u0065y":1}"#, #""y_future":[0.5]} x"#] {
            let line = base + tail
            guard case .undecided = scan(line) else {
                Issue.record("expected undecided: \(tail)")
                continue
            }
        }
        guard case .undecided = scan(base.replacingOccurrences(of: #""horizon_steps":1"#, with: #""horizon_steps":2"#) + #""y_future":[0.5]}"#) else {
            Issue.record("a band shorter than horizon_steps is the Record path's to name")
            return
        }
        // A key that appears twice (owned or not, top level or in meta) is the Record path's to
        // refuse, as are bands outside [0, 1] and a line that is not UTF-8.
        for line in [base + #""y_future":[0.5],"market_id":"other"}"#, base + #""y_future":[0.5],"x":1,"x":2}"#,
                     base + #""y_future":[0.5],"meta":{"runtime":"a","runtime":"b"}}"#,
                     base.replacingOccurrences(of: "[0.6]", with: "[1.5]") + #""y_future":[0.5]}"#] {
            guard case .undecided = scan(line) else {
                Issue.record("expected undecided: \(line)")
                continue
            }
        }
        guard case .withoutFuture = scan(#"{"market_id":"m","meta":{"band_source":"baseline"}}"#) else {
            Issue.record("expected withoutFuture")
            return
        }
        #expect(scanKey(#"{"as_of_ts":"2026-11-24T00:00:00Z","market_id":"m\u0041"}"#) == nil)
    }

    /// Pairing by taking unpaired records back out gives what scoring only the paired ones gives.
    @Test func withdrawingEqualsScoringOnlyThePairedRecords() throws {
        var records: [ScoredForecast] = []
        for i in 0..<30 {
            let t = Timestamp(seconds: 1_795_219_200 + Int64(i % 10) * 300).rfc3339
            let y = 0.45 + 0.01 * Double(i % 7)
            records.append(try scored("m\(i % 3)", t, source: "baseline", future: [y, y + 0.2]))
            if i % 4 != 0 { records.append(try scored("m\(i % 3)", t, source: "tsfm_raw", future: [y, y + 0.2])) }
        }
        let paired = Evaluator(settings: EvalSettings())
        try records.forEach { try paired.observe($0) }
        #expect(paired.secondPass == .withdrawUnpaired)
        paired.beginSecondPass()
        records.forEach { paired.rescore($0) }

        var plain = EvalSettings()
        plain.paired = false
        let direct = Evaluator(settings: plain)
        for f in records where paired.isPairedKey(Evaluator.key(f)) { try direct.observe(f) }
        let a = paired.rows().map { row in JSONObject(row.members.filter { $0.key != "paired" }) }
        #expect(a == direct.rows())
        #expect(paired.unpaired == records.count - direct.scored)
        #expect(paired.unpaired > 0)
    }

    @Test func mostlyUnpairedInputStartsAfreshFromThePairedRecords() throws {
        var records: [ScoredForecast] = []
        for i in 0..<10 {
            records.append(try scored("m\(i)", "2026-11-24T00:00:00Z", source: "baseline"))
        }
        records.append(try scored("m0", "2026-11-24T00:00:00Z", source: "tsfm_raw"))
        var settings = EvalSettings()
        settings.groupBy = [.bandSource]
        let e = Evaluator(settings: settings)
        try records.forEach { try e.observe($0) }
        #expect(e.secondPass == .filter)
        e.beginSecondPass()
        records.forEach { e.rescore($0) }
        #expect(e.rows().map { $0["n_records"] } == [1, 1])
        #expect(e.unpaired == 9)
    }
}
