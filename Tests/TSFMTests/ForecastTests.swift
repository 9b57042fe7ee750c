import Foundation
import Testing
@testable import TSFMCore

/// A stand-in model runtime: answers each call with `answer`, records the chunks it was given.
final class FakeRuntime: ModelRuntime {
    let chunkSize: Int
    let answer: (ModelCall) -> ModelOutcome
    private(set) var chunks: [[ModelCall]] = []

    init(chunkSize: Int, answer: @escaping (ModelCall) -> ModelOutcome) {
        self.chunkSize = chunkSize
        self.answer = answer
    }

    func forecast(_ calls: [ModelCall]) -> [ModelOutcome] {
        chunks.append(calls)
        return calls.map(answer)
    }

    /// A model band: a flat line at the request's last value ± 0.05 per level rank.
    static func band(for call: ModelCall) -> QuantileBand {
        let request = call.request
        let last = request.y.last!
        let values = request.quantiles.map { level in
            Array(repeating: min(max(last + (level - 0.5) * 0.1, 0), 1), count: request.horizonSteps)
        }
        return QuantileBand(levels: request.quantiles, values: values)
    }

    static func succeeding(chunkSize: Int) -> FakeRuntime {
        FakeRuntime(chunkSize: chunkSize) { call in
            .success(ModelForecast(band: band(for: call), modelName: call.modelName, modelVersion: "test-1",
                                   latencyMs: 12.5, warnings: [], cached: call.request.marketId.hasSuffix("cached")))
        }
    }
}

private func request(_ id: String, y: [Double] = [0.4, 0.42, 0.41, 0.45, 0.44], extra: String = "") -> String {
    let values = y.map { "\($0)" }.joined(separator: ",")
    return #"{"market_id":"\#(id)","as_of_ts":"2026-11-20T12:00:00Z","horizon_steps":3,"y":[\#(values)]\#(extra)}"#
}

/// Runs the forecaster over `lines` and returns its output lines and totals.
private func forecast(_ lines: [String], mode: RuntimeMode = .auto, runtime: ModelRuntime? = nil,
                      onError: OnErrorPolicy = .fail, deterministic: Bool = true,
                      clock: @escaping () -> UInt64 = { 0 }) throws -> (lines: [String], totals: Forecaster.Totals) {
    let path = try temporaryFile(lines.joined(separator: "\n") + "\n")
    let outPath = path + ".out"
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    let handle = FileHandle(forWritingAtPath: outPath)!
    defer { try? handle.close() }
    let sink = OutputSink(fd: handle.fileDescriptor)
    let forecaster = Forecaster(policy: ForecastPolicy(mode: mode), settings: BaselineSettings(), runtime: runtime,
                                deterministic: deterministic, logger: .silent(), clock: clock, idSeed: 1)
    try forecaster.run(input: NDJSONInput(paths: [path]), output: sink, onError: onError)
    try sink.flush()
    let text = try String(contentsOfFile: outPath, encoding: .utf8)
    let located = text.replacingOccurrences(of: path, with: "F")
    return (located.split(separator: "\n").map(String.init), forecaster.totals)
}

private func meta(_ line: String) throws -> JSONObject {
    try #require(try Record(line).object(FieldName.meta))
}

private func reason(_ line: String) throws -> String? {
    try meta(line)[MetaKey.fallbackReason]?.string
}

@Suite("Forecast policy")
struct ForecastPolicyTests {
    func decoded(_ extra: String) throws -> ForecastRequest {
        try ForecastRequest(record: Record(request("m", extra: extra)))
    }

