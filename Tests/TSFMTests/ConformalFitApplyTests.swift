import Foundation
import Testing
@testable import TSFMCore

@Suite struct ConformalFitApplyTests {
    static let t0 = Timestamp("2026-11-10T00:00:00Z")!

    static func ts(_ offsetSeconds: Int64) -> String { (t0 + offsetSeconds).rfc3339 }

    static func settings(_ configure: (inout FitSettings) -> Void = { _ in }) -> FitSettings {
        var s = FitSettings()
        s.minSamples = 1
        configure(&s)
        return s
    }

    static func fit(_ records: [Record], _ settings: FitSettings) throws -> ConformalParameters {
        let set = CalibrationSet(settings: settings)
        for r in records { try set.add(r) }
        return set.parameters()!
    }

    static func level(_ record: Record, _ field: String, _ key: String) throws -> [Double] {
        try QuantileBand.decode(from: record, field: field)!.values(at: Double(key)!)!
    }

    static func meta(_ record: Record) throws -> JSONObject { try record.object(FieldName.meta)! }

    @Test func overWideBandGetsANegativeAdjustmentAndNarrows() throws {
        let ys = [0.4, 0.45, 0.5, 0.55, 0.6]
        let records = (0..<20).map { i in
            conformalForecast(ts: Self.ts(Int64(i) * 300), lo: [0.2], mid: [0.5], hi: [0.8], future: [ys[i % 5]])
        }
        let params = try Self.fit(records, Self.settings { $0.segments = SegmentKeys([]) })
        let step = params.groups[0].pairs[0].steps[0]
        #expect(params.groups.map(\.group) == ["global"])
        #expect(step.n == 20)
        #expect(step.coverageBefore == 1)
        // Scores are logit(0.2) − logit(0.6) … ; the 19th of 20 is the second largest: 0.4 and 0.6
        // give the largest score logit(0.6) − logit(0.8) = −0.98…; negative: the band narrows.
        let expected = logit(0.6) - logit(0.8)
        #expect(abs(step.adjustment - expected) < 1e-6)
        var record = records[0]
        var applier = ConformalApplier(parameters: params)
        try applier.process(&record)
        let lo = try Self.level(record, FieldName.yhatQ, "0.1")[0]
        let hi = try Self.level(record, FieldName.yhatQ, "0.9")[0]
        #expect(abs(lo - 0.4) < 1e-6 && abs(hi - 0.6) < 1e-6)
        #expect(try Self.level(record, FieldName.yhatQ, "0.5") == [0.5])
        #expect(try Self.level(record, FieldName.yhatQRaw, "0.1") == [0.2])
    }

    static func handParameters(global: Bool = true) -> ConformalParameters {
        func group(_ name: String, _ adjustments: [Double]) -> GroupParameters {
            GroupParameters(group: name, pairs: [PairParameters(
                pair: QuantilePair(lo: 0.1, hi: 0.9, outer: true), target: 0.9,
                steps: adjustments.enumerated().map { StepParameters(step: $0 + 1, n: 600, coverageBefore: 0.8, adjustment: $1) })])
        }
        var groups = [group("liquidity_bucket=HIGH", [0.2]),
                      group("liquidity_bucket=HIGH|tte_bucket=1d-7d|category=politics", [0.1])]
        if global { groups.insert(group("global", [0.3, 0.3]), at: 0) }
        return ConformalParameters(
            version: "2026-11-10", asOf: t0, window: "14d", windowStart: t0 - 14 * 86_400, method: .cqr, space: .logit,
            target: 0.9, gamma: nil, minSamples: 500, segmentBy: SegmentKeys.standard, records: 1000, groups: groups,
            belowMinSamples: [])
    }

