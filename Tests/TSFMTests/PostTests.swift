import Testing
@testable import TSFMCore

@Suite("tsfm-post rules")
struct PostTests {
    func band(_ columns: [[Double]], levels: [Double] = [0.1, 0.5, 0.9]) -> QuantileBand {
        // columns[h] = the step's values per level; stored per level.
        QuantileBand(levels: levels, values: levels.indices.map { i in columns.map { $0[i] } })
    }

    func post(_ b: QuantileBand, min: Double = 0.02, max: Double = 0.6) -> (QuantileBand, PostProcessor.Totals) {
        var copy = b
        var processor = PostProcessor(minWidth: min, maxWidth: max)
        let counts = processor.apply(&copy)
        return (copy, counts)
    }

    @Test func clipsIntoUnitInterval() {
        let (out, counts) = post(band([[-0.2, 0.5, 1.3]]), max: 1)
        #expect(out.values.map { $0[0] } == [0, 0.5, 1])
        #expect(counts.clipped == 2)
    }

    @Test func crossingIsSortedPerStep() {
        let (out, counts) = post(band([[0.6, 0.5, 0.4], [0.3, 0.5, 0.7]]))
        #expect(counts.crossingsFixed == 1)
        #expect(out.values.map { $0[0] } == [0.4, 0.5, 0.6])
        #expect(out.values.map { $0[1] } == [0.3, 0.5, 0.7])
    }

    @Test func allLevelsCrossingReversed() {
        let levels = [0.05, 0.1, 0.5, 0.9, 0.95]
        let (out, counts) = post(band([[0.9, 0.7, 0.5, 0.3, 0.1]], levels: levels), max: 1)
        #expect(counts.crossingsFixed == 1)
        #expect(out.values.map { $0[0] } == [0.1, 0.3, 0.5, 0.7, 0.9])
    }

    @Test func equalQuantilesAreWidenedAroundTheMedian() {
        let (out, counts) = post(band([[0.5, 0.5, 0.5]]))
        #expect(counts.expanded == 1)
        #expect(abs(out.values[0][0] - 0.49) < 1e-12)
        #expect(out.values[1][0] == 0.5)
        #expect(abs(out.values[2][0] - 0.51) < 1e-12)
    }

    @Test func bandAtZeroShiftsInside() {
        let (out, counts) = post(band([[0, 0, 0]]))
        #expect(counts.expanded == 1)
        #expect(out.values.map { $0[0] } == [0, 0, 0.02])
    }

    @Test func bandAtOneShiftsInside() {
        let (out, _) = post(band([[1, 1, 1]]))
        #expect(abs(out.values[0][0] - 0.98) < 1e-12)
        #expect(out.values[1][0] == 1 && out.values[2][0] == 1)
    }

    @Test func exactlyMinWidthIsLeftAlone() {
        let (out, counts) = post(band([[0.3, 0.31, 0.32], [0.28, 0.29, 0.3]]))
        #expect(counts.expanded == 0)
        #expect(out.values.map { $0[1] } == [0.28, 0.29, 0.3])
    }

    @Test func exactlyMaxWidthIsLeftAlone() {
        let (_, counts) = post(band([[0.2, 0.5, 0.8]]))
        #expect(counts.clamped == 0)
    }

    @Test func tooWideShrinksTowardTheMedianKeepingSkew() {
        let (out, counts) = post(band([[0.0, 0.2, 1.0]]))
        #expect(counts.clamped == 1)
        let lo = out.values[0][0], mid = out.values[1][0], hi = out.values[2][0]
        #expect(mid == 0.2)
        #expect(abs((hi - lo) - 0.6) < 1e-12)
        #expect(abs(lo - (0.2 - 0.2 * 0.6)) < 1e-12)
        #expect(abs(hi - (0.2 + 0.8 * 0.6)) < 1e-12)
    }

    @Test func withoutAMedianTheOuterMidpointIsTheCentre() {
        let (out, _) = post(band([[0.1, 0.2, 0.9, 0.95]], levels: [0.05, 0.25, 0.75, 0.95]))
        #expect(abs(out.values[0][0] - 0.225) < 1e-12)
        #expect(abs(out.values[3][0] - 0.825) < 1e-12)
        #expect(out.values.map { $0[0] } == out.values.map { $0[0] }.sorted())
    }

