import Foundation
import Testing
@testable import TSFMCore

#if canImport(Glibc)
import Glibc
#endif

private let standardLevels = [0.1, 0.5, 0.9]
private let z90 = 1.2815515655446004

private func band(_ result: Result<QuantileBand, BaselineFailure>) -> QuantileBand? {
    if case .success(let band) = result { return band }
    return nil
}

private func failure(_ result: Result<QuantileBand, BaselineFailure>) -> BaselineFailure? {
    if case .failure(let reason) = result { return reason }
    return nil
}

@Suite("Normal quantile")
struct NormalQuantileTests {
    @Test func knownValues() {
        // Reference values: Wichura's AS241 (Python's statistics.NormalDist.inv_cdf).
        #expect(normalQuantile(0.5) == 0)
        #expect(abs(normalQuantile(0.9) - 1.2815515655446008) < 1e-12)
        #expect(abs(normalQuantile(0.975) - 1.9599639845400536) < 1e-12)
        #expect(abs(normalQuantile(0.3) - -0.5244005127080407) < 1e-12)
        #expect(abs(normalQuantile(0.001) - -3.090232306167813) < 1e-11)
        #expect(abs(normalQuantile(1e-10) - -6.361340902404056) < 1e-9)
    }

    @Test func symmetricAndMonotone() {
        var previous = -Double.infinity
        for i in 1..<1000 {
            let p = Double(i) / 1000
            let x = normalQuantile(p)
            #expect(x > previous)
            #expect(abs(x + normalQuantile(1 - p)) < 1e-9)
            previous = x
        }
    }

    @Test func bounds() {
        #expect(normalQuantile(0) == -.infinity)
        #expect(normalQuantile(1) == .infinity)
        #expect(normalQuantile(1.5).isNaN)
    }
}

@Suite("EWMA baseline")
struct EWMABaselineTests {
    @Test func handComputed() throws {
        // Halflife 1: decay 0.5. Changes 1, 2: v = (0.5·1² + 2²)/(0.5 + 1) = 4.5/1.5 = 3.
        // Centre: the last value 3; sd(h) = √(3h).
        let fitted = EWMABaseline.fit([0, 1, 3], halflife: 1)
        #expect(fitted.last == 3)
        #expect(fitted.variance == 3)
        let b = try #require(band(EWMABaseline.forecast([0, 1, 3], horizon: 2, levels: standardLevels, halflife: 1)))
        #expect(b.values[1] == [3, 3])
        for h in 1...2 {
            let sd = (3 * Double(h)).squareRoot()
            #expect(abs(b.values[2][h - 1] - (3 + z90 * sd)) < 1e-12)
            #expect(abs(b.values[0][h - 1] - (3 - z90 * sd)) < 1e-12)
        }
    }

    /// Issue 11: a trending market's step-1 band must contain its current price.
    @Test func theBandIsCentredOnTheLastValue() throws {
        let x = (0..<100).map { Double($0) * 0.01 }
        let b = try #require(band(EWMABaseline.forecast(x, horizon: 3, levels: standardLevels)))
        #expect(b.values[1] == [0.99, 0.99, 0.99])
        #expect(b.values[0][0] < 0.99 && 0.99 < b.values[2][0])
    }

    @Test func alphaHalvesWeightEveryHalflife() {
        let a = EWMABaseline.alpha(halflife: 12)
        #expect(abs(pow(1 - a, 12) - 0.5) < 1e-12)
    }

    @Test func squaredWidthGrowsLinearlyInH() throws {
        // sd(h)² = v·h: the random walk's √h growth.
        let x: [Double] = (0..<100).map { sin(Double($0) * 0.7) + 0.01 * Double($0) }
        let fitted = EWMABaseline.fit(x, halflife: 12)
        let b = try #require(band(EWMABaseline.forecast(x, horizon: 12, levels: standardLevels, halflife: 12)))
        let half = (0..<12).map { (b.values[2][$0] - b.values[1][$0]) / z90 }
        for h in 1...12 {
            #expect(abs(half[h - 1] * half[h - 1] - fitted.variance * Double(h)) < 1e-9 * fitted.variance * Double(h))
        }
    }