    @Test func groupFallbackOrderPerStep() throws {
        var applier = ConformalApplier(parameters: Self.handParameters())
        let lo = [0.3, 0.3]
        func adjusted(_ record: Record) throws -> [Double] {
            try Self.level(record, FieldName.yhatQ, "0.1").map { logit(0.3) - logit($0) }
        }
        // Full key at step 1, nothing finer than global at step 2.
        var full = conformalForecast(ts: Self.ts(0), lo: lo, mid: [0.5, 0.5], hi: [0.7, 0.7], future: nil)
        try applier.process(&full)
        let a = try adjusted(full)
        #expect(abs(a[0] - 0.1) < 1e-9 && abs(a[1] - 0.3) < 1e-9)
        let conformal = try Self.meta(full)[MetaKey.conformal]!.object!
        #expect(conformal["group"] == .string("liquidity_bucket=HIGH|tte_bucket=1d-7d|category=politics"))
        #expect(conformal["step_groups"] == .array([.string("liquidity_bucket=HIGH|tte_bucket=1d-7d|category=politics"), .string("global")]))
        #expect(conformal["params_version"] == .string("2026-11-10"))
        #expect(try Self.meta(full)[MetaKey.bandSource] == .string("baseline_conformal"))
        #expect(try Self.meta(full)[MetaKey.warnings] == .array([]))

        // Another tte bucket: the prefix liquidity_bucket=HIGH.
        var prefix = conformalForecast(ts: Self.ts(0), lo: [0.3], mid: [0.5], hi: [0.7], future: nil, tte: "<1d", source: "tsfm_raw")
        try applier.process(&prefix)
        #expect(abs(try adjusted(prefix)[0] - 0.2) < 1e-9)
        #expect(try Self.meta(prefix)[MetaKey.conformal]!.object!["group"] == .string("liquidity_bucket=HIGH"))
        #expect(try Self.meta(prefix)[MetaKey.conformal]!.object!["step_groups"] == nil)
        #expect(try Self.meta(prefix)[MetaKey.bandSource] == .string("tsfm_conformal"))

        // Another liquidity bucket: global.
        var coarse = conformalForecast(ts: Self.ts(0), lo: [0.3], mid: [0.5], hi: [0.7], future: nil, liquidity: "LOW")
        try applier.process(&coarse)
        #expect(abs(try adjusted(coarse)[0] - 0.3) < 1e-9)
        #expect(applier.totals.adjusted == 3 && applier.totals.partial == 0)
    }

    @Test func noParametersLeavesTheBandAndWarns() throws {
        var applier = ConformalApplier(parameters: Self.handParameters(global: false))
        let original = conformalForecast(ts: Self.ts(0), lo: [0.3], mid: [0.5], hi: [0.7], future: nil, liquidity: "LOW")
        var record = original
        try applier.process(&record)
        #expect(record.rawValue(FieldName.yhatQ) == original.rawValue(FieldName.yhatQ))
        #expect(record.rawValue(FieldName.yhatQRaw) == original.rawValue(FieldName.yhatQ))
        let meta = try Self.meta(record)
        #expect(meta[MetaKey.warnings] == .array([.string(WarningCode.conformalInsufficientSamples.rawValue)]))
        #expect(meta[MetaKey.bandSource] == .string("baseline"))
        #expect(meta[MetaKey.conformal]!.object!["group"] == .null)
        #expect(applier.totals.unadjusted == 1)
    }

    /// Apply re-enforces tsfm-post's width guard with tsfm-post's codes: a large widening is
    /// clamped to the maximum width, a large narrowing kept at the minimum.
    @Test(arguments: [(3.0, BandGuard.defaultMaxWidth, WarningCode.widthClamped),
                      (-2.0, BandGuard.defaultMinWidth, WarningCode.widthExpanded)])
    func theWidthGuardHoldsAfterCalibration(adjustment: Double, width: Double, code: WarningCode) throws {
        var params = Self.handParameters()
        params.groups[0].pairs[0].steps[0].adjustment = adjustment
        var applier = ConformalApplier(parameters: params)
        var record = conformalForecast(ts: Self.ts(0), lo: [0.3], mid: [0.5], hi: [0.7], future: nil, liquidity: "LOW")
        try applier.process(&record)
        let lo = try Self.level(record, FieldName.yhatQ, "0.1")[0]
        let hi = try Self.level(record, FieldName.yhatQ, "0.9")[0]
        #expect(abs(hi - lo - width) < 1e-9)
        #expect(try Self.meta(record)[MetaKey.warnings] == .array([.string(code.rawValue)]))
    }