    @Test func recordGetsWarningsAndCounts() throws {
        var record = try Record(#"{"market_id":"m","horizon_steps":1,"yhat_q":{"0.9":[0.4],"0.5":[0.5],"0.1":[0.6]},"meta":{"warnings":["degenerate_series"]},"tail":[1]}"#)
        var processor = PostProcessor()
        try processor.process(&record)
        #expect(record.jsonText == #"{"market_id":"m","horizon_steps":1,"yhat_q":{"0.1":[0.4],"0.5":[0.5],"0.9":[0.6]},"meta":{"warnings":["degenerate_series","quantile_crossing_fixed"],"post":{"clipped":0,"crossing_fixed":1,"expanded":0,"clamped":0}},"tail":[1]}"#)
    }

    @Test func logitBandsAreMappedBack() throws {
        var record = try Record(#"{"yhat_q":{"0.1":[-1],"0.5":[0],"0.9":[1]},"meta":{"yhat_space":"logit"}}"#)
        var processor = PostProcessor()
        try processor.process(&record)
        let band = try QuantileBand.decode(from: record, field: FieldName.yhatQ)!
        #expect(abs(band.values[0][0] - logistic(-1)) < 1e-15)
        #expect(band.values[1][0] == 0.5)
        #expect(try record.object("meta")?["yhat_space"] == "prob")
    }

    @Test func invalidRecordsAreDataErrors() {
        func reason(_ text: String) -> String? {
            var processor = PostProcessor()
            do {
                var record = try Record(text)
                try processor.process(&record)
                return nil
            } catch { return "\(error)" }
        }
        #expect(reason(#"{"market_id":"m"}"#) == "field 'yhat_q': missing (tsfm-forecast writes it)")
        #expect(reason(#"{"yhat_q":{"0.1":[0.1,0.2],"0.9":[0.5]}}"#)?.contains("different lengths") == true)
        #expect(reason(#"{"yhat_q":{"0":[0.1]}}"#)?.contains("in [1e-06, 0.999999]") == true)
        #expect(reason(#"{"horizon_steps":2,"yhat_q":{"0.5":[0.1]}}"#)?.contains("horizon_steps is 2") == true)
        #expect(reason(#"{"yhat_q":{"0.5":[1e400]}}"#) == "field 'yhat_q.0.5[0]': non-finite value")
    }

    @Test func logisticIsStableAtExtremes() {
        #expect(logistic(1000) == 1)
        #expect(logistic(-1000) == 0)
        #expect(logistic(-745.2).isFinite)
        #expect(abs(logistic(0) - 0.5) < 1e-15)
    }

    /// Any band in, a safe band out: inside [0,1], ordered per step, outer width within the guards.
    @Test func propertySafeBandsForRandomInput() throws {
        var rng = SeededRandom(seed: 7)
        for trial in 0..<5000 {
            let levelSets: [[Double]] = [[0.1, 0.5, 0.9], [0.05, 0.25, 0.5, 0.75, 0.95], [0.2, 0.8], [0.01, 0.5, 0.99]]
            let levels = levelSets[trial % levelSets.count]
            let horizon = Int.random(in: 1...13, using: &rng)
            let centre = Double.random(in: -0.2...1.2, using: &rng)
            let spread = [0.0, 0.001, 0.05, 0.4, 2.0][Int.random(in: 0...4, using: &rng)]
            let values = levels.map { _ in
                (0..<horizon).map { _ in centre + Double.random(in: -spread...spread, using: &rng) }
            }
            let minWidth = [0.0, 0.02, 0.1][trial % 3]
            let maxWidth = [0.6, 0.3, 1.0][(trial / 3) % 3]
            var b = QuantileBand(levels: levels, values: values)
            var processor = PostProcessor(minWidth: minWidth, maxWidth: maxWidth)
            _ = processor.apply(&b)
            for h in 0..<horizon {
                let column = b.values.map { $0[h] }
                #expect(column.allSatisfy { $0 >= 0 && $0 <= 1 }, "trial \(trial) step \(h): \(column)")
                #expect(column == column.sorted(), "trial \(trial) step \(h): \(column)")
                let width = column.last! - column.first!
                #expect(width >= minWidth - 1e-9 && width <= maxWidth + 1e-9, "trial \(trial) step \(h): width \(width)")
            }
        }
    }
}

@Suite("Post: the baseline's band beside the model's")
struct PostBaselineCopyTests {
    @Test func theCopyGetsTheSameRulesWithoutCounting() throws {
        var record = try Record(#"{"horizon_steps":1,"yhat_q":{"0.1":[0.3],"0.5":[0.5],"0.9":[0.7]},"yhat_q_baseline":{"0.1":[-0.2],"0.5":[0.6],"0.9":[0.5]},"meta":{"band_source":"tsfm_raw"}}"#)
        var post = PostProcessor()
        try post.process(&record)
        let copy = try #require(try QuantileBand.decode(from: record, field: FieldName.yhatQBaseline))
        #expect(copy.values == [[0], [0.5], [0.6]])
        #expect(post.totals.clipped == 0 && post.totals.crossingsFixed == 0)
        var untouched = try Record(#"{"horizon_steps":1,"yhat_q":{"0.1":[0.3],"0.9":[0.7]},"yhat_q_baseline":{"0.1":[0.2],"0.9":[0.6]}}"#)
        try post.process(&untouched)
        #expect(untouched.rawValue(FieldName.yhatQBaseline) == Array(#"{"0.1":[0.2],"0.9":[0.6]}"#.utf8))
    }
}
