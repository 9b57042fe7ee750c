/// Where the rollout of TSFM bands to the alert gate stands (docs/rollout-plan.md): which
/// markets' live alerts come from the TSFM band and which from the baseline band.
public enum RolloutPhase: String, CaseIterable, Sendable {
    /// Every market's live alerts come from the baseline band; TSFM-band alerts for every
    /// market are emitted beside them with `"shadow": true`, to be compared.
    case shadow
    /// A small arm of markets (10 % by default) gets TSFM-band alerts, the rest baseline ones.
    case canary
    /// Half the markets (by default) get TSFM-band alerts.
    case ramp
    /// Every market gets TSFM-band alerts.
    case full
    /// Every market uses the baseline band again (by hand or by `tsfm-gate review`).
    case rollback

    /// The share of markets whose live alerts use the TSFM band, in percent, unless set.
    public var defaultPercent: Double {
        switch self {
        case .shadow: return 100
        case .canary: return 10
        case .ramp: return 50
        case .full: return 100
        case .rollback: return 0
        }
    }

    /// Whether the percentage may be chosen (`canary:P`, `ramp:P`).
    public var takesPercent: Bool { self == .canary || self == .ramp }
}

/// The two arms a market can be in, and the tag every alert carries.
public enum RolloutArm: String, Sendable, CaseIterable {
    /// Alerts from the TSFM band (`--band-source`, with its fallback).
    case tsfm
    /// Alerts from the baseline's band.
    case baseline
}

/// A phase with its percentage: what `--rollout` and the state file hold.
public struct RolloutSetting: Equatable, Sendable, CustomStringConvertible {
    public var phase: RolloutPhase
    /// Percent of markets in the TSFM arm (shadow: the share shadowed, always 100).
    public var percent: Double

    public init(phase: RolloutPhase, percent: Double? = nil) {
        self.phase = phase
        self.percent = percent ?? phase.defaultPercent
    }

    /// Parses `shadow`, `canary`, `ramp`, `full`, `rollback`, `canary:P` or `ramp:P`
    /// (0 < P ≤ 100, a plain decimal). Nil for anything else.
    public init?(argumentText argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard let phase = RolloutPhase(rawValue: String(parts[0])), parts.count <= 2 else { return nil }
        if parts.count == 2 {
            guard phase.takesPercent, let p = Double(parts[1]), p.isFinite, p > 0, p <= 100 else { return nil }
            self.init(phase: phase, percent: p)
        } else {
            self.init(phase: phase)
        }
    }

    public static let argumentHelp = "shadow, canary, ramp, full, rollback, or canary:P / ramp:P with 0 < P <= 100"

    /// `canary:10`, `shadow`: the text that parses back to this setting.
    public var description: String {
        phase.takesPercent ? "\(phase.rawValue):\(Self.percentText(percent))" : phase.rawValue
    }

    static func percentText(_ p: Double) -> String {
        p.rounded() == p ? String(Int(p)) : p.description
    }

    /// The arm whose alerts are live for a market, and whether the other arm's alerts are
    /// also written as shadows. Shadow: baseline live, TSFM shadowed; canary and ramp: by the
    /// market's hash; full: TSFM; rollback: baseline.
    public func arms(marketId: String) -> (live: RolloutArm, shadow: RolloutArm?) {
        switch phase {
        case .shadow: return (.baseline, .tsfm)
        case .canary, .ramp: return MarketHash.isIn(marketId, percent: percent) ? (.tsfm, nil) : (.baseline, nil)
        case .full: return (.tsfm, nil)
        case .rollback: return (.baseline, nil)
        }
    }
}