    /// Issue 11's minimal case: nine wide bands and one narrow one, every y at its band's
    /// centre, fitted at target 0.8 → an adjustment of about −0.85 (a wide band's score). Applied
    /// to the narrow band it once inverted it and the crossing repair sorted it into a band 19
    /// times wider than the raw one; now each level stops at the median and the guard gives the
    /// minimum width, never more than the raw band.
    @Test func aNarrowingAdjustmentNeverWidensABand() throws {
        var records: [Record] = []
        for i in 0..<9 {
            records.append(conformalForecast(ts: Self.ts(Int64(i) * 300), lo: [0.3], mid: [0.5], hi: [0.7], future: [0.5]))
        }
        records.append(conformalForecast(ts: Self.ts(2700), lo: [0.475], mid: [0.485], hi: [0.495], future: [0.485]))
        let params = try Self.fit(records, Self.settings { $0.target = 0.8; $0.segments = SegmentKeys([]) })
        let q = params.groups[0].pairs[0].steps[0].adjustment
        #expect(q < -0.8 && q > -0.9)
        var applier = ConformalApplier(parameters: params)
        var narrow = records[9]
        try applier.process(&narrow)
        let band = try QuantileBand.decode(from: narrow, field: FieldName.yhatQ)!
        let width = band.values[2][0] - band.values[0][0]
        #expect(width <= 0.495 - 0.475 + 1e-12, "the narrow band became \(band.values.map { $0[0] })")
        #expect(band.values[0][0] <= 0.485 && 0.485 <= band.values[2][0])
        #expect(band.values[1][0] == 0.485)
        // In the calibration space neither outer level passed the median before the guard.
        var raw = try QuantileBand.decode(from: records[9], field: FieldName.yhatQ)!
        _ = applier.adjust(&raw, chain: applier.chain([]))
        #expect(raw.values[0][0] == 0.485 && raw.values[2][0] == 0.485)
    }

    @Test func applyPassesUnknownFieldsAndReappliesFromTheRawBand() throws {
        var applier = ConformalApplier(parameters: Self.handParameters())
        var record = conformalForecast(ts: Self.ts(0), lo: [0.3], mid: [0.5], hi: [0.7], future: nil, extra: ",\"zz\":[1, 2 ,3.50]")
        try applier.process(&record)
        #expect(record.jsonText.contains("\"zz\":[1, 2 ,3.50]"))
        let once = record.jsonText
        var again = try Record(once)
        try applier.process(&again)
        #expect(again.jsonText == once)
    }

