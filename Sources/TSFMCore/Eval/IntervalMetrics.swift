/// Interval and quantile scores of one forecast step against its realized value. Pure functions.
public enum IntervalMetrics {
    /// A symmetric pair of levels (a, 1−a) forming a central interval of nominal coverage 1 − 2a.
    public struct Pair: Hashable, Comparable, Sendable {
        public var lowIndex: Int
        public var highIndex: Int
        public var lowLevel: Double
        public var highLevel: Double

        /// `0.1-0.9`: computed once, since it keys the running sums.
        public let name: String

        init(lowIndex: Int, highIndex: Int, lowLevel: Double, highLevel: Double) {
            self.lowIndex = lowIndex
            self.highIndex = highIndex
            self.lowLevel = lowLevel
            self.highLevel = highLevel
            name = "\(QuantileLevel.key(lowLevel))-\(QuantileLevel.key(highLevel))"
        }

        public var nominal: Double { highLevel - lowLevel }
        /// α of the interval: 1 − nominal coverage.
        public var alpha: Double { 1 - nominal }

        public static func < (a: Pair, b: Pair) -> Bool { a.lowLevel < b.lowLevel }
    }

    /// Every symmetric pair among ascending levels: a pairs with 1 − a (within 1e-9), outermost first.
    public static func pairs(_ levels: [Double]) -> [Pair] {
        var out: [Pair] = []
        for (i, a) in levels.enumerated() where a < 0.5 {
            if let j = levels.firstIndex(where: { abs($0 - (1 - a)) < 1e-9 }) {
                out.append(Pair(lowIndex: i, highIndex: j, lowLevel: a, highLevel: levels[j]))
            }
        }
        return out.sorted()
    }

    /// Pinball (quantile) loss of level τ with prediction q at realized y.
    @inline(__always)
    public static func pinball(level tau: Double, predicted q: Double, actual y: Double) -> Double {
        y >= q ? tau * (y - q) : (1 - tau) * (q - y)
    }

    /// Winkler (interval) score: width + (2/α)(lo − y) below, + (2/α)(y − hi) above.
    @inline(__always)
    public static func winkler(lo: Double, hi: Double, alpha: Double, actual y: Double) -> Double {
        var s = hi - lo
        if y < lo { s += 2 / alpha * (lo - y) } else if y > hi { s += 2 / alpha * (y - hi) }
        return s
    }

    /// True when lo ≤ y ≤ hi (an interval hit exactly at its edge covers).
    @inline(__always)
    public static func covers(lo: Double, hi: Double, actual y: Double) -> Bool { y >= lo && y <= hi }

    /// Weighted interval score (Bracher, Ray, Gneiting & Reich 2021): with K pairs and the median m,
    /// WIS = (½|y − m| + Σ_k (α_k/2)·IS_{α_k}) / (K + ½), where IS is the Winkler score. Without a
    /// median the median term and its ½ weight are left out. Nil when there is nothing to score.
    public static func wis(median m: Double?, intervals: [(lo: Double, hi: Double, alpha: Double)], actual y: Double) -> Double? {
        var terms = WISTerms()
        if let m { terms.addMedian(m, actual: y) }
        for i in intervals { terms.addInterval(winkler: winkler(lo: i.lo, hi: i.hi, alpha: i.alpha, actual: y), alpha: i.alpha) }
        return terms.value
    }

    /// WIS's terms for one step, added as they are computed (the accumulator adds them while it
    /// scores each pair, with no array per step): the one place the formula is written.
    public struct WISTerms {
        var sum = 0.0
        var weight = 0.0

        public init() {}

        /// The median's term, ½|y − m|, with weight ½.
        @inline(__always)
        public mutating func addMedian(_ m: Double, actual y: Double) {
            sum += 0.5 * abs(y - m)
            weight += 0.5
        }

        /// One pair's term, (α/2)·IS_α, with weight 1.
        @inline(__always)
        public mutating func addInterval(winkler: Double, alpha: Double) {
            sum += alpha / 2 * winkler
            weight += 1
        }

        /// The score; nil when nothing was added.
        public var value: Double? { weight > 0 ? sum / weight : nil }
    }

    /// Follow-through of a breach at index `h` of `path` (the realized values; the breach is
    /// `path[h]` outside [lo, hi]): whether, within the next `window` points, the price moves at
    /// least `move` beyond the breaching value in the breach's direction. Nil when the window is
    /// not wholly inside the path: a breach is judged only on a fully observed window, since
    /// counting the early moves of cut-off windows while leaving out their quiet ones would bias
    /// the rate upward (with `y_future` only as long as the horizon, every breach is undecided).
    public static func followThrough(path: [Double], at h: Int, above: Bool, move: Double, window: Int) -> Bool? {
        guard window >= 1, h + window < path.count else { return nil }
        let start = path[h]
        for i in (h + 1)...(h + window) {
            let change = above ? path[i] - start : start - path[i]
            if change >= move - 1e-12 { return true }
        }
        return false
    }
}
