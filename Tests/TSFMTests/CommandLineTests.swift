import ArgumentParser
import Testing
@testable import TSFMCommandLine
@testable import TSFMCore

@Suite("Command-line argument types")
struct CommandLineTests {
    @Test func nameListsRefuseTyposAndRepeats() throws {
        #expect(try NameList<SegmentKey>.parse("liquidity_bucket, category").names == [.liquidityBucket, .category])
        #expect(try NameList<SegmentKey>.parse("").names.isEmpty)
        #expect(throws: ValidationError.self) { try NameList<SegmentKey>.parse("liquidity") }
        #expect(throws: ValidationError.self) { try NameList<EvalGroupKey>.parse("step,step") }
        do {
            _ = try NameList<EvalGroupKey>.parse("band")
        } catch let error as ValidationError {
            #expect(error.message.contains("band_source, runtime, model, step"))
        }
        #expect(NameList<EvalGroupKey>([.bandSource, .step]).description == "band_source,step")
    }

    @Test func baselineChoiceTakesOnlyKnownNames() {
        #expect(BaselineChoice(argument: "rolling") == .rolling)
        #expect(BaselineChoice(argument: "auto") == .auto)
        #expect(BaselineChoice(argument: "foo") == nil)
        #expect(BaselineChoice.allCases.map(\.rawValue) == ["auto", "ewma", "kalman", "rolling"])
        #expect(BaselineChoice.auto.chain == [.ewma, .kalman, .rollingQuantile])
    }

    @Test func durationsNeedAUnit() {
        #expect(DurationArgument(argument: "90") == nil)
        #expect(DurationArgument(argument: "0")?.seconds == 0)
        #expect(DurationArgument(argument: "90m")?.seconds == 5400)
        #expect(DurationArgument(argument: "1.5h")?.seconds == 5400)
    }

    @Test func asOfIsATimeOrNow() {
        #expect(AsOfArgument(argument: "2026-11-20T12:00:00Z")?.timestamp == Timestamp("2026-11-20T12:00:00Z"))
        #expect(AsOfArgument(argument: "now") != nil)
        #expect(AsOfArgument(argument: "yesterday") == nil)
    }
}