    @Test func failures() {
        #expect(failure(EWMABaseline.forecast([0.1, 0.2], horizon: 3, levels: standardLevels)) == .tooFewPoints)
        #expect(failure(EWMABaseline.forecast([1, 1, 1, 1], horizon: 3, levels: standardLevels)) == .zeroVariance)
        #expect(failure(EWMABaseline.forecast([0, .nan, 1], horizon: 3, levels: standardLevels)) == .nonFiniteValues)
        #expect(failure(EWMABaseline.forecast([0, .infinity, 1], horizon: 3, levels: standardLevels)) == .nonFiniteValues)
    }
}

@Suite("Kalman baseline")
struct KalmanBaselineTests {
    @Test func handComputed() throws {
        // Changes 2, 1, 0, 2 (mean 1.25): γ₀ = 2.75/4 = 0.6875, γ₁ = −0.8125/4 = −0.203125,
        // so r = 0.203125 and q = 0.6875 − 2·0.203125 = 0.28125.
        let x: [Double] = [0, 2, 3, 3, 5]
        let (q, r) = KalmanBaseline.estimate(x)
        #expect(abs(q - 0.28125) < 1e-15)
        #expect(abs(r - 0.203125) < 1e-15)
        // Filter from a = 0, P = r (reference computed step by step outside Swift).
        let state = KalmanBaseline.filter(x, q: q, r: r)
        #expect(abs(state.mean - 4.290938265288782) < 1e-12)
        #expect(abs(state.variance - 0.13669900705876883) < 1e-12)
        let b = try #require(band(KalmanBaseline.forecast(x, horizon: 2, levels: standardLevels)))
        #expect(abs(b.values[2][0] - 5.300906610885761) < 1e-12)
        #expect(abs(b.values[0][0] - 3.2809699196918025) < 1e-12)
        #expect(abs(b.values[2][1] - 5.508293539384551) < 1e-12)
        #expect(abs(b.values[0][1] - 3.0735829911930126) < 1e-12)
    }

    @Test func noiseFreeWalkHasNoObservationNoise() {
        // Positively autocorrelated changes: γ₁ > 0, so r = 0 and the state is the last value.
        let x: [Double] = [0, 1, 3, 6, 10, 15]
        let (q, r) = KalmanBaseline.estimate(x)
        #expect(r == 0)
        #expect(q > 0)
        #expect(KalmanBaseline.filter(x, q: q, r: r).mean == 15)
    }

    @Test func processVarianceIsFloored() {
        // Alternating series: γ₁ < −γ₀/2 would make q negative; it is floored at 1% of γ₀.
        let (q, r) = KalmanBaseline.estimate([0, 1, 0, 1, 0, 1])
        #expect(r > 0)
        let g0 = 1.0 * 5 / 5 - 0.04  // changes ±1, mean 0.2: γ₀ = 1 − 0.2² = 0.96
        #expect(abs(q - 0.01 * g0) < 1e-12)
    }

    @Test func squaredWidthGrowsLinearlyInH() throws {
        let x: [Double] = (0..<100).map { cos(Double($0) * 1.3) + 0.02 * Double($0) }
        let (q, _) = KalmanBaseline.estimate(x)
        let b = try #require(band(KalmanBaseline.forecast(x, horizon: 12, levels: standardLevels)))
        let half = (0..<12).map { (b.values[2][$0] - b.values[1][$0]) / z90 }
        for h in 2...12 {
            let increase = half[h - 1] * half[h - 1] - half[0] * half[0]
            #expect(abs(increase - q * Double(h - 1)) < 1e-9 * q * Double(h))
        }
    }

    @Test func failures() {
        #expect(failure(KalmanBaseline.forecast([0.5, 0.6], horizon: 3, levels: standardLevels)) == .tooFewPoints)
        #expect(failure(KalmanBaseline.forecast([2, 2, 2, 2], horizon: 3, levels: standardLevels)) == .zeroVariance)
        #expect(failure(KalmanBaseline.forecast([0, 1, .nan, 2], horizon: 3, levels: standardLevels)) == .nonFiniteValues)
    }
}

