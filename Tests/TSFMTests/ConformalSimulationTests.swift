import Foundation
import Testing
@testable import TSFMCore

/// The statistical acceptance test of issue 6, deterministic (fixed seed): markets follow
/// drifting logit random walks with jumps; forecasts are random-walk bands whose width is
/// deliberately wrong (half the markets too narrow, half too wide). `fit` on the first 60% of
/// the time, `apply` to the forecasts made afterwards: the adjusted bands' empirical coverage is
/// within 0.9 ± 0.03 for cqr and aci in each segment and overall, where the raw bands miss by
/// more than 0.05.
@Suite struct ConformalSimulationTests {
    static let steps = 12
    static let sigma = 0.08
    static let start = Timestamp("2026-11-01T00:00:00Z")!

    struct Simulation {
        var records: [Record] = []
        var splitTime = Timestamp(millis: 0)
    }

    static func simulate(seed: UInt64) -> Simulation {
        var random = TestRandom(state: seed)
        let markets = 30
        let times = 480
        var sim = Simulation()
        sim.splitTime = start + Int64(times * 6 / 10) * 300
        for m in 0..<markets {
            let narrow = m % 2 == 0
            // Too narrow (half the true scale) or too wide (2.5 times), before the jumps widen the truth.
            let bandScale = narrow ? 0.5 * sigma : 2.5 * sigma
            let drift = (random.uniform() - 0.5) * 0.004
            var x = [random.uniform() * 2 - 1]
            for _ in 1..<(times + steps) {
                var step = drift + sigma * random.normal()
                if random.uniform() < 0.02 { step += 0.4 * random.normal() }
                x.append(x.last! + step)
            }
            for t in 0..<times {
                let h = (1...steps).map { Double($0).squareRoot() * bandScale * 1.2816 }
                sim.records.append(conformalForecast(
                    ts: (start + Int64(t) * 300).rfc3339,
                    lo: h.map { logistic(x[t] - $0) }, mid: h.map { _ in logistic(x[t]) }, hi: h.map { logistic(x[t] + $0) },
                    future: (1...steps).map { logistic(x[t + $0]) },
                    liquidity: narrow ? "NARROW" : "WIDE", source: "tsfm_raw"))
            }
        }
        return sim
    }

    /// Coverage of the outer pair per segment ("all" too), from yhat_q or yhat_q_raw.
    static func coverage(_ records: [Record], field: String) throws -> [String: Double] {
        var covered: [String: Int] = [:]
        var total: [String: Int] = [:]
        for r in records {
            let band = try QuantileBand.decode(from: r, field: field)!
            let y = try r.doubles(FieldName.yFuture)!
            let segment = try r.string(FieldName.liquidityBucket)!
            for h in 0..<steps {
                let inside = band.values[0][h] <= y[h] && y[h] <= band.values[2][h]
                for key in [segment, "all"] {
                    total[key, default: 0] += 1
                    if inside { covered[key, default: 0] += 1 }
                }
            }
        }
        return total.reduce(into: [:]) { out, item in out[item.key] = Double(covered[item.key] ?? 0) / Double(item.value) }
    }

    @Test(arguments: [ConformalMethod.cqr, .aci])
    func calibratedCoverageOnLaterData(method: ConformalMethod) throws {
        let sim = Self.simulate(seed: 20261125)
        var settings = FitSettings()
        settings.method = method
        settings.segments = SegmentKeys([FieldName.liquidityBucket])
        settings.asOf = sim.splitTime
        settings.window = DurationArgument(seconds: 30 * 86_400, text: "30d")
        let history = CalibrationSet(settings: settings)
        var later: [Record] = []
        for r in sim.records {
            let ts = Timestamp(try r.string(FieldName.asOfTs)!)!
            if ts <= sim.splitTime { try history.add(r) } else { later.append(r) }
        }
        let params = history.parameters()!
        #expect(params.groups.map(\.group) == ["global", "liquidity_bucket=NARROW", "liquidity_bucket=WIDE"])
        var applier = ConformalApplier(parameters: params)
        for i in later.indices { try applier.process(&later[i]) }
        #expect(applier.totals.adjusted == later.count)

        let raw = try Self.coverage(later, field: FieldName.yhatQRaw)
        let adjusted = try Self.coverage(later, field: FieldName.yhatQ)
        for segment in ["NARROW", "WIDE"] {
            #expect(abs(raw[segment]! - 0.9) > 0.05, "raw \(segment) \(raw[segment]!)")
        }
        #expect(raw["NARROW"]! < 0.85 && raw["WIDE"]! > 0.95)
        for segment in ["NARROW", "WIDE", "all"] {
            #expect(abs(adjusted[segment]! - 0.9) <= 0.03, "\(method) \(segment): raw \(raw[segment]!), adjusted \(adjusted[segment]!)")
        }
    }
}
