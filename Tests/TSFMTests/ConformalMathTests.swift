import Foundation
import Testing
@testable import TSFMCore

@Suite struct ConformalMathTests {
    @Test func finiteSampleRankAtSmallN() {
        // n = 1: ⌈2·0.9⌉ = 2 > 1 → capped, the only score is used.
        #expect(ConformalQuantile.rank(n: 1, level: 0.9) == (1, true))
        // n = 9: ⌈10·0.9⌉ = 9 — exactly n, not capped (no float round-up to 10).
        #expect(ConformalQuantile.rank(n: 9, level: 0.9) == (9, false))
        // n = 10: ⌈11·0.9⌉ = ⌈9.9⌉ = 10.
        #expect(ConformalQuantile.rank(n: 10, level: 0.9) == (10, false))
        // n = 500: ⌈501·0.9⌉ = ⌈450.9⌉ = 451.
        #expect(ConformalQuantile.rank(n: 500, level: 0.9) == (451, false))
        // Level ≤ 0 asks for the smallest score; level ≥ 1 for +∞ (capped to the largest).
        #expect(ConformalQuantile.rank(n: 5, level: -0.2) == (1, false))
        #expect(ConformalQuantile.rank(n: 5, level: 1.0) == (5, true))
    }

    @Test func quantileValuesAtSmallN() {
        for n in [1, 9, 10, 500] {
            var scores = (1...n).reversed().map { Float($0) }
            let q = ConformalQuantile.quantile(&scores, level: 0.9)!
            let expected = [1: 1.0, 9: 9.0, 10: 10.0, 500: 451.0][n]!
            #expect(q.value == expected, "n = \(n)")
            #expect(q.capped == (n == 1), "n = \(n)")
        }
        var none: [Float] = []
        #expect(ConformalQuantile.quantile(&none, level: 0.9) == nil)
    }

    @Test func kthSmallestMatchesSorting() {
        var random = TestRandom(state: 7)
        for trial in 0..<200 {
            let n = 1 + Int(random.next() % 60)
            // Few distinct values on odd trials, so duplicates are exercised.
            let values = (0..<n).map { _ in trial % 2 == 0 ? Float(random.normal()) : Float(random.next() % 4) }
            let sorted = values.sorted()
            for k in 1...n {
                var copy = values
                #expect(ConformalQuantile.kthSmallest(&copy, k) == sorted[k - 1])
            }
        }
    }

    @Test func median() {
        var odd: [Float] = [5, 1, 3]
        #expect(ConformalQuantile.median(&odd) == 3)
        var even: [Float] = [4, 1, 3, 2]
        #expect(ConformalQuantile.median(&even) == 2.5)
    }

    @Test func cqrScoreSigns() {
        #expect(ConformalScore.cqr(lo: 0, hi: 1, y: 0.5) == -0.5)
        #expect(ConformalScore.cqr(lo: 0, hi: 1, y: 1.25) == 0.25)
        #expect(ConformalScore.cqr(lo: 0, hi: 1, y: -2) == 2)
    }

    @Test func scaledNormalisedErrorUsesTheValuesSide() {
        // Centre 0, shift 0.1: a residual of 0.5 above needs scale (0.5 − 0.1)/upper.
        #expect(abs(ConformalScore.normalisedError(residual: 0.5, lowerHalf: 1, upperHalf: 2, shift: 0.1) - 0.2) < 1e-12)
        #expect(abs(ConformalScore.normalisedError(residual: -0.9, lowerHalf: 2, upperHalf: 1, shift: 0.1) - 0.5) < 1e-12)
    }