@Suite("Rolling quantile baseline")
struct RollingQuantileBaselineTests {
    @Test func handComputed() throws {
        // Last value 1. One-step changes 1, −1, 2, −1 → sorted −1, −1, 1, 2: type-7 quantiles at
        // 0.1 / 0.5 / 0.9 are −1, 0, 1.7. Two-step changes 0, 1, 1: 0.2, 1, 1.
        let b = try #require(band(RollingQuantileBaseline.forecast([0, 1, 0, 2, 1], horizon: 2, levels: standardLevels)))
        #expect(b.values[0] == [0, 1.2])
        #expect(b.values[1] == [1, 2])
        #expect(abs(b.values[2][0] - 2.7) < 1e-12)
        #expect(b.values[2][1] == 2)
    }

    @Test func selectionMatchesSortedQuantiles() {
        var random = SeededRandom(seed: 99)
        for trial in 0..<300 {
            let count = 1 + trial % 40
            // Few distinct values on odd trials, to exercise ties.
            let values = (0..<count).map { _ in
                trial % 2 == 1 ? Double(Int.random(in: 0..<4, using: &random)) : Double.random(in: -1...1, using: &random)
            }
            let sorted = values.sorted()
            var scratch = values  // reused across ascending levels, as the baseline does
            var settled = 0
            for level in [0.01, 0.1, 0.25, 0.5, 0.77, 0.9, 0.999] {
                let position = level * Double(count - 1)
                let lower = Int(position)
                let upper = min(lower + 1, count - 1)
                let expected = sorted[lower] + (position - Double(lower)) * (sorted[upper] - sorted[lower])
                let got = scratch.withUnsafeMutableBufferPointer {
                    RollingQuantileBaseline.quantile($0, count: count, level: level, from: settled)
                }
                settled = lower
                #expect(abs(got - expected) < 1e-15, "count \(count) level \(level)")
            }
        }
    }

    @Test func windowKeepsOnlyTheLastPoints() throws {
        // Window 3 sees [0, 1, 0] only: changes 1, −1 → median 0 → band centre 0.
        let b = try #require(band(RollingQuantileBaseline.forecast([9, -7, 0, 1, 0], horizon: 1, levels: [0.5], window: 3)))
        #expect(b.values[0] == [0])
    }

    @Test func anyLevels() throws {
        let x: [Double] = (0..<50).map { Double(($0 * 37) % 11) }
        let levels = [0.01, 0.2, 0.33, 0.5, 0.77, 0.999]
        let b = try #require(band(RollingQuantileBaseline.forecast(x, horizon: 5, levels: levels)))
        for h in 0..<5 {
            for i in 1..<levels.count { #expect(b.values[i][h] >= b.values[i - 1][h]) }
        }
    }

    @Test func failures() {
        #expect(failure(RollingQuantileBaseline.forecast([0, 1, 0], horizon: 2, levels: standardLevels)) == .tooFewPoints)
        #expect(failure(RollingQuantileBaseline.forecast([0, 1, 0, 1, 0], horizon: 2, levels: standardLevels, window: 3)) == .tooFewPoints)
        #expect(failure(RollingQuantileBaseline.forecast([3, 3, 3, 3, 3], horizon: 2, levels: standardLevels)) == .zeroVariance)
        #expect(failure(RollingQuantileBaseline.forecast([0, 1, 2, 3, 4], horizon: 2, levels: standardLevels)) == .zeroVariance)
        #expect(failure(RollingQuantileBaseline.forecast([0, 1, .nan, 3, 4], horizon: 2, levels: standardLevels)) == .nonFiniteValues)
    }
}

@Suite("Baseline chain")
struct BaselineChainTests {
    let logit = Transform.standard

