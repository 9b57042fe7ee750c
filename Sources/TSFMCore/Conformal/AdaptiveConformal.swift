/// Adaptive conformal inference (Gibbs & Candès 2021) over one group's window. Going through
/// the window in time order, the working miscoverage level α_t picks the adjustment q(α_t) =
/// the ⌈(n+1)(1−α_t)⌉-th smallest window score; an error is a score above it, and
/// α_{t+1} = α_t + γ·(α − err_t), with α = 1 − target. When recent errors are too frequent α
/// falls and the adjustment grows; when too rare it rises.
///
/// A group holds many markets, so several forecasts share one as-of time: the update is made
/// once per as-of time with err_t the miss rate of that time's samples (with one sample per time
/// this is the textbook rule). What the parameter file keeps is the level at the end of the
/// window, smoothed: the mean of α_t over the last ⌈1/γ⌉ as-of times (the walk's own memory,
/// 200 at γ = 0.005). The raw final α_T jitters by up to γ·(1−α) at every update, which at the
/// default γ moves a stored coverage by a couple of points; the mean follows the same recent
/// regime without that noise.
public enum AdaptiveConformal {
    public struct Outcome: Equatable, Sendable {
        /// The stored level: the mean of α_t over the last ⌈1/γ⌉ updates.
        public var alpha: Double
        /// The working level after the last update.
        public var finalAlpha: Double
        /// q(alpha): the adjustment to apply.
        public var adjustment: Double
        /// True when q(alpha) wanted a rank above n (the largest score was used).
        public var capped: Bool
        /// Scores above their q(α_t) during the pass.
        public var errors: Int
    }

    /// `timeOrdered`: the scores in time order; `times`: their as-of times (ascending, one per
    /// score; nil: each score its own time); `sorted`: the same scores ascending.
    public static func run(timeOrdered: [Float], times: [Int64]? = nil, sorted: [Float], target: Double, gamma: Double) -> Outcome {
        precondition(timeOrdered.count == sorted.count && !sorted.isEmpty)
        precondition(times == nil || times!.count == sorted.count)
        let n = sorted.count
        let nominal = 1 - target
        var alpha = nominal
        var errors = 0
        var levels: [Double] = []
        var i = 0
        while i < n {
            var j = i + 1
            if let times { while j < n && times[j] == times[i] { j += 1 } }
            let q = sorted[ConformalQuantile.rank(n: n, level: 1 - alpha).rank - 1]
            var missed = 0
            for k in i..<j where timeOrdered[k] > q { missed += 1 }
            errors += missed
            alpha += gamma * (nominal - Double(missed) / Double(j - i))
            levels.append(alpha)
            i = j
        }
        let memory = min(levels.count, Int((1 / gamma).rounded(.up)))
        let stored = levels.suffix(memory).reduce(0, +) / Double(memory)
        let r = ConformalQuantile.rank(n: n, level: 1 - stored)
        return Outcome(alpha: stored, finalAlpha: alpha, adjustment: ConformalQuantile.widened(sorted[r.rank - 1]),
                       capped: r.capped, errors: errors)
    }
}
