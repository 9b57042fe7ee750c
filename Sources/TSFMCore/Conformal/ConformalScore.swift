/// How a group's adjustment is learned from its calibration samples.
public enum ConformalMethod: String, CaseIterable, Sendable {
    /// Conformalized quantile regression: one additive adjustment per step for the pair.
    case cqr
    /// A centre shift (median residual) and a multiplicative width scale.
    case scaled
    /// Adaptive conformal inference: an online miscoverage level that follows drift.
    case aci
}

/// The space scores and adjustments live in. Logit keeps adjusted bands inside (0, 1).
public enum ConformalSpace: String, CaseIterable, Sendable {
    case logit
    case prob

    /// The transform from a probability into this space (logit with the product's eps 1e-6).
    public var transform: Transform {
        switch self {
        case .logit: return .standard
        case .prob: return .identity
        }
    }
}

/// The scores of one (band pair, realized value), in the calibration space. Pure.
public enum ConformalScore {
    /// CQR's score: how far the realized value lies outside [lo, hi] (negative inside). The band
    /// widened by the score on each side just covers the value.
    @inline(__always)
    public static func cqr(lo: Double, hi: Double, y: Double) -> Double {
        max(lo - y, y - hi)
    }

    /// Half-widths below this are treated as this, so a degenerate side cannot divide by zero.
    public static let minimumHalfWidth = 1e-6

    /// The scaled method's normalised error of residual `r = y − centre` after removing `shift`:
    /// the factor by which the band's half-width on the value's side must be scaled about the
    /// shifted centre to reach the value. Covered by scale k exactly when this is ≤ k.
    @inline(__always)
    public static func normalisedError(residual r: Double, lowerHalf: Double, upperHalf: Double, shift s: Double) -> Double {
        let d = r - s
        if d >= 0 { return d / max(upperHalf, minimumHalfWidth) }
        return -d / max(lowerHalf, minimumHalfWidth)
    }
}