    @Test func constantSeriesIsDegenerate() {
        let f = BaselineForecaster.forecast(y: Array(repeating: 0.37, count: 50), horizon: 4, levels: standardLevels, transform: logit)
        #expect(f.kind == .flat)
        #expect(f.isDegenerate)
        #expect(f.failures.map(\.kind) == [.ewma, .kalman, .rollingQuantile])
        #expect(f.failures.map(\.reason) == [.zeroVariance, .zeroVariance, .zeroVariance])
        for row in f.band.values { for v in row { #expect(abs(v - 0.37) < 1e-12) } }
    }

    @Test func twoPointsIsDegenerateAtTheLastValue() {
        let f = BaselineForecaster.forecast(y: [0.2, 0.3], horizon: 12, levels: standardLevels, transform: logit)
        #expect(f.kind == .flat)
        #expect(f.failures.map(\.reason) == [.tooFewPoints, .tooFewPoints, .tooFewPoints])
        #expect(f.band.values.allSatisfy { $0.count == 12 && $0.allSatisfy { abs($0 - 0.3) < 1e-12 } })
    }

    @Test func firstValidWins() {
        let y: [Double] = (0..<40).map { 0.5 + 0.1 * sin(Double($0)) }
        #expect(BaselineForecaster.forecast(y: y, horizon: 3, levels: standardLevels, transform: logit).kind == .ewma)
        let forced: [(BaselineChoice, BaselineKind)] = [(.ewma, .ewma), (.kalman, .kalman), (.rolling, .rollingQuantile)]
        for (choice, kind) in forced {
            let f = BaselineForecaster.forecast(y: y, horizon: 3, levels: standardLevels, transform: logit,
                                                settings: BaselineSettings(choice: choice))
            #expect(f.kind == kind)
            #expect(f.failures.isEmpty)
        }
    }

    @Test func forcedBaselineThatCannotFitIsDegenerate() {
        // Five points are enough for Kalman but not for the rolling quantile at horizon 12.
        let y = [0.2, 0.25, 0.22, 0.3, 0.28]
        #expect(BaselineForecaster.forecast(y: y, horizon: 12, levels: standardLevels, transform: logit,
                                            settings: BaselineSettings(choice: .kalman)).kind == .kalman)
        let f = BaselineForecaster.forecast(y: y, horizon: 12, levels: standardLevels, transform: logit,
                                            settings: BaselineSettings(choice: .rolling))
        #expect(f.kind == .flat)
        #expect(f.failures.map(\.reason) == [.tooFewPoints])
    }

    @Test func extremesNearZeroAndOneStayFiniteAndInside() {
        let series: [[Double]] = [
            [0, 0, 1e-9, 0, 0.000002, 0, 0, 1e-7],
            [1, 1, 0.999999999, 1, 0.999998, 1, 1, 0.9999999],
            [0, 1, 0, 1, 1, 0, 0.5, 1],
        ]
        for y in series {
            for choice in BaselineChoice.allCases {
                let f = BaselineForecaster.forecast(y: y, horizon: 5, levels: [0.05, 0.5, 0.95], transform: logit,
                                                    settings: BaselineSettings(choice: choice, window: 288))
                for row in f.band.values {
                    for v in row {
                        #expect(v.isFinite)
                        #expect(v >= 0 && v <= 1)
                    }
                }
            }
        }
    }