    @Test func ineligibleReasonsMapToFallbackCodes() throws {
        let cases: [(String, FallbackReason)] = [
            ("gap_too_long", .ineligibleGapTooLong), ("too_short", .tooShort), ("illiquid", .illiquid),
            ("stale", .ineligibleStale), ("something_new", .ineligibleOther),
        ]
        let policy = ForecastPolicy()
        for (text, expected) in cases {
            let r = try decoded(#","quality":{"tsfm_eligible":false,"baseline_only_reasons":["\#(text)"]}"#)
            #expect(policy.route(r, runtimeAvailable: true) == .baseline(expected))
        }
        let none = try decoded(#","quality":{"tsfm_eligible":false,"baseline_only_reasons":[]}"#)
        #expect(policy.route(none, runtimeAvailable: true) == .baseline(.ineligibleOther))
        let firstKnown = try decoded(#","quality":{"tsfm_eligible":false,"baseline_only_reasons":["x","stale","too_short"]}"#)
        #expect(policy.route(firstKnown, runtimeAvailable: true) == .baseline(.ineligibleStale))
    }

    @Test func illiquidByBucketOrVolume() throws {
        let policy = ForecastPolicy()
        for extra in [#","liquidity_bucket":"LOW""#, #","liquidity_bucket":"low""#, #","volume_24h":4999.99"#] {
            #expect(policy.route(try decoded(extra), runtimeAvailable: true) == .baseline(.illiquid))
        }
        for extra in [#","liquidity_bucket":"MEDIUM","volume_24h":5000"#, #","quality":{"tsfm_eligible":true}"#, ""] {
            #expect(policy.route(try decoded(extra), runtimeAvailable: true) == .model)
        }
        let custom = ForecastPolicy(mode: .auto, illiquidVolume: 100)
        #expect(custom.route(try decoded(#","volume_24h":4999"#), runtimeAvailable: true) == .model)
    }

    @Test func modes() throws {
        let ineligible = try decoded(#","liquidity_bucket":"LOW","quality":{"tsfm_eligible":false,"baseline_only_reasons":["gap_too_long"]}"#)
        let eligible = try decoded("")
        #expect(ForecastPolicy(mode: .baseline).route(eligible, runtimeAvailable: true) == .baseline(nil))
        #expect(ForecastPolicy(mode: .tollama).route(ineligible, runtimeAvailable: true) == .model)
        #expect(ForecastPolicy(mode: .tollama).route(eligible, runtimeAvailable: false) == .baseline(.tollamaUnreachable))
        #expect(ForecastPolicy(mode: .auto).route(eligible, runtimeAvailable: false) == .baseline(.tollamaUnreachable))
        #expect(ForecastPolicy(mode: .auto).route(ineligible, runtimeAvailable: false) == .baseline(.ineligibleGapTooLong))
    }
}

@Suite("Forecast meta and request ids")
struct ForecastMetaTests {
    @Test func keysInContractOrder() throws {
        let meta = ForecastMeta(runtime: .tollama, modelName: "chronos2", modelVersion: "1.0", latencyMs: 3.25,
                                inputLength: 288, transform: .standard, fallbackUsed: false, fallbackReason: nil,
                                warnings: ["w"], requestId: "id", bandSource: .tsfmRaw, cached: true)
        let text = String(decoding: try meta.encoded(), as: UTF8.self)
        #expect(text == #"{"runtime":"tollama","model_name":"chronos2","model_version":"1.0","latency_ms":3.25,"input_len":288,"transform":{"space":"logit","eps":1e-06},"fallback_used":false,"fallback_reason":null,"warnings":["w"],"request_id":"id","band_source":"tsfm_raw","cached":true}"#)
        let baseline = ForecastMeta(runtime: .baseline, modelName: "baseline:ewma", latencyMs: nil, inputLength: 5,
                                    transform: .identity, fallbackUsed: true, fallbackReason: .illiquid, warnings: [],
                                    requestId: "id", bandSource: .baseline)
        #expect(String(decoding: try baseline.encoded(), as: UTF8.self) == #"{"runtime":"baseline","model_name":"baseline:ewma","model_version":null,"input_len":5,"transform":{"space":"identity"},"fallback_used":true,"fallback_reason":"illiquid","warnings":[],"request_id":"id","band_source":"baseline"}"#)
    }

    @Test func requestIds() {
        let shape = #/^[0-9a-f]{8}-[0-9a-f]{4}-([48])[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/#
        let a = RequestIdSource.derived(from: Array("{\"a\":1}".utf8))
        #expect(a == RequestIdSource.derived(from: Array("{\"a\":1}".utf8)))
        #expect(a != RequestIdSource.derived(from: Array("{\"a\":2}".utf8)))
        #expect(a.wholeMatch(of: shape)?.output.1 == "8")
        var random = RequestIdSource(deterministic: false, seed: 7)
        let r1 = random.next(for: [1])
        let r2 = random.next(for: [1])
        #expect(r1 != r2)
        #expect(r1.wholeMatch(of: shape)?.output.1 == "4")
        var derived = RequestIdSource(deterministic: true)
        #expect(derived.next(for: [1, 2]) == RequestIdSource.derived(from: [1, 2]))
    }
}

@Suite("Forecaster")
struct ForecasterTests {
    @Test func baselineModeServesEveryRequestWithoutFallback() throws {
        let (lines, totals) = try forecast([request("a"), request("b", extra: #","liquidity_bucket":"LOW""#)], mode: .baseline)
        #expect(lines.count == 2)
        for line in lines {
            let m = try meta(line)
            #expect(m[MetaKey.runtime] == "baseline")
            #expect(m[MetaKey.modelName] == "baseline:ewma")
            #expect(m[MetaKey.fallbackUsed] == false)
            #expect(m[MetaKey.fallbackReason] == .null)
            #expect(m[MetaKey.bandSource] == "baseline")
            #expect(m[MetaKey.latencyMs] == nil)
            let band = try #require(try QuantileBand.decode(from: Record(line), field: FieldName.yhatQ, horizon: 3))
            #expect(band.levels == [0.1, 0.5, 0.9])
        }
        #expect(totals.baseline == 2 && totals.fallbacks == 0)
    }

    @Test func unknownFieldsPassThroughAndForecastIsAppended() throws {
        let line = request("a", extra: #","category":"sports","x_past":{"k":[1,2]},"note":"keep \"me\"""#)
        let out = try forecast([line], mode: .baseline).lines[0]
        #expect(out.hasPrefix(String(line.dropLast()) + #","yhat_q":{"0.1":["#))
        #expect(try Record(out).keys.suffix(2) == [FieldName.yhatQ, FieldName.meta])
    }

    @Test func noRuntimeInAutoFallsBackAsUnreachable() throws {
        let (lines, totals) = try forecast([request("a"), request("b", extra: #","volume_24h":10"#)])
        #expect(try reason(lines[0]) == "tollama_unreachable")
        #expect(try reason(lines[1]) == "illiquid")
        #expect(try meta(lines[0])[MetaKey.fallbackUsed] == true)
        #expect(totals.fallbackReasons == ["tollama_unreachable": 1, "illiquid": 1])
    }

    @Test func degenerateSeriesWarns() throws {
        let (lines, totals) = try forecast([request("flat", y: [0.3, 0.3, 0.3, 0.3])], mode: .baseline)
        let m = try meta(lines[0])
        #expect(m[MetaKey.modelName] == "baseline:flat")
        #expect(m[MetaKey.warnings] == ["degenerate_series"])
        #expect(totals.degenerate == 1)
    }

    @Test func latencyIsWrittenUnlessDeterministic() throws {
        var now: UInt64 = 0
        let clock: () -> UInt64 = {
            now += 1_234_567
            return now
        }
        let m = try meta(forecast([request("a")], mode: .baseline, deterministic: false, clock: clock).lines[0])
        #expect(m[MetaKey.latencyMs] == .double(1.235))
        let id = try #require(m[MetaKey.requestId]?.string)
        #expect(id.count == 36)
    }

    @Test func modelAnswersInInputOrderWhateverTheChunkSize() throws {
        let lines = [
            request("m1"),
            request("b1", extra: #","liquidity_bucket":"LOW""#),
            #"{"error":{"file":"x","line":1,"reason":"earlier"},"input":"?"}"#,
            request("m2"),
            "not json",
            request("m3", extra: #","model":{"model_name":"timesfm"}"#),
            request("bad", y: [1.5]),
            request("m4-cached"),
        ]
        var outputs: [[String]] = []
        for chunkSize in [1, 2, 3, 100] {
            let runtime = FakeRuntime.succeeding(chunkSize: chunkSize)
            let (out, totals) = try forecast(lines, runtime: runtime, onError: .skip)
            #expect(runtime.chunks.allSatisfy { $0.count <= chunkSize })
            #expect(runtime.chunks.flatMap { $0 }.map(\.request.marketId) == ["m1", "m2", "m3", "m4-cached"])
            #expect(runtime.chunks.flatMap { $0 }.map(\.modelName) == ["chronos2", "chronos2", "timesfm", "chronos2"])
            #expect(totals.model == 4 && totals.baseline == 1 && totals.badLines == 2 && totals.errorRecordsPassed == 1)
            outputs.append(out)
        }
        #expect(outputs.allSatisfy { $0 == outputs[0] })
        let out = outputs[0]
        #expect(out.count == lines.count)
        #expect(try Record(out[0]).string(FieldName.marketId) == "m1")
        #expect(try meta(out[0])[MetaKey.runtime] == "tollama")
        #expect(try meta(out[0])[MetaKey.bandSource] == "tsfm_raw")
        #expect(try meta(out[0])[MetaKey.modelVersion] == "test-1")
        #expect(try meta(out[0])[MetaKey.cached] == nil)
        #expect(try reason(out[1]) == "illiquid")
        #expect(out[2] == lines[2])
        #expect(try Record(out[4]).has(FieldName.error))
        #expect(try meta(out[5])[MetaKey.modelName] == "timesfm")
        #expect(try Record(out[6]).has(FieldName.error))
        #expect(try meta(out[7])[MetaKey.cached] == true)
        // The request id the model was sent is the one in meta.
        let runtime = FakeRuntime.succeeding(chunkSize: 2)
        let again = try forecast(lines, runtime: runtime, onError: .skip).lines
        #expect(try meta(again[0])[MetaKey.requestId]?.string == runtime.chunks[0][0].requestId)
    }

    @Test func everyModelFailureFallsBackWithItsReason() throws {
        let reasons: [FallbackReason] = [.tollamaTimeout, .tollamaHTTP(503), .tollamaUnreachable, .tollamaInvalidResponse,
                                         .circuitOpen, .modelNotInstalled, .baselineOnlyMode]
        let lines = reasons.indices.map { request("m\($0)") }
        let runtime = FakeRuntime(chunkSize: 3) { call in
            .failure(reasons[Int(call.request.marketId.dropFirst())!], detail: "test")
        }
        let (out, totals) = try forecast(lines, runtime: runtime)
        #expect(try out.map(reason) == reasons.map(\.rawValue))
        for line in out {
            let m = try meta(line)
            #expect(m[MetaKey.runtime] == "baseline" && m[MetaKey.fallbackUsed] == true)
            #expect(m[MetaKey.bandSource] == "baseline")
        }
        #expect(totals.fallbacks == reasons.count && totals.model == 0)
    }

    @Test func tollamaModeIgnoresEligibility() throws {
        let runtime = FakeRuntime.succeeding(chunkSize: 4)
        let line = request("low", extra: #","liquidity_bucket":"LOW","quality":{"tsfm_eligible":false,"baseline_only_reasons":["gap_too_long"]}"#)
        let out = try forecast([line], mode: .tollama, runtime: runtime).lines
        #expect(try meta(out[0])[MetaKey.runtime] == "tollama")
        #expect(try forecast([line], mode: .auto, runtime: runtime).lines.map(reason) == ["ineligible_gap_too_long"])
    }

    @Test func baselineModeNeverCallsTheRuntime() throws {
        let runtime = FakeRuntime.succeeding(chunkSize: 1)
        let out = try forecast([request("a"), request("b")], mode: .baseline, runtime: runtime).lines
        #expect(runtime.chunks.isEmpty)
        #expect(try out.map { try meta($0)[MetaKey.runtime] } == ["baseline", "baseline"])
    }

    @Test func heldRecordsAreBoundedWhileAChunkFills() throws {
        // One model request, then many baseline ones: the chunk is sent when max(4 × 50, 256) records are held,
        // long before the input ends or the chunk size is reached.
        let runtime = FakeRuntime.succeeding(chunkSize: 50)
        let lines = [request("m")] + (0..<600).map { request("b\($0)", extra: #","volume_24h":1"#) } + [request("m2")]
        let (out, totals) = try forecast(lines, runtime: runtime)
        #expect(runtime.chunks.map(\.count) == [1, 1])
        #expect(out.count == lines.count)
        #expect(try out.map { try Record($0).string(FieldName.marketId) } == lines.map { try Record($0).string(FieldName.marketId) })
        #expect(totals.model == 2 && totals.baseline == 600)
    }

    @Test func aModelBandThatDoesNotFitFallsBack() throws {
        let runtime = FakeRuntime(chunkSize: 2) { call in
            let band = QuantileBand(levels: [0.1, 0.9], values: [[0.1], [0.2]])
            return .success(ModelForecast(band: band, modelName: "m", latencyMs: 1))
        }
        let out = try forecast([request("a")], runtime: runtime).lines
        #expect(try reason(out[0]) == "tollama_invalid_response")
    }

    @Test func aBadLineUnderFailStopsAfterWritingTheRecordsBeforeIt() throws {
        let path = try temporaryFile([request("m1"), request("b1", extra: #","volume_24h":1"#), "{oops", request("m2")]
            .joined(separator: "\n") + "\n")
        let outPath = path + ".out"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        let handle = FileHandle(forWritingAtPath: outPath)!
        defer { try? handle.close() }
        let sink = OutputSink(fd: handle.fileDescriptor)
        let runtime = FakeRuntime.succeeding(chunkSize: 10)
        let forecaster = Forecaster(policy: ForecastPolicy(), settings: BaselineSettings(), runtime: runtime,
                                    deterministic: true, logger: .silent())
        #expect(throws: ToolError.self) {
            try forecaster.run(input: NDJSONInput(paths: [path]), output: sink, onError: .fail)
        }
        try sink.flush()
        let written = try String(contentsOfFile: outPath, encoding: .utf8).split(separator: "\n")
        #expect(written.count == 2)
        #expect(runtime.chunks.map(\.count) == [1])
    }

    @Test func invalidRequestsNameTheField() throws {
        let (out, totals) = try forecast([request("a", extra: #","horizon_steps":0"#).replacingOccurrences(of: #""horizon_steps":3,"#, with: "")],
                                         mode: .baseline, onError: .skip)
        #expect(totals.badLines == 1)
        #expect(out[0].contains("horizon_steps"))
    }
}

@Suite("Forecast: the baseline's band beside the model's")
struct ForecastBaselineCopyTests {
    @Test func modelRecordsCarryTheBaselineBandAndBaselineRecordsDoNot() throws {
        let lines = [request("m1"), request("b1", extra: #","liquidity_bucket":"LOW""#)]
        let out = try forecast(lines, runtime: FakeRuntime.succeeding(chunkSize: 1)).lines
        let model = try Record(out[0])
        let copy = try #require(try QuantileBand.decode(from: model, field: FieldName.yhatQBaseline, horizon: 3))
        let alone = try Record(out[1])
        let direct = BaselineForecaster.forecast(y: [0.4, 0.42, 0.41, 0.45, 0.44], horizon: 3, levels: QuantileLevel.standard,
                                                 transform: .standard)
        #expect(copy == direct.band)
        let copyMeta = try #require(try meta(out[0])[MetaKey.baselineBand]?.object)
        #expect(copyMeta[MetaKey.modelName] == .string(direct.kind.modelName) && copyMeta[MetaKey.bandSource] == "baseline")
        #expect(!alone.has(FieldName.yhatQBaseline))
        #expect(try meta(out[1])[MetaKey.baselineBand] == nil)
    }
}
