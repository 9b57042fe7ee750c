/// The rules that make a band safe, shared by tsfm-post and tsfm-conformal apply. All work per
/// horizon step on a `QuantileBand` whose levels are ascending.
///
/// Width rule (outermost levels, lowest vs highest, per step; c is the 0.5 level's value, or
/// the midpoint of the outer pair when the band has no 0.5 level):
/// - narrower than `minWidth`: both outer values move out by (minWidth − width)/2; if that
///   crosses 0 or 1 the whole outer pair shifts back inside. Inner levels do not move (the new
///   band contains the old one, so order holds).
/// - wider than `maxWidth`: every level is pulled toward c by the factor maxWidth/width, so the
///   median stays put, the skew is kept and the width becomes exactly `maxWidth`.
/// A tolerance of 1e-9 keeps float noise (0.3 − 0.28) from triggering either rule.
public enum BandGuard {
    public static let defaultMinWidth = 0.02
    public static let defaultMaxWidth = 0.60
    static let tolerance = 1e-9

    /// Clips every value into [0, 1]; returns how many values moved.
    @discardableResult
    public static func clip(_ band: inout QuantileBand) -> Int {
        var moved = 0
        for i in band.values.indices {
            for h in band.values[i].indices {
                let v = band.values[i][h]
                if v < 0 {
                    band.values[i][h] = 0
                    moved += 1
                } else if v > 1 {
                    band.values[i][h] = 1
                    moved += 1
                }
            }
        }
        return moved
    }

    /// Monotone rearrangement: sorts each step's values across levels. Returns the number of
    /// steps that were out of order.
    @discardableResult
    public static func repairCrossing(_ band: inout QuantileBand) -> Int {
        let levels = band.levels.count
        guard levels > 1 else { return 0 }
        var repaired = 0
        var column = [Double](repeating: 0, count: levels)
        for h in 0..<band.horizon {
            var crossed = false
            for i in 1..<levels where band.values[i][h] < band.values[i - 1][h] {
                crossed = true
                break
            }
            guard crossed else { continue }
            repaired += 1
            for i in 0..<levels { column[i] = band.values[i][h] }
            column.sort()
            for i in 0..<levels { band.values[i][h] = column[i] }
        }
        return repaired
    }

    /// Applies the width rule to every step; returns (steps expanded, steps clamped). Expects a
    /// clipped, ordered band.
    public static func guardWidth(_ band: inout QuantileBand, minWidth: Double, maxWidth: Double) -> (expanded: Int, clamped: Int) {
        let top = band.levels.count - 1
        guard top > 0 else { return (0, 0) }
        let median = band.medianIndex
        var expanded = 0
        var clamped = 0
        for h in 0..<band.horizon {
            let lo = band.values[0][h]
            let hi = band.values[top][h]
            let width = hi - lo
            if width < minWidth - tolerance {
                let pad = (minWidth - width) / 2
                var newLo = lo - pad
                var newHi = hi + pad
                // Shifted off a bound, the far end is set from the bound so the width is exact.
                if newLo < 0 {
                    newLo = 0
                    newHi = minWidth
                } else if newHi > 1 {
                    newHi = 1
                    newLo = 1 - minWidth
                }
                band.values[0][h] = max(0, newLo)
                band.values[top][h] = min(1, newHi)
                expanded += 1
            } else if width > maxWidth + tolerance {
                let centre = median.map { band.values[$0][h] } ?? (lo + hi) / 2
                let factor = maxWidth / width
                for i in 0...top {
                    band.values[i][h] = centre + (band.values[i][h] - centre) * factor
                }
                clamped += 1
            }
        }
        return (expanded, clamped)
    }

    /// Widths above `maxWidth` (steps), without changing anything: conformal flags these.
    public static func stepsAbove(_ band: QuantileBand, maxWidth: Double) -> Int {
        let top = band.levels.count - 1
        guard top > 0 else { return 0 }
        return (0..<band.horizon).filter { band.values[top][$0] - band.values[0][$0] > maxWidth + tolerance }.count
    }
}
