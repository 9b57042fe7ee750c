/// How a run decides its phase, and how the phase is described to people.
public enum GatePhase {
    /// The phase of an `alerts` run: a recorded rollback always wins (it is the kill switch);
    /// else `--rollout` when given; else the recorded phase; else shadow, the safe default.
    public static func effective(recorded: RolloutState?, requested: RolloutSetting?, logger: Logger) -> RolloutSetting {
        if let recorded, recorded.setting.phase == .rollback {
            if let requested, requested.phase != .rollback {
                logger.warning("the rollout is rolled back: ignoring --rollout; every market uses the baseline band (end the rollback with 'tsfm-gate rollout --set PHASE')",
                               [("rollout", .string(requested.description)), ("since", .string(recorded.since.rfc3339)),
                                ("reason", .string(recorded.reason))])
            }
            return recorded.setting
        }
        return requested ?? recorded?.setting ?? RolloutSetting(phase: .shadow)
    }

    /// One line for `status`: phase, percentage, since when, who and why.
    public static func statusText(_ state: RolloutState, store: RolloutStore) -> String {
        let s = state.setting
        let share: String
        switch s.phase {
        case .shadow: share = "baseline alerts live, TSFM alerts as shadows for every market"
        case .rollback: share = "every market on the baseline band"
        default: share = "\(RolloutSetting.percentText(s.percent))% of markets on TSFM bands"
        }
        var text = "phase \(s.description) (\(share)) since \(state.since.rfc3339), set by \(state.setBy): \(state.reason)"
        if let previous = state.previous { text += "; before: \(previous.description)" }
        return text + " [\(store.path)]"
    }
}