    @Test func logitSpaceBandsAreRefused() throws {
        var applier = ConformalApplier(parameters: Self.handParameters())
        var record = try Record(#"{"as_of_ts":"2026-11-10T00:00:00Z","yhat_q":{"0.1":[-1],"0.9":[1]},"meta":{"yhat_space":"logit"}}"#)
        #expect(throws: RecordError.self) { try applier.process(&record) }
    }

    @Test func windowEdgesWithAnExplicitAsOf() throws {
        let day: Int64 = 86_400
        let offsets: [Int64] = [-14 * day - 1, -14 * day, 0, 1]
        let records = offsets.map { conformalForecast(ts: Self.ts($0), lo: [0.3], mid: [0.5], hi: [0.7], future: [0.5]) }
        let set = CalibrationSet(settings: Self.settings { $0.asOf = Self.t0 })
        for r in records { try set.add(r) }
        // Exactly 14 days old is inside; a second older, or a second after as-of, is not.
        #expect(set.counts.outsideWindow == 2)
        #expect(set.recordsInWindow() == 2)
        #expect(CalibrationSet.inWindow(Self.t0 - 14 * day, asOf: Self.t0, window: FitSettings().window))
        #expect(!CalibrationSet.inWindow(Timestamp(millis: (Self.t0 - 14 * day).millis - 1), asOf: Self.t0, window: FitSettings().window))
    }

    @Test func windowEdgesWithTheDefaultAsOf() throws {
        let day: Int64 = 86_400
        let records = [-14 * day - 1, -14 * day, 0].map {
            conformalForecast(ts: Self.ts($0), lo: [0.3], mid: [0.5], hi: [0.7], future: [0.5])
        }
        let set = CalibrationSet(settings: Self.settings())
        for r in records { try set.add(r) }
        #expect(set.window()!.asOf == Self.t0)
        #expect(set.recordsInWindow() == 2)
        #expect(set.parameters()!.groups[0].pairs[0].steps[0].n == 2)
    }

    @Test func futureLongerThanHorizonNullsAndMissingFuture() throws {
        let set = CalibrationSet(settings: Self.settings { $0.segments = SegmentKeys([]) })
        // horizon 2, band of 2 steps, y_future of 5 (prep's --future-steps): only 2 steps count.
        try set.add(conformalForecast(ts: Self.ts(0), lo: [0.3, 0.3], mid: [0.5, 0.5], hi: [0.7, 0.7], future: [0.5, 0.5, 0.9, 0.9, 0.9]))
        // Fewer realized values than steps: only step 1.
        try set.add(conformalForecast(ts: Self.ts(1), lo: [0.3, 0.3], mid: [0.5, 0.5], hi: [0.7, 0.7], future: [0.5]))
        // A null realized value skips that step.
        try set.add(try Record(#"{"as_of_ts":"2026-11-10T00:00:02Z","horizon_steps":2,"y_future":[null,0.5],"yhat_q":{"0.1":[0.3,0.3],"0.9":[0.7,0.7]}}"#))
        try set.add(conformalForecast(ts: Self.ts(3), lo: [0.3], mid: [0.5], hi: [0.7], future: nil))
        #expect(set.counts.withoutFuture == 1)
        let steps = set.parameters()!.groups[0].pairs[0].steps
        #expect(steps.map(\.step) == [1, 2])
        #expect(steps.map(\.n) == [2, 2])
        #expect(steps.map(\.coverageBefore) == [1, 1])
    }

    @Test func badRealizedValuesAreRecordErrors() throws {
        let set = CalibrationSet(settings: Self.settings())
        #expect(throws: RecordError(field: "y_future[0]", "1.5 is not a probability in [0, 1]")) {
            try set.add(conformalForecast(ts: Self.ts(0), lo: [0.3], mid: [0.5], hi: [0.7], future: [1.5]))
        }
        #expect(throws: RecordError.self) {
            try set.add(try Record(#"{"as_of_ts":"2026-11-10T00:00:00Z","y_future":[0.5],"yhat_q":{"0.1":[0.3],"0.9":"x"}}"#))
        }
        #expect(throws: RecordError(field: "yhat_q.0.1[0]", "-1.2 is not a probability (bands are calibrated after tsfm-post)")) {
            try set.add(try Record(#"{"as_of_ts":"2026-11-10T00:00:00Z","y_future":[0.5],"yhat_q":{"0.1":[-1.2],"0.9":[1.2]}}"#))
        }
    }

    static func sampleRecords(_ n: Int, seed: UInt64 = 3) -> [Record] {
        var random = TestRandom(state: seed)
        return (0..<n).map { i in
            let y = (0..<3).map { _ in min(max(0.5 + 0.1 * random.normal(), 0.01), 0.99) }
            return conformalForecast(ts: Self.ts(Int64(i) * 60), lo: [0.45, 0.44, 0.43], mid: [0.5, 0.5, 0.5], hi: [0.55, 0.56, 0.57],
                                     future: y, liquidity: ["HIGH", "LOW"][i % 2], category: ["a", "b", "c"][i % 3])
        }
    }

    @Test(arguments: [ConformalMethod.cqr, .scaled, .aci])
    func parameterFileRoundTrip(method: ConformalMethod) throws {
        let params = try Self.fit(Self.sampleRecords(300), Self.settings {
            $0.method = method
            $0.minSamples = 60
            $0.allPairs = true
        })
        #expect(params.groups.count > 1)
        #expect(!params.belowMinSamples.isEmpty)
        let bytes = try ParameterFile.encode(params)
        let decoded = try ParameterFile.decode(bytes)
        #expect(decoded == params)
        #expect(try ParameterFile.encode(decoded) == bytes)
    }

    @Test func parameterStoreWritesAtomicallyAndFollowsLatest() throws {
        let dir = NSTemporaryDirectory() + "conformal-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let params = try Self.fit(Self.sampleRecords(50), Self.settings())
        let path = try ParameterStore.write(params, toDirectory: dir)
        #expect(path == dir + "/2026-11-10.json")
        #expect(try String(contentsOfFile: dir + "/latest", encoding: .utf8) == "2026-11-10.json\n")
        #expect(try ParameterStore.load(dir) == params)
        #expect(try ParameterStore.load(path) == params)
        // No temporary files are left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["2026-11-10.json", "latest"])

        func configError(_ body: () throws -> Void) -> Bool {
            do { try body() } catch let e as ToolError { return e.status == .config } catch { return false }
            return false
        }
        #expect(configError { _ = try ParameterStore.load(dir + "/missing.json") })
        let text = String(decoding: try ParameterFile.encode(params), as: UTF8.self)
        try text.replacingOccurrences(of: "\"format_version\": 1", with: "\"format_version\": 2")
            .write(toFile: dir + "/v2.json", atomically: true, encoding: .utf8)
        #expect(configError { _ = try ParameterStore.load(dir + "/v2.json") })
        try "{\"groups\":[]}".write(toFile: dir + "/none.json", atomically: true, encoding: .utf8)
        #expect(configError { _ = try ParameterStore.load(dir + "/none.json") })
        try "{\"format_version\":1,".write(toFile: dir + "/cut.json", atomically: true, encoding: .utf8)
        #expect(configError { _ = try ParameterStore.load(dir + "/cut.json") })
        // The pointer itself is accepted too.
        #expect(try ParameterStore.load(dir + "/latest") == params)
        // A second fit for the same as-of date gets a file of its own; latest moves to it.
        let second = try ParameterStore.write(params, toDirectory: dir)
        #expect(second == dir + "/2026-11-10-2.json")
        #expect(try ParameterStore.load(dir).version == "2026-11-10-2")
        #expect(try ParameterStore.load(path) == params)
        try "../x".write(toFile: dir + "/latest", atomically: true, encoding: .utf8)
        #expect(configError { _ = try ParameterStore.load(dir) })
        #expect(configError { _ = try ParameterStore.load(dir + "/latest") })
    }

    @Test func refitCheckRefusesFewerGroupsAndMissedCoverage() throws {
        let params = try Self.fit(Self.sampleRecords(50), Self.settings())
        var fewer = params
        fewer.groups.removeLast()
        #expect(RefitCheck.problems(new: params, current: params, report: nil, tolerance: 0.03).isEmpty)
        #expect(RefitCheck.problems(new: fewer, current: params, report: nil, tolerance: 0.03).count == 1)
        let row = CalibrationReport.Row(group: "global", pair: QuantilePair(lo: 0.1, hi: 0.9, outer: true), target: 0.9, step: 1,
                                        n: 100, unadjusted: 0, coveredBefore: 80, coveredAfter: 80)
        let report = CalibrationReport(parameters: params, calibrationStart: Self.t0, holdoutStart: Self.t0, tolerance: 0.03, rows: [row])
        #expect(RefitCheck.problems(new: params, current: nil, report: report, tolerance: 0.03).count == 1)
        #expect(RefitCheck.problems(new: params, current: nil, report: report, tolerance: 0.1).isEmpty)
    }

    @Test func hierarchyGroupsAreNamedAndOrdered() throws {
        let params = try Self.fit(Self.sampleRecords(60), Self.settings { $0.segments = SegmentKeys(["liquidity_bucket", "category"]) })
        #expect(params.groups.map(\.group) == [
            "global", "liquidity_bucket=HIGH", "liquidity_bucket=LOW",
            "liquidity_bucket=HIGH|category=a", "liquidity_bucket=HIGH|category=b", "liquidity_bucket=HIGH|category=c",
            "liquidity_bucket=LOW|category=a", "liquidity_bucket=LOW|category=b", "liquidity_bucket=LOW|category=c",
        ])
        #expect(params.groups[0].pairs[0].steps[0].n == 60)
        #expect(params.groups[1].pairs[0].steps[0].n == 30)
    }

    @Test func bandSourceCanBeASegmentKey() throws {
        let records = [conformalForecast(ts: Self.ts(0), lo: [0.3], mid: [0.5], hi: [0.7], future: [0.5], source: "tsfm_raw")]
        let params = try Self.fit(records, Self.settings { $0.segments = SegmentKeys(["band_source"]) })
        #expect(params.groups.map(\.group) == ["global", "band_source=tsfm_raw"])
    }

    @Test func reportCoversTheHoldout() throws {
        let set = CalibrationSet(settings: Self.settings { $0.minSamples = 100; $0.segments = SegmentKeys([]) })
        for r in Self.sampleRecords(2000) { try set.add(r) }
        let report = set.report()!
        #expect(report.rows.count == 3)
        for row in report.rows {
            #expect(row.n == 400)
            #expect(row.coverageBefore < 0.6)
            #expect(row.meets(tolerance: 0.05))
        }
        #expect(report.table().hasPrefix("group"))
    }

    /// Five levels, a band too narrow and off-centre: y ~ N(0.52, 0.1) around a band centred at 0.5.
    static func fiveLevelRecords(_ n: Int) -> [Record] {
        var random = TestRandom(state: 11)
        let levels = [(0.1, -0.05), (0.25, -0.02), (0.5, 0.0), (0.75, 0.02), (0.9, 0.05)]
        return (0..<n).map { i in
            let y = min(max(0.52 + 0.1 * random.normal(), 0.01), 0.99)
            let band = levels.map { "\"\($0.0)\":[\(0.5 + $0.1)]" }.joined(separator: ",")
            return try! Record(#"{"as_of_ts":"\#(Self.ts(Int64(i) * 60))","horizon_steps":1,"y_future":[\#(y)],"yhat_q":{\#(band)},"meta":{"band_source":"tsfm_raw"}}"#)
        }
    }

    static func coverage(_ records: [Record], lo: String, hi: String) throws -> Double {
        var covered = 0
        for r in records {
            let y = try r.doubles(FieldName.yFuture)![0]
            if try level(r, FieldName.yhatQ, lo)[0] <= y && y <= level(r, FieldName.yhatQ, hi)[0] { covered += 1 }
        }
        return Double(covered) / Double(records.count)
    }

    @Test(arguments: [ConformalMethod.cqr, .scaled, .aci])
    func allPairsCalibrateEachPairToItsNominalCoverage(method: ConformalMethod) throws {
        let calibration = Self.fiveLevelRecords(4000)
        let params = try Self.fit(calibration, Self.settings {
            $0.method = method
            $0.allPairs = true
            $0.segments = SegmentKeys([])
        })
        let pairs = params.groups[0].pairs
        #expect(pairs.map(\.pair.label) == ["0.1-0.9", "0.25-0.75"])
        #expect(pairs.map(\.target) == [0.9, 0.5])
        var later = Self.fiveLevelRecords(8000).suffix(4000).map { $0 }
        var applier = ConformalApplier(parameters: params)
        for i in later.indices { try applier.process(&later[i]) }
        #expect(abs(try Self.coverage(later, lo: "0.1", hi: "0.9") - 0.9) < 0.03)
        #expect(abs(try Self.coverage(later, lo: "0.25", hi: "0.75") - 0.5) < 0.04)
        let median = try Self.level(later[0], FieldName.yhatQ, "0.5")[0]
        if method == .scaled {
            // The centre shift moves the median toward the realized mean (0.52).
            #expect(median > 0.51 && median < 0.53)
        } else {
            #expect(median == 0.5)
        }
        #expect(try Self.meta(later[0])[MetaKey.bandSource] == .string("tsfm_conformal"))
    }
}

@Suite("Conformal apply: the baseline's band beside the model's")
struct ConformalBaselineCopyTests {
    /// Parameters segmented by band source: the baseline's group narrows nothing and widens by
    /// 0.2, the model's by 0.5 (logit space).
    static func parameters() -> ConformalParameters {
        func group(_ name: String, _ q: Double) -> GroupParameters {
            GroupParameters(group: name, pairs: [PairParameters(
                pair: QuantilePair(lo: 0.1, hi: 0.9, outer: true), target: 0.9,
                steps: [StepParameters(step: 1, n: 600, coverageBefore: 0.8, adjustment: q)])])
        }
        let t0 = ConformalFitApplyTests.t0
        return ConformalParameters(
            version: "v-copy", asOf: t0, window: "14d", windowStart: t0 - 14 * 86_400, method: .cqr, space: .logit,
            target: 0.9, gamma: nil, minSamples: 500, segmentBy: [SegmentKeys.bandSource], records: 1000,
            groups: [group("band_source=baseline", 0.2), group("band_source=tsfm_raw", 0.5)], belowMinSamples: [])
    }

    @Test func theCopyIsCalibratedWithTheBaselinesParameters() throws {
        let extra = #","yhat_q_baseline":{"0.1":[0.3],"0.5":[0.5],"0.9":[0.7]}"#
        var record = conformalForecast(ts: ConformalFitApplyTests.ts(0), lo: [0.3], mid: [0.5], hi: [0.7], future: nil,
                                       source: "tsfm_raw", extra: extra)
        // conformalForecast writes meta without baseline_band: add it as tsfm-forecast does.
        var meta = try record.nested(FieldName.meta)!
        try meta.set(MetaKey.baselineBand, ["model_name": "baseline:ewma", "band_source": "baseline"])
        record.set(FieldName.meta, encoded: meta.objectBytes)
        var applier = ConformalApplier(parameters: Self.parameters())
        try applier.process(&record)
        let model = try ConformalFitApplyTests.level(record, FieldName.yhatQ, "0.1")[0]
        let copy = try ConformalFitApplyTests.level(record, FieldName.yhatQBaseline, "0.1")[0]
        #expect(abs(logit(0.3) - logit(model) - 0.5) < 1e-9)
        #expect(abs(logit(0.3) - logit(copy) - 0.2) < 1e-9)
        #expect(try ConformalFitApplyTests.level(record, FieldName.yhatQBaselineRaw, "0.1") == [0.3])
        let m = try ConformalFitApplyTests.meta(record)
        #expect(m[MetaKey.bandSource] == "tsfm_conformal")
        #expect(m[MetaKey.baselineBand]?.object?[MetaKey.bandSource] == "baseline_conformal")
        #expect(applier.totals.records == 1)
        // Applied again: recalibrated from the raw copies, not twice.
        try applier.process(&record)
        let again = try ConformalFitApplyTests.level(record, FieldName.yhatQBaseline, "0.1")[0]
        #expect(abs(again - copy) < 1e-12)
    }
}
