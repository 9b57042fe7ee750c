import Foundation
import Testing
@testable import TSFMCore

/// Online adaptation (`apply --adapt`): outcomes count only when due, records must come in time
/// order, the state survives a run and belongs to one parameter version.
@Suite struct ConformalAdaptTests {
    static let t0 = Timestamp("2026-11-10T00:00:00Z")!

    static func parameters(version: String = "2026-11-10") -> ConformalParameters {
        var p = ConformalFitApplyTests.handParameters()
        p.version = version
        return p
    }

    /// A forecast at t0 + minutes·60 whose y at step 1 is `y` (band 0.3 / 0.5 / 0.7).
    static func record(minutes: Int64, y: Double) -> Record {
        conformalForecast(ts: (t0 + minutes * 60).rfc3339, lo: [0.3, 0.3], mid: [0.5, 0.5], hi: [0.7, 0.7], future: [y, y],
                          liquidity: "LOW")
    }

    @Test func anOutcomeCountsOnlyOnceItIsDue() throws {
        var applier = ConformalApplier(parameters: Self.parameters(), adaptation: OnlineCalibration(parameters: Self.parameters()))
        // A miss at t0: step 1 is due at t0 + 5 min, step 2 at t0 + 10 min.
        var first = Self.record(minutes: 0, y: 0.99)
        try applier.process(&first)
        #expect(applier.adaptation!.counted == 0 && applier.adaptation!.pending.count == 2)
        var before = Self.record(minutes: 4, y: 0.5)
        try applier.process(&before)
        #expect(applier.adaptation!.counted == 0)
        var due = Self.record(minutes: 5, y: 0.5)
        try applier.process(&due)
        #expect(applier.adaptation!.counted == 1)
        #expect(applier.adaptation!.offset(group: "global", step: 1) > 0)
        #expect(applier.adaptation!.offset(group: "global", step: 2) == 0)
        #expect(try due.object(FieldName.meta)![MetaKey.conformal]!.object!["adaptive"] == .bool(true))
    }

    @Test func recordsMustComeInAsOfOrder() throws {
        var applier = ConformalApplier(parameters: Self.parameters(), adaptation: OnlineCalibration(parameters: Self.parameters()))
        var later = Self.record(minutes: 10, y: 0.5)
        try applier.process(&later)
        var earlier = Self.record(minutes: 5, y: 0.5)
        #expect(throws: RecordError.self) { try applier.process(&earlier) }
    }

    @Test func theWindowReplacesTheStoredAdjustmentOnceFull() throws {
        var a = OnlineCalibration(parameters: Self.parameters(), rate: 0.01, window: 100)
        let key = OnlineCalibration.Key(group: "global", step: 1)
        var outcomes: [OnlineCalibration.Outcome] = []
        for i in 0..<(OnlineCalibration.minimumOutcomes - 1) {
            outcomes.append(.init(due: Int64(i), key: key, miss: false, score: -0.5, scale: 1))
        }
        a.countNow(outcomes)
        #expect(a.adjustment(group: "global", step: 1, fitted: 0.3) == 0.3 + a.offset(group: "global", step: 1))
        a.countNow([.init(due: 1000, key: key, miss: false, score: -0.5, scale: 1)])
        #expect(abs(a.adjustment(group: "global", step: 1, fitted: 0.3) - (-0.5 + a.offset(group: "global", step: 1))) < 1e-6)
        // Covered outcomes narrow: the offset went down by rate · scale · α each time.
        #expect(abs(a.offset(group: "global", step: 1) - -Double(OnlineCalibration.minimumOutcomes) * 0.01 * 0.1) < 1e-9)
    }

    @Test func stateRoundTripsAndBelongsToOneParameterVersion() throws {
        var applier = ConformalApplier(parameters: Self.parameters(), adaptation: OnlineCalibration(parameters: Self.parameters()))
        for minutes in stride(from: Int64(0), through: 60, by: 5) {
            var r = Self.record(minutes: minutes, y: minutes % 10 == 0 ? 0.9 : 0.5)
            try applier.process(&r)
        }
        let state = try applier.adaptation!.encoded()
        var same = OnlineCalibration(parameters: Self.parameters())
        #expect(try same.restore(state))
        #expect(same.trackers == applier.adaptation!.trackers)
        #expect(same.pending == applier.adaptation!.pending)
        #expect(try same.encoded() == state)
        var other = OnlineCalibration(parameters: Self.parameters(version: "2026-11-11"))
        #expect(try !other.restore(state))
        #expect(other.trackers.isEmpty)
        var damaged = OnlineCalibration(parameters: Self.parameters())
        #expect(throws: OnlineCalibration.StateError.self) {
            _ = try damaged.restore(Array("{\"format_version\":1,\"params_version\":\"2026-11-10\",\"trackers\":[{\"group\":\"global\"}]}".utf8))
        }
    }

    @Test func anOutcomeCountedByAnEarlierRunIsNotCountedAgain() throws {
        var a = OnlineCalibration(parameters: Self.parameters())
        let key = OnlineCalibration.Key(group: "global", step: 1)
        a.countNow([.init(due: 100, key: key, miss: true, score: 0.2, scale: 1)])
        var next = OnlineCalibration(parameters: Self.parameters())
        _ = try next.restore(try a.encoded())
        next.countNow([.init(due: 50, key: key, miss: true, score: 0.2, scale: 1),
                       .init(due: 150, key: key, miss: true, score: 0.2, scale: 1)])
        #expect(next.counted == 1 && next.duplicates == 1)
    }
}
