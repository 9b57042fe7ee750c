/// The time split shared by `tsfm-eval --split time:F` and `tsfm-conformal fit --exclude-latest F`:
/// the latest F of the distinct as-of times (at least one) is validation, the rest is train.
/// One rule, so that a fit that leaves out the latest F and an evaluation of that F describe
/// complementary records exactly.
public enum TimeSplit {
    /// The first validation as-of time (ms) among `times` (any order, duplicates allowed);
    /// nil for no times.
    public static func cutoff(_ times: [Int64], fraction: Double) -> Int64? {
        let distinct = Array(Set(times)).sorted()
        guard !distinct.isEmpty else { return nil }
        let validationCount = max(1, Int((Double(distinct.count) * fraction).rounded()))
        return distinct[max(0, distinct.count - validationCount)]
    }
}
