import Foundation
import Testing
@testable import TollamaClient
@testable import TSFMCore

@Suite("scale-out: shards, exact sums, partials")
struct ScaleOutTests {
    @Test func marketHashIsTheDocumentedFNV1aMixed() {
        // FNV-1a 64 test vectors (Fowler, Noll, Vo): "" and "a"; then the SplitMix64 finaliser.
        #expect(MarketHash.fnv1a("".utf8) == 0xcbf2_9ce4_8422_2325)
        #expect(MarketHash.fnv1a("a".utf8) == 0xaf63_dc4c_8601_ec8c)
        #expect(MarketHash.fraction("a") == Double(MarketHash.mix(0xaf63_dc4c_8601_ec8c) >> 11) / 9_007_199_254_740_992)
        for id in ["", "a", "will-x-win-2026", "0x3f…é"] {
            let f = MarketHash.fraction(id)
            #expect(f >= 0 && f < 1)
        }
    }

    /// Sequential ids (market-1, market-2, …) balance too: plain FNV-1a put 2,000 of them
    /// 0/800/1100/100 into 4 shards; the finaliser's mixing spreads them.
    @Test func sequentialIdsSpreadOverShards() {
        var counts = [Int](repeating: 0, count: 4)
        for i in 1...2000 { counts[MarketHash.shard("market-\(i)", of: 4)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 500) < 75 }, "\(counts)")
    }

    @Test func everyMarketIsInExactlyOneShard() throws {
        // Random ids (as Polymarket's 0x… condition ids are).
        var rng = SplitMix64(seed: 11)
        let ids = (0..<2000).map { _ in "0x" + String(rng.next(), radix: 16) + String(rng.next(), radix: 16) }
        for n in [1, 2, 3, 4, 7] {
            let specs = try (1...n).map { try #require(ShardSpec(argument: "\($0)/\(n)")) }
            var counts = [Int](repeating: 0, count: n)
            for id in ids {
                let holders = specs.indices.filter { specs[$0].contains(id) }
                #expect(holders.count == 1)
                counts[holders[0]] += 1
            }
            // Roughly even (a hash, not round robin): each shard within 25% of its share.
            for c in counts { #expect(abs(Double(c) - 2000 / Double(n)) < 0.25 * 2000 / Double(n)) }
        }
    }

    @Test func shardArgumentsOutsideTheRangeAreRefused() {
        for bad in ["0/4", "5/4", "1/0", "a/4", "1/", "/4", "1/4/2", "-1/4", "1/2000000"] { #expect(ShardSpec(argument: bad) == nil) }
        #expect(ShardSpec(argument: "4/4") == ShardSpec(argument: "4/4"))
        #expect(ShardSpec(argument: "2/3")?.description == "2/3")
    }

    @Test func exactSumIsIndependentOfOrderAndCancelsExactly() {
        var rng = SplitMix64(seed: 17)
        let terms = (0..<5000).map { _ in (rng.uniform() - 0.3) * pow(10, Double(Int(rng.uniform() * 12)) - 8) }
        var forward = ExactSum(), backward = ExactSum(), halves = ExactSum(), other = ExactSum()
        for t in terms { forward += t }
        for t in terms.reversed() { backward += t }
        for t in terms.prefix(2500) { halves += t }
        for t in terms.dropFirst(2500) { other += t }
        halves += other
        #expect(forward == backward)
        #expect(forward == halves)
        // Naive double summation is order dependent on such terms; the exact sum is not, and
        // stays within rounding of it.
        #expect(abs(forward.value - terms.reduce(0, +)) < 1e-9)
        // Taking terms back out returns exactly to zero.
        var back = forward
        for t in terms { back += -t }
        #expect(back == ExactSum())
        #expect(ExactSum(text: forward.text) == forward)
        #expect(ExactSum(text: "1:x") == nil)
        var small = ExactSum()
        small += 0.1
        small += 0.2
        #expect(small.value == 0.30000000000000004 || abs(small.value - 0.3) < 1e-17)
    }

    /// Records of several markets, two band sources; any partition by market merges to the
    /// single run's rows, pairing included.
    func forecasts() throws -> [ScoredForecast] {
        var out: [ScoredForecast] = []
        var rng = SplitMix64(seed: 3)
        for m in 0..<12 {
            for h in 0..<6 {
                let asOf = "2026-01-01T0\(h):00:00Z"
                for source in ["baseline", "baseline_conformal"] where !(source == "baseline_conformal" && (m + h) % 5 == 0) {
                    let mid = 0.3 + 0.4 * rng.uniform()
                    let w = 0.02 + 0.1 * rng.uniform()
                    out.append(try scored("m\(m)", asOf, source: source, category: m % 2 == 0 ? "politics" : "sports",
                                          band: [[mid - w, mid - w], [mid, mid], [mid + w, mid + w]],
                                          future: [0.3 + 0.4 * rng.uniform(), 0.3 + 0.4 * rng.uniform()],
                                          target: source == "baseline" ? nil : 0.9))
                }
            }
        }
        return out
    }

    func run(_ records: [ScoredForecast], _ settings: EvalSettings) throws -> Evaluator {
        let e = Evaluator(settings: settings)
        for f in records { try e.observe(f) }
        if e.needsSecondPass {
            e.beginSecondPass()
            for f in records { e.rescore(f) }
        }
        return e
    }

    func partial(_ records: [ScoredForecast], _ settings: EvalSettings, to path: String) throws {
        let e = try run(records, settings)
        var c = EvalPartial.Counts()
        c.records = records.count
        c.scored = e.scored
        c.unpaired = e.unpaired
        try (EvalPartial.lines(e, counts: c).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func evalPartialsMergeToTheSingleRunsRows() throws {
        let all = try forecasts()
        let dir = try TemporaryDirectory()
        for (groupBy, paired) in [([EvalGroupKey.bandSource, .step], nil), ([.category, .bandSource], false), ([.bandSource], true)] as [([EvalGroupKey], Bool?)] {
            var settings = EvalSettings()
            settings.groupBy = groupBy
            settings.paired = paired
            let single = try run(all, settings).rows()
            var paths: [String] = []
            for i in 1...3 {
                let spec = ShardSpec(argument: "\(i)/3")!
                let path = dir.path + "/p\(i)-\(paths.count).ndjson"
                try partial(all.filter { spec.contains($0.marketId) }, settings, to: path)
                paths.append(path)
            }
            let merged = try EvalPartial.merge(paths: paths.reversed())
            let rows = merged.evaluator.rows()
            #expect(try rows.map { try JSONValue.object($0).jsonText() } == single.map { try JSONValue.object($0).jsonText() })
            #expect(merged.counts.scored == (try run(all, settings)).scored)
        }
    }

    @Test func evalMergeRefusesAKeySplitAcrossPartialsAndMixedSettings() throws {
        let all = try forecasts()
        let dir = try TemporaryDirectory()
        let settings = EvalSettings()
        try partial(all.filter { $0.bandSource == "baseline" }, settings, to: dir.path + "/a")
        try partial(all.filter { $0.bandSource != "baseline" }, settings, to: dir.path + "/b")
        #expect(throws: EvalPartial.PartialError.self) { try EvalPartial.merge(paths: [dir.path + "/a", dir.path + "/b"]) }
        // The same split without pairing merges (sums of disjoint records).
        var unpaired = EvalSettings()
        unpaired.paired = false
        try partial(all.filter { $0.bandSource == "baseline" }, unpaired, to: dir.path + "/c")
        try partial(all.filter { $0.bandSource != "baseline" }, unpaired, to: dir.path + "/d")
        let merged = try EvalPartial.merge(paths: [dir.path + "/c", dir.path + "/d"])
        #expect(try merged.evaluator.rows().map { try JSONValue.object($0).jsonText() }
                == run(all, unpaired).rows().map { try JSONValue.object($0).jsonText() })
        #expect(throws: EvalPartial.PartialError.self) { try EvalPartial.merge(paths: [dir.path + "/a", dir.path + "/c"]) }
    }

    @Test func fitPartialsMergeToTheSameParameterFile() throws {
        let text = try String(contentsOfFile: repoRoot.appendingPathComponent("examples/conformal/scored.ndjson").path, encoding: .utf8)
        let records = try text.split(separator: "\n").map { try Record(String($0)) }
        let dir = try TemporaryDirectory()
        for method in [ConformalMethod.cqr, .scaled] {
            var settings = FitSettings()
            settings.method = method
            settings.minSamples = 150
            settings.keepBands = true
            let single = CalibrationSet(settings: settings)
            for r in records { try single.add(r) }
            var paths: [String] = []
            for i in 1...4 {
                let spec = ShardSpec(argument: "\(i)/4")!
                let part = CalibrationSet(settings: settings)
                for r in records where spec.contains(try r.string(FieldName.marketId) ?? "") { try part.add(r) }
                var lines: [String] = []
                try CalibrationPartial.write(part, totals: StreamTotals()) { lines.append($0) }
                let path = dir.path + "/fit\(i)-\(method)"
                try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
                paths.append(path)
            }
            let merged = CalibrationSet(settings: settings)
            let totals = try CalibrationPartial.merge(paths: [paths[2], paths[0], paths[3], paths[1]], into: merged)
            #expect(totals.partials == 4)
            #expect(merged.counts == single.counts)
            let a = try #require(single.parameters()), b = try #require(merged.parameters())
            #expect(try ParameterFile.encode(a) == ParameterFile.encode(b))
            #expect(!a.groups.isEmpty)
            var other = settings
            other.allPairs = true
            #expect(throws: CalibrationPartial.PartialError.self) { try CalibrationPartial.merge(paths: paths, into: CalibrationSet(settings: other)) }
        }
    }

    @Test func poolHandsOnlyTheDaemonsTroubleToAnother() {
        #expect(TollamaPool.isDaemonTrouble(.tollamaTimeout))
        #expect(TollamaPool.isDaemonTrouble(.circuitOpen))
        #expect(TollamaPool.isDaemonTrouble(.tollamaHTTP(503)))
        #expect(TollamaPool.isDaemonTrouble(.tollamaHTTP(429)))
        #expect(!TollamaPool.isDaemonTrouble(.tollamaHTTP(400)))
        #expect(!TollamaPool.isDaemonTrouble(.tollamaHTTP(401)))
        #expect(!TollamaPool.isDaemonTrouble(.modelNotInstalled))
        #expect(TollamaPool.urls("http://a:1, http://b:2,,") == ["http://a:1", "http://b:2"])
        #expect(TollamaPool.urls("http://a:1") == ["http://a:1"])
    }
}

@Suite("several tollama daemons (stand-ins)", .serialized)
struct TollamaPoolTests {
    @Test func aFailingDaemonsBatchesAreServedByTheOther() throws {
        let good = try StandIn()
        let bad = try StandIn(["--mode", "status:503"])
        let run = try runForecast(["--tollama-url", "\(bad.url),\(good.url)", "--model", "mock", "--batch-size", "1"])
        #expect(run.status == 0)
        #expect(run.runtimes.count == 12)
        // Every model-bound request is answered by the model, none falls back.
        #expect(run.runtimes.filter { $0 == "tollama" }.count == eligibleLines.count)
        #expect(good.forecastCalls.count >= eligibleLines.count)
    }

    @Test func aDeadDaemonIsSkippedAndHealthReportsEach() throws {
        let good = try StandIn()
        let dead = try StandIn()
        dead.stop()
        let run = try runForecast(["--tollama-url", "\(dead.url),\(good.url)", "--model", "mock", "--batch-size", "1",
                                   "--breaker-failures", "2"])
        #expect(run.runtimes.filter { $0 == "tollama" }.count == eligibleLines.count)
        let health = try runTool(["health", "--tollama-url", "\(good.url),\(dead.url)", "--model", "mock", "--state-dir",
                                  FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-h-\(UUID().uuidString)").path])
        let lines = health.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.contains("\"reachable\":true") == true)
        #expect(lines.last?.contains("\"reachable\":false") == true)
        #expect(health.status == 69)
    }
}

/// A directory removed when the value goes away.
final class TemporaryDirectory {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("tsfm-scaleout-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}