    /// Worked by hand: scores in time order 4, 1, 3, 2 (sorted 1, 2, 3, 4), target 0.5 (α = 0.5),
    /// γ = 0.2, n = 4, q(α) = sorted[⌈5(1−α)⌉ − 1].
    ///   t0: α 0.5, rank ⌈2.5⌉ = 3, q 3; score 4 > 3: error;  α ← 0.5 + 0.2(0.5 − 1) = 0.4
    ///   t1: α 0.4, rank ⌈3.0⌉ = 3, q 3; score 1: covered;  α ← 0.5
    ///   t2: α 0.5, rank 3,         q 3; score 3: covered;  α ← 0.6
    ///   t3: α 0.6, rank ⌈2.0⌉ = 2, q 2; score 2: covered;  α ← 0.7
    /// Memory ⌈1/γ⌉ = 5 > n, so the stored level is the mean of all four: 0.55,
    /// rank ⌈5·0.45⌉ = 3 → adjustment 3.
    @Test func aciUpdateRuleByHand() {
        let outcome = AdaptiveConformal.run(timeOrdered: [4, 1, 3, 2], sorted: [1, 2, 3, 4], target: 0.5, gamma: 0.2)
        #expect(outcome.errors == 1)
        #expect(abs(outcome.finalAlpha - 0.7) < 1e-12)
        #expect(abs(outcome.alpha - 0.55) < 1e-12)
        #expect(outcome.adjustment == 3)
        #expect(!outcome.capped)
    }

    /// Worked by hand: scores 4, 1, 3, 4 (sorted 1, 3, 4, 4), target 0.5, γ = 0.2:
    ///   t0: α 0.5, rank 3, q 4; score 4 covered   → α 0.6
    ///   t1: α 0.6, rank ⌈2.0⌉ = 2, q 3; 1 covered → α 0.7
    ///   t2: α 0.7, rank ⌈1.5⌉ = 2, q 3; 3 covered → α 0.8
    ///   t3: α 0.8, rank ⌈1.0⌉ = 1, q 1; 4 > 1: error → α 0.8 + 0.2(0.5 − 1) = 0.7
    /// Mean of 0.6, 0.7, 0.8, 0.7 = 0.7 → rank ⌈1.5⌉ = 2 → adjustment 3.
    @Test func aciErrorLowersTheLevel() {
        let outcome = AdaptiveConformal.run(timeOrdered: [4, 1, 3, 4], sorted: [1, 3, 4, 4], target: 0.5, gamma: 0.2)
        #expect(outcome.errors == 1)
        #expect(abs(outcome.finalAlpha - 0.7) < 1e-12)
        #expect(abs(outcome.alpha - 0.7) < 1e-12)
        #expect(outcome.adjustment == 3)
    }

    /// Several samples at one as-of time make one update with their miss rate. Scores at times
    /// (0, 0, 1): (4, 1), (4); sorted 1, 4, 4; target 0.5, γ = 0.2, n = 3:
    ///   t = 0: α 0.5, rank ⌈2.0⌉ = 2, q 4; both covered, miss rate 0 → α 0.6
    ///   t = 1: α 0.6, rank ⌈1.6⌉ = 2, q 4; covered → α 0.7
    /// Memory 5 > 2 updates: mean 0.65 → rank ⌈1.4⌉ = 2 → 4.
    @Test func aciUpdatesOncePerAsOfTime() {
        let a = AdaptiveConformal.run(timeOrdered: [4, 1, 4], times: [0, 0, 1], sorted: [1, 4, 4], target: 0.5, gamma: 0.2)
        #expect(abs(a.finalAlpha - 0.7) < 1e-12 && abs(a.alpha - 0.65) < 1e-12 && a.adjustment == 4 && a.errors == 0)
        let b = AdaptiveConformal.run(timeOrdered: [4, 1, 1], times: [0, 0, 1], sorted: [1, 1, 4], target: 0.5, gamma: 0.2)
        // t = 0: α 0.5, rank 2, q 1: 4 missed, 1 covered → α 0.5; t = 1: q 1, covered → α 0.6.
        #expect(b.errors == 1)
        #expect(abs(b.finalAlpha - 0.6) < 1e-12 && abs(b.alpha - 0.55) < 1e-12)
    }

    @Test func aciWithFewSamplesIsCapped() {
        // n = 4 at target 0.9: ⌈5·0.9⌉ = 5 > 4, so q is the largest score, nothing is an error,
        // α creeps up by γ·0.1 per step (0.1005 … 0.102, mean 0.10125) and stays capped.
        let outcome = AdaptiveConformal.run(timeOrdered: [1, 2, 3, 4], sorted: [1, 2, 3, 4], target: 0.9, gamma: 0.005)
        #expect(outcome.errors == 0)
        #expect(abs(outcome.alpha - 0.10125) < 1e-12)
        #expect(outcome.capped)
        #expect(outcome.adjustment == 4)
    }
}
