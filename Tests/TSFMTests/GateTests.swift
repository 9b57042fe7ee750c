import Foundation
import Testing
@testable import TSFMCore
@testable import TSFMCommandLine

/// A forecast record for the gate: band `lo/mid/hi` per step, realized `future`.
private func gateForecast(_ id: String = "m1", lo: [Double], hi: [Double], future: [Double]?, source: String = "tsfm_conformal",
                          runtime: String = "tollama", raw: (lo: [Double], hi: [Double])? = nil,
                          baseline: (lo: [Double], hi: [Double])? = nil, baselineSource: String = "baseline_conformal") -> String {
    func band(_ lo: [Double], _ hi: [Double]) -> String {
        let mid = zip(lo, hi).map { ($0 + $1) / 2 }
        return #"{"0.1":\#(lo),"0.5":\#(mid),"0.9":\#(hi)}"#
    }
    var text = #"{"market_id":"\#(id)","as_of_ts":"2026-11-24T12:00:00Z","freq":"5m","horizon_steps":\#(lo.count),"y":[0.5,0.5]"#
    if let future { text += #","y_future":\#(future)"# }
    text += #","yhat_q":\#(band(lo, hi))"#
    if let raw { text += #","yhat_q_raw":\#(band(raw.lo, raw.hi))"# }
    if let baseline { text += #","yhat_q_baseline":\#(band(baseline.lo, baseline.hi))"# }
    text += #","meta":{"runtime":"\#(runtime)","model_name":"m","model_version":"1","fallback_used":false,"fallback_reason":null,"band_source":"\#(source)","conformal":{"params_version":"v1"}"#
    if baseline != nil { text += #","baseline_band":{"model_name":"baseline:ewma","band_source":"\#(baselineSource)"}"# }
    return text + "}}"
}

/// Runs `tsfm-gate alerts`' core over lines; returns the alerts as records, the run and the
/// stream's totals.
private func alerts(_ lines: [String], _ settings: AlertSettings = AlertSettings(), onError: OnErrorPolicy = .fail) throws -> ([Record], AlertRun, StreamTotals) {
    let path = try temporaryFile(lines.joined(separator: "\n") + "\n")
    let outPath = path + ".out"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    let handle = FileHandle(forWritingAtPath: outPath)!
    defer { try? handle.close() }
    let sink = OutputSink(fd: handle.fileDescriptor)
    let run = AlertRun(settings: settings)
    let stream = RecordStream(input: NDJSONInput(paths: [path]), output: sink, onError: onError)
    try run.run(stream: stream)
    try sink.flush()
    let text = try String(contentsOfFile: outPath, encoding: .utf8)
    return (try text.split(separator: "\n").map { try Record(String($0)) }, run, stream.totals)
}

private func settings(_ rollout: RolloutPhase, _ configure: (inout AlertSettings) -> Void = { _ in }) -> AlertSettings {
    var s = AlertSettings()
    s.rollout = RolloutSetting(phase: rollout)
    configure(&s)
    return s
}

@Suite("Market hash and rollout arms")
struct MarketHashTests {
    /// Reference values from an independent implementation of the documented rule (Python).
    @Test func knownValues() {
        #expect(MarketHash.bucket("") == 0xF52A_15E9_A9B5_E89B)
        #expect(MarketHash.bucket("btc-100k-dec") == 0xB623_12E2_ECBD_31CF)
        #expect(MarketHash.bucket("fed-cut-march") == 0x7194_418D_0CAD_9A93)
        #expect(MarketHash.bucket("m-1") == 0x1AE3_9B47_2AEF_3885)
        #expect(MarketHash.bucket("élection-2028") == 0x33D5_5FA3_78E5_4D08)
        #expect(abs(MarketHash.fraction("btc-100k-dec") - 0.7114726833358318) < 1e-15)
        #expect(abs(MarketHash.fraction("m-1") - 0.10503550040715204) < 1e-15)
    }

    @Test func armsAreStableNestedAndSized() {
        let ids = (0..<100_000).map { "market-\($0)" }
        let canary = RolloutSetting(phase: .canary), ramp = RolloutSetting(phase: .ramp)
        var inCanary = 0, inRamp = 0
        for id in ids {
            let c = canary.arms(marketId: id).live == .tsfm
            let r = ramp.arms(marketId: id).live == .tsfm
            #expect(!c || r, "canary market \(id) left the ramp arm")
            #expect(c == (canary.arms(marketId: id).live == .tsfm))
            if c { inCanary += 1 }
            if r { inRamp += 1 }
        }
        #expect(abs(Double(inCanary) / 1e5 - 0.10) <= 0.005)
        #expect(abs(Double(inRamp) / 1e5 - 0.50) <= 0.005)
        // A percentage that grows keeps every market it had.
        let five = RolloutSetting(phase: .canary, percent: 5)
        #expect(ids.allSatisfy { five.arms(marketId: $0).live == .baseline || canary.arms(marketId: $0).live == .tsfm })
    }

    @Test func shardsPartitionByTheSameFraction() {
        let ids = (0..<10_000).map { "s\($0)" }
        var counts = [Int](repeating: 0, count: 4)
        for id in ids { counts[MarketHash.shard(id, of: 4)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 2500) < 200 })
        #expect(ids.allSatisfy { MarketHash.shard($0, of: 2) == (MarketHash.fraction($0) < 0.5 ? 0 : 1) })
    }

    @Test func settingsParse() {
        #expect(RolloutSetting(argumentText: "canary") == RolloutSetting(phase: .canary, percent: 10))
        #expect(RolloutSetting(argumentText: "canary:2.5")?.percent == 2.5)
        #expect(RolloutSetting(argumentText: "ramp:75")?.description == "ramp:75")
        #expect(RolloutSetting(argumentText: "full")?.percent == 100)
        for bad in ["canary:0", "canary:101", "shadow:10", "full:50", "canary:", "nope", "canary:x", "canary:nan"] {
            #expect(RolloutSetting(argumentText: bad) == nil, "\(bad)")
        }
        #expect(RolloutSetting(phase: .shadow).arms(marketId: "x") == (.baseline, .tsfm))
        #expect(RolloutSetting(phase: .rollback).arms(marketId: "x") == (.baseline, nil))
        #expect(RolloutSetting(phase: .full).arms(marketId: "x") == (.tsfm, nil))
    }
}

@Suite("Gate alerts")
struct GateAlertTests {
    let lo = [0.40, 0.40, 0.40], hi = [0.60, 0.60, 0.60]

    @Test func firstBreachPerArmOrEveryBreach() throws {
        let line = gateForecast(lo: lo, hi: hi, future: [0.5, 0.65, 0.3], baseline: (lo: [0.2, 0.2, 0.2], hi: [0.8, 0.8, 0.8]))
        let (first, _, _) = try alerts([line], settings(.full))
        #expect(first.count == 1)
        #expect(try first[0].int("step") == 2)
        #expect(try first[0].string("direction") == "above")
        #expect(try first[0].string("breach_ts") == "2026-11-24T12:10:00Z")
        #expect(try first[0].double("hi") == 0.6)
        #expect(try first[0].string("band_source") == "tsfm_conformal")
        #expect(try first[0].string("params_version") == "v1")
        #expect(try first[0].string("arm") == "tsfm")
        let (every, _, _) = try alerts([line], settings(.full) { $0.all = true })
        #expect(try every.map { try $0.int("step")! } == [2, 3])
        #expect(try every[1].string("direction") == "below")
        // The baseline band is wide: rolled back, nothing breaches.
        #expect(try alerts([line], settings(.rollback)).0.isEmpty)
    }

    @Test func shadowWritesBothArms() throws {
        let line = gateForecast(lo: lo, hi: hi, future: [0.9, 0.5, 0.5], baseline: (lo: [0.3, 0.3, 0.3], hi: [0.7, 0.7, 0.7]))
        let (out, run, _) = try alerts([line], settings(.shadow))
        #expect(try out.map { try $0.string("arm")! } == ["baseline", "tsfm"])
        #expect(try out.map { try $0.value("shadow")!.bool! } == [false, true])
        #expect(try out[0].string("band_source") == "baseline_conformal")
        #expect(try out[0].string("model_name") == "baseline:ewma")
        #expect(run.gate.totals.alerts == 1 && run.gate.totals.shadowAlerts == 1)
        #expect(try out[0].string("alert_id") != out[1].string("alert_id"))
    }

    @Test func alertIdsAreStable() throws {
        let line = gateForecast(lo: lo, hi: hi, future: [0.9, 0.5, 0.5])
        let a = try alerts([line], settings(.full)).0, b = try alerts([line, line], settings(.full)).0
        #expect(try a[0].string("alert_id") == b[0].string("alert_id") && b[0].string("alert_id") == b[1].string("alert_id"))
        let other = try alerts([gateForecast("m2", lo: lo, hi: hi, future: [0.9, 0.5, 0.5])], settings(.full)).0
        #expect(try other[0].string("alert_id") != a[0].string("alert_id"))
    }

    @Test func bandSourceFallsBackConformalRawBaseline() throws {
        let future = [0.55, 0.5, 0.5]
        // Not calibrated: the raw model band, said so.
        let raw = gateForecast(lo: lo, hi: [0.5, 0.6, 0.6], future: future, source: "tsfm_raw")
        let a = try alerts([raw], settings(.full)).0
        #expect(try a[0].string("band_source") == "tsfm_raw" && a[0].string("band_source_fallback") == "not_calibrated")
        #expect(try a[0].value("params_version") == .null)
        // tsfm_raw asked: yhat_q_raw, no fallback.
        let calibrated = gateForecast(lo: lo, hi: hi, future: future, raw: (lo: lo, hi: [0.5, 0.5, 0.5]))
        let b = try alerts([calibrated], settings(.full) { $0.bandSource = .tsfmRaw }).0
        #expect(try b[0].string("band_source") == "tsfm_raw" && b[0].value("band_source_fallback") == .null)
        #expect(try b[0].double("hi") == 0.5)
        // The calibrated band holds the price: no alert from it.
        #expect(try alerts([calibrated], settings(.full)).0.isEmpty)
        // Served by a baseline: the baseline band, said so.
        let served = gateForecast(lo: lo, hi: [0.5, 0.6, 0.6], future: future, source: "baseline_conformal", runtime: "baseline")
        let c = try alerts([served], settings(.full)).0
        #expect(try c[0].string("band_source") == "baseline_conformal" && c[0].string("band_source_fallback") == "baseline_served")
        // baseline asked: the copy beside the model band.
        let copy = gateForecast(lo: lo, hi: hi, future: future, baseline: (lo: lo, hi: [0.5, 0.5, 0.5]), baselineSource: "baseline")
        let d = try alerts([copy], settings(.full) { $0.bandSource = .baseline }).0
        #expect(try d[0].string("band_source") == "baseline" && d[0].value("band_source_fallback") == .null)
        #expect(try d[0].value("params_version") == .null)
        // A model record without the copy gives the baseline arm nothing, counted.
        let (none, run, _) = try alerts([gateForecast(lo: lo, hi: hi, future: [0.9, 0.5, 0.5])], settings(.rollback))
        #expect(none.isEmpty && run.gate.totals.withoutBaselineBand == 1)
    }

    @Test func pairChoice() throws {
        let line = #"{"market_id":"m","as_of_ts":"2026-11-24T12:00:00Z","horizon_steps":1,"y_future":[0.35],"yhat_q":{"0.05":[0.3],"0.25":[0.4],"0.5":[0.5],"0.75":[0.6],"0.95":[0.7]},"meta":{"band_source":"tsfm_conformal"}}"#
        #expect(try alerts([line], settings(.full)).0.isEmpty)
        let inner = try alerts([line], settings(.full) { $0.pair = (0.25, 0.75) }).0
        #expect(try inner[0].string("pair") == "0.25-0.75" && inner[0].double("lo") == 0.4)
        #expect(throws: ToolError.self) { try alerts([line], settings(.full) { $0.pair = (0.1, 0.9) }) }
        #expect(AlertSettings.parsePair("0.1-0.9")! == (0.1, 0.9))
        #expect(AlertSettings.parsePair("0.1-0.8") == nil && AlertSettings.parsePair("0.9-0.1") == nil)
    }

    @Test func followThroughIsEvalsDefinition() throws {
        // Breach above at step 1, then a further +0.03 within 6h (72 steps at 5m).
        var path = [0.65] + Array(repeating: 0.66, count: 71) + [0.68]
        let settings = settings(.full)
        let line = { (future: [Double]) in gateForecast(lo: [0.4], hi: [0.6], future: future) }
        #expect(try alerts([line(path)], settings).0[0].value("followthrough") == .bool(true))
        path[72] = 0.67
        #expect(try alerts([line(path)], settings).0[0].value("followthrough") == .bool(false))
        #expect(IntervalMetrics.followThrough(path: path, at: 0, above: true, move: 0.03, window: 72) == false)
        // The window is not wholly known: undecided.
        #expect(try alerts([line(Array(path.prefix(50)))], settings).0[0].value("followthrough") == .null)
    }

    @Test func recordsWithoutFutureErrorRecordsAndBadLines() throws {
        let lines = [
            gateForecast(lo: lo, hi: hi, future: nil),
            #"{"error":{"file":"x","line":1,"reason":"earlier"},"input":"?"}"#,
            "not json",
            #"{"market_id":"m","as_of_ts":"2026-11-24T12:00:00Z","y_future":[0.5],"meta":{"band_source":"tsfm_raw"}}"#,
            #"{"market_id":"m","as_of_ts":"2026-11-24T12:00:00Z","y_future":[1.5],"yhat_q":{"0.1":[0.1],"0.9":[0.9]}}"#,
            #"{"market_id":"m","as_of_ts":"2026-11-24T12:00:00Z","y_future":[0.5],"yhat_q":{"0.1":[0.1],"0.9":[0.9]}}"#,
            #"{"market\u005fid":"m","as_of_ts":"2026-11-24T12:00:00Z","y_future":[0.95],"yhat_q":{"0.1":[0.1],"0.9":[0.9]},"meta":{"band_source":"tsfm_raw"}}"#,
        ]
        let (out, run, totals) = try alerts(lines, settings(.full), onError: .skip)
        #expect(run.gate.totals.withoutFuture == 1)
        #expect(totals.errorRecordsPassed == 1)
        #expect(totals.badLines == 4)
        let reasons = out.compactMap { try? $0.object("error")?["reason"]?.string }
        #expect(reasons.count == 5)
        #expect(reasons.contains("field 'yhat_q': missing (tsfm-forecast writes it)"))
        #expect(reasons.contains("field 'y_future[0]': 1.5 is not a probability in [0, 1]"))
        #expect(reasons.contains { $0.hasPrefix("field 'meta.band_source': missing") })
        // The escaped key is read like any other.
        #expect(try out.last!.string("market_id") == "m" && out.last!.string("direction") == "above")
        #expect(throws: ToolError.self) { try alerts(["not json"], settings(.full)) }
    }
}

@Suite("Gate rollout state and review")
struct GateReviewTests {
    @Test func stateRoundTripsAndRollbackWins() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gate-\(UUID().uuidString)/a/b").path
        let store = RolloutStore(directory: dir)
        #expect(try store.load() == nil)
        let t = Timestamp("2026-11-24T12:00:00Z")!
        let state = RolloutState(setting: RolloutSetting(phase: .canary, percent: 5), since: t, setBy: "rollout", reason: "why",
                                 previous: RolloutSetting(phase: .shadow))
        try store.save(state)
        #expect(try store.load() == state)
        let log = Logger.silent()
        #expect(GatePhase.effective(recorded: state, requested: RolloutSetting(phase: .full), logger: log).phase == .full)
        #expect(GatePhase.effective(recorded: state, requested: nil, logger: log).percent == 5)
        #expect(GatePhase.effective(recorded: nil, requested: nil, logger: log).phase == .shadow)
        let rolled = RolloutState(setting: RolloutSetting(phase: .rollback), since: t, setBy: "review", reason: "r")
        #expect(GatePhase.effective(recorded: rolled, requested: RolloutSetting(phase: .full), logger: log).phase == .rollback)
        try Data("{\"version\":7}".utf8).write(to: URL(fileURLWithPath: store.path))
        #expect(throws: ToolError.self) { try store.load() }
        #expect(StateDir.resolve(explicit: nil) { $0 == "XDG_STATE_HOME" ? "/x" : "/home/u" } == "/x/tsfm")
        #expect(StateDir.resolve(explicit: nil) { $0 == "HOME" ? "/home/u" : nil } == "/home/u/.local/state/tsfm")
        #expect(StateDir.resolve(explicit: "/s") { _ in "/x" } == "/s")
    }

    private func alert(_ i: Int, arm: RolloutArm, followed: Bool?, hoursAgo: Double = 1) -> Record {
        let breach = Timestamp(millis: Timestamp("2026-11-24T12:00:00Z")!.millis - Int64(hoursAgo * 3_600_000))
        let ft = followed.map { $0 ? "true" : "false" } ?? "null"
        return try! Record(#"{"alert_id":"\#(arm.rawValue)-\#(i)","market_id":"m\#(i)","freq":"5m","breach_ts":"\#(breach.rfc3339)","direction":"above","y":0.6,"arm":"\#(arm.rawValue)","followthrough":\#(ft)}"#)
    }

    private func review(tsfm: Int, tsfmFollowed: Int, baseline: Int, baselineFollowed: Int,
                        _ configure: (inout ReviewSettings) -> Void = { _ in }) throws -> AlertReview {
        var s = ReviewSettings(now: Timestamp("2026-11-24T12:00:00Z")!)
        configure(&s)
        let r = AlertReview(settings: s)
        for i in 0..<tsfm { try r.add(alert(i, arm: .tsfm, followed: i < tsfmFollowed)) }
        for i in 0..<baseline { try r.add(alert(i, arm: .baseline, followed: i < baselineFollowed)) }
        return r
    }

    @Test func decidesRollbackKeepAndTooFew() throws {
        // 0.5 vs 0.6: floor 0.51, so rollback; 0.52 is kept.
        #expect(try review(tsfm: 100, tsfmFollowed: 50, baseline: 100, baselineFollowed: 60).verdict.verdict == .rollback)
        #expect(try review(tsfm: 100, tsfmFollowed: 52, baseline: 100, baselineFollowed: 60).verdict.verdict == .keep)
        #expect(try review(tsfm: 100, tsfmFollowed: 80, baseline: 100, baselineFollowed: 60).verdict.verdict == .keep)
        #expect(try review(tsfm: 29, tsfmFollowed: 0, baseline: 100, baselineFollowed: 60).verdict.verdict == .tooFewAlerts)
        #expect(try review(tsfm: 10, tsfmFollowed: 0, baseline: 10, baselineFollowed: 9) { $0.minAlerts = 10 }.verdict.verdict == .rollback)
        #expect(try review(tsfm: 100, tsfmFollowed: 50, baseline: 100, baselineFollowed: 60) { $0.maxDrop = 0.2 }.verdict.verdict == .keep)
    }

    @Test func windowDuplicatesAndUndecided() throws {
        var s = ReviewSettings(now: Timestamp("2026-11-24T12:00:00Z")!)
        s.minAlerts = 1
        let r = AlertReview(settings: s)
        try r.add(alert(1, arm: .tsfm, followed: true))
        try r.add(alert(1, arm: .tsfm, followed: true))
        try r.add(alert(2, arm: .tsfm, followed: nil))
        try r.add(alert(3, arm: .tsfm, followed: true, hoursAgo: 73))
        try r.add(alert(4, arm: .tsfm, followed: true, hoursAgo: -1))
        try r.add(alert(5, arm: .baseline, followed: false))
        #expect(r.duplicates == 1 && r.outsideWindow == 2)
        #expect(r.scores[.tsfm] == { var a = ArmScore(); a.alerts = 2; a.decided = 1; a.followed = 1; return a }())
        #expect(r.scores[.baseline]!.precision == 0)
        #expect(r.verdict.verdict == .keep)
        #expect(throws: RecordError.self) { try r.add(try Record(#"{"alert_id":"x","arm":"canary","breach_ts":"2026-11-24T11:00:00Z"}"#)) }
    }
}
