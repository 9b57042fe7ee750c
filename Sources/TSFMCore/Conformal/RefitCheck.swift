/// The guard on `fit --out-dir`: a refit run unattended (cron) must never quietly replace good
/// parameters with worse ones. A new fit is refused when it has parameters for fewer groups than
/// the current `latest`, or when its holdout coverage (the report's global outer pair, all steps,
/// scored on the bands apply would write) is further from the target than the tolerance.
public enum RefitCheck {
    /// Why the new parameters must not replace the current ones; empty when they may.
    public static func problems(new: ConformalParameters, current: ConformalParameters?,
                                report: CalibrationReport?, tolerance: Double) -> [String] {
        var out: [String] = []
        if let current, new.groups.count < current.groups.count {
            out.append("groups with parameters: \(new.groups.count) in the new fit, \(current.groups.count) in the current \(current.version)")
        }
        if let report, let holdout = report.overall() {
            let coverage = Double(holdout.covered) / Double(holdout.n)
            if abs(coverage - new.target) > tolerance + 1e-12 {
                out.append("holdout coverage \(CalibrationReport.fixed(coverage, 3)) misses the target \(new.target.description) ± \(tolerance.description) (n = \(holdout.n))")
            }
        }
        return out
    }
}

extension CalibrationReport {
    /// The global outer pair's holdout samples over every step: (n, covered after); nil when the
    /// holdout had none.
    public func overall() -> (n: Int, covered: Int)? {
        var n = 0
        var covered = 0
        for row in rows where row.group == SegmentKeys.globalGroup && row.pair.outer {
            n += row.n
            covered += row.coveredAfter
        }
        return n > 0 ? (n, covered) : nil
    }
}
