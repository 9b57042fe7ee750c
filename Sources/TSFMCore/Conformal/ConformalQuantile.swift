/// The finite-sample conformal quantile: with n calibration scores, the ⌈(n+1)·level⌉-th
/// smallest score bounds a new exchangeable score with probability ≥ level (Vovk et al.; Romano,
/// Patterson & Candès 2019 for CQR). Pure functions over arrays.
public enum ConformalQuantile {
    /// The 1-based rank ⌈(n+1)·level⌉, clamped to [1, n]. `capped` is true when the rank
    /// exceeds n: theory then asks for +∞ (an unbounded band); we use the largest score instead
    /// and say so in the parameter file, because an infinite adjustment cannot be applied or
    /// written and the largest score is the widest correction the data supports.
    public static func rank(n: Int, level: Double) -> (rank: Int, capped: Bool) {
        precondition(n > 0, "rank needs at least one score")
        // The small tolerance keeps products such as 10·0.9 = 9.000000000000002 from rounding
        // up to the next rank.
        let raw = (Double(n + 1) * level - 1e-9).rounded(.up)
        if raw > Double(n) { return (n, true) }
        if raw < 1 { return (1, false) }
        return (Int(raw), false)
    }

    /// The conformal quantile of `scores` at `level` (nil for no scores). Reorders `scores`.
    public static func quantile(_ scores: inout [Float], level: Double) -> (value: Double, capped: Bool)? {
        guard !scores.isEmpty else { return nil }
        let r = rank(n: scores.count, level: level)
        return (widened(kthSmallest(&scores, r.rank)), r.capped)
    }

    /// A Float score as the Double with the same shortest text (0.025422638, not
    /// 0.025422638282179832), so parameter files show no digits the scores never had.
    public static func widened(_ x: Float) -> Double {
        Double(x.description) ?? Double(x)
    }

    /// The k-th smallest value (1-based), by `Quickselect`. Reorders `values`.
    public static func kthSmallest(_ values: inout [Float], _ k: Int) -> Float {
        precondition(k >= 1 && k <= values.count)
        return values.withUnsafeMutableBufferPointer { Quickselect.select($0, count: $0.count, k: k - 1) }
    }

    /// The plain sample median (mean of the middle two for even n); nil for no values.
    /// Reorders `values`.
    public static func median(_ values: inout [Float]) -> Double? {
        let n = values.count
        guard n > 0 else { return nil }
        let upper = widened(kthSmallest(&values, n / 2 + 1))
        if n % 2 == 1 { return upper }
        let lower = widened(kthSmallest(&values, n / 2))
        return widened(Float((lower + upper) / 2))
    }
}
