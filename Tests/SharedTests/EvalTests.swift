import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Shared

@Suite("tsfm-eval: metrics")
struct EvalMetricTests {
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
        // The window runs past the data: undecided unless the move came within what there is.
        #expect(IntervalMetrics.followThrough(path: [0.5, 0.7, 0.71], at: 1, above: true, move: 0.03, window: 3) == nil)
        #expect(IntervalMetrics.followThrough(path: [0.5, 0.7, 0.75], at: 1, above: true, move: 0.03, window: 3) == true)
        // A breach at the last step: nothing after it.
        #expect(IntervalMetrics.followThrough(path: [0.5, 0.7], at: 1, above: true, move: 0.03, window: 2) == nil)
    }
}

func scored(_ market: String, _ asOf: String, source: String = "baseline", category: String = "politics", event: String? = nil,
            band: [[Double]] = [[0.4, 0.4], [0.5, 0.5], [0.6, 0.6]], future: [Double] = [0.5, 0.65]) throws -> ScoredForecast {
    let text = """
        {"market_id":"\(market)","as_of_ts":"\(asOf)","freq":"5m","horizon_steps":2,"category":"\(category)",\
        \(event.map { "\"event_id\":\"\($0)\"," } ?? "")"yhat_q":{"0.1":\(band[0]),"0.5":\(band[1]),"0.9":\(band[2])},\
        "y_future":\(future),"meta":{"band_source":"\(source)"}}
        """
    return try ScoredForecast(record: Record(text))!
}

@Suite("tsfm-eval: grouping, splits, pairing")
struct EvaluatorTests {
    func row(_ e: Evaluator, _ i: Int = 0) -> JSONObject { e.rows()[i] }

    @Test func aggregatesByStep() throws {
        let e = Evaluator(settings: EvalSettings())
        e.observe(try scored("m", "2026-11-24T00:00:00Z"))
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
        records.forEach(e.observe)
        #expect(e.needsSecondPass && e.isPaired)
        e.beginSecondPass()
        records.forEach(e.rescore)
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
        records.forEach(e.observe)
        e.beginSecondPass()
        records.forEach(e.rescore)
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
            var records: [ScoredForecast] = []
            for category in ["politics", "sports"] {
                for i in 0..<10 {
                    for t in 0..<3 {
                        records.append(try scored("\(category)-\(i)-m\(t % 2)", "2026-11-24T0\(t):00:00Z", category: category,
                                                  event: "\(category)-ev\(i)"))
                    }
                }
            }
            records.forEach(e.observe)
            e.beginSecondPass()
            records.forEach(e.rescore)
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

    @Test func reportIsWellFormedWithOneCoverageChartPerSource() throws {
        var settings = EvalSettings()
        settings.forReport = true
        let e = Evaluator(settings: settings)
        for source in ["baseline", "tsfm_raw", "baseline_conformal"] {
            e.observe(try scored("a", "2026-11-24T00:00:00Z", source: source))
        }
        let html = EvalReport(evaluator: e, samples: [try scored("a", "2026-11-24T00:00:00Z")]).html()
        let parser = XMLParser(data: Data(html.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(html.components(separatedBy: "<title>Coverage of the outer band: ").count - 1 == 3)
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") || !html.replacingOccurrences(of: "http://www.w3.org/", with: "").contains("http://"))
    }
}
