/// What `tsfm-gate alerts` is asked to do (docs/tsfm-gate.md).
public struct AlertSettings: Sendable {
    /// The band the TSFM arm uses (with its fallback).
    public var bandSource: GateBandSource = .tsfmConformal
    /// The level pair that is the band, e.g. (0.1, 0.9); nil: the outermost symmetric pair.
    public var pair: (low: Double, high: Double)?
    /// Every breaching step, not only the first of each forecast and arm.
    public var all = false
    public var rollout = RolloutSetting(phase: .shadow)
    /// Follow-through, as tsfm-eval defines it: a move of at least `move` in the breach's
    /// direction within `followThroughSeconds` after it.
    public var move = 0.03
    public var followThroughSeconds: Double = 6 * 3600

    public init() {}

    /// Parses `--pair LO-HI` (e.g. `0.1-0.9`): two levels in (0, 1), LO + HI = 1.
    public static func parsePair(_ text: String) -> (low: Double, high: Double)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let lo = QuantileLevel.parse(String(parts[0])), let hi = QuantileLevel.parse(String(parts[1])),
              lo < 0.5, abs(lo + hi - 1) < 1e-9 else { return nil }
        return (lo, hi)
    }
}