    @Test func bandsAreOrderedForAnyLevels() {
        let y: [Double] = (0..<60).map { 0.3 + 0.2 * sin(Double($0) * 0.4) }
        let levels = [0.025, 0.1, 0.3, 0.5, 0.7, 0.9, 0.975]
        for choice in BaselineChoice.allCases {
            let f = BaselineForecaster.forecast(y: y, horizon: 6, levels: levels, transform: logit,
                                                settings: BaselineSettings(choice: choice))
            #expect(f.band.levels == levels)
            for h in 0..<6 { for i in 1..<levels.count { #expect(f.band.values[i][h] > f.band.values[i - 1][h]) } }
        }
    }

    @Test func identityTransformWorksInProbabilities() throws {
        let y = [0.40, 0.42, 0.41, 0.45, 0.44, 0.46]
        let f = BaselineForecaster.forecast(y: y, horizon: 2, levels: standardLevels, transform: .identity)
        let direct = try #require(band(EWMABaseline.forecast(y, horizon: 2, levels: standardLevels)))
        #expect(f.band == direct)
    }
}

/// Empirical coverage on simulated logit random walks (fixed seed): a baseline whose 10–90%
/// band covers well outside 80% is mis-specified for the very process it assumes.
@Suite("Baseline coverage")
struct BaselineCoverageTests {
    /// The project's simulated logit random walks (fixed seed): `paths` probability series of
    /// 288 points plus the 12 realized after them, step sd drawn in [0.02, 0.1].
    static func randomWalks(paths: Int = 2000, seed: UInt64 = 20261125) -> [[Double]] {
        var random = SeededRandom(seed: seed)
        return (0..<paths).map { _ in
            var x = Double.random(in: -1.5...1.5, using: &random)
            let sigma = Double.random(in: 0.02...0.1, using: &random)
            return (0..<(288 + 12)).map { _ in
                x += sigma * random.normal()
                return logistic(x)
            }
        }
    }

    /// The 10–90% band of `settings` for each walk's first 288 points.
    static func bands(_ settings: BaselineSettings, _ walks: [[Double]]) -> [QuantileBand] {
        walks.map {
            BaselineForecaster.forecast(y: Array($0.prefix(288)), horizon: 12, levels: [0.1, 0.9], transform: .standard,
                                        settings: settings).band
        }
    }

    static func coverage(_ choice: BaselineChoice) -> [Double] {
        let walks = randomWalks()
        var covered = [Int](repeating: 0, count: 12)
        for (y, band) in zip(walks, bands(BaselineSettings(choice: choice), walks)) {
            #expect(band.values[0] != band.values[1])
            for h in 0..<12 where y[288 + h] >= band.values[0][h] && y[288 + h] <= band.values[1][h] { covered[h] += 1 }
        }
        return covered.map { Double($0) / Double(walks.count) }
    }

    @Test(arguments: [BaselineChoice.ewma, .kalman])
    func tenToNinetyBandCoversSeventyToNinetyPercent(_ choice: BaselineChoice) {
        let rates = Self.coverage(choice)
        for (h, rate) in rates.enumerated() {
            #expect(rate >= 0.70 && rate <= 0.90, "\(choice) step \(h + 1): coverage \(rate)")
        }
    }
}

/// Winkler scores (α = 0.2, the 10–90% band) by step on simulated logit random walks (fixed
/// seed, the same paths as the coverage test): the default EWMA must be no worse than Kalman at
/// any step (issue 11), and `TSFM_MEASURE=1` prints the half-life comparison behind the default
/// (docs/tsfm-forecast.md).
@Suite("Baseline Winkler")
struct BaselineWinklerTests {
    static func winkler(_ settings: BaselineSettings) -> [Double] {
        let walks = BaselineCoverageTests.randomWalks()
        var total = [Double](repeating: 0, count: 12)
        for (y, band) in zip(walks, BaselineCoverageTests.bands(settings, walks)) {
            for h in 0..<12 {
                total[h] += IntervalMetrics.winkler(lo: band.values[0][h], hi: band.values[1][h], alpha: 0.2, actual: y[288 + h])
            }
        }
        return total.map { $0 / Double(walks.count) }
    }

    @Test func defaultEWMAIsNoWorseThanKalmanAtAnyStep() {
        let ewma = Self.winkler(BaselineSettings(choice: .ewma))
        let kalman = Self.winkler(BaselineSettings(choice: .kalman))
        for h in 0..<12 {
            #expect(ewma[h] <= kalman[h], "step \(h + 1): EWMA \(ewma[h]) vs Kalman \(kalman[h])")
        }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["TSFM_MEASURE"] == "1"))
    func halflifeComparison() {
        let kalman = Self.winkler(BaselineSettings(choice: .kalman))
        print("kalman", kalman.map { String(format: "%.5f", $0) }.joined(separator: " "))
        for halflife in [6.0, 12, 24, 48, 96, 144, 192, 288] {
            let w = Self.winkler(BaselineSettings(choice: .ewma, ewmaHalflife: halflife))
            print("ewma \(halflife)", w.map { String(format: "%.5f", $0) }.joined(separator: " "))
        }
    }
}
