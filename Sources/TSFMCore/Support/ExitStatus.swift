/// Exit statuses every tool uses, from sysexits(3), so scripts can tell failures apart.
public enum ExitStatus: Int32, Sendable {
    case success = 0
    case usage = 64
    case dataError = 65
    case noInput = 66
    case unavailable = 69
    case software = 70
    /// An output file cannot be created: its path holds something that is not a regular file.
    case cantCreate = 73
    case ioError = 74
    /// `tsfm-conformal fit --out-dir` refused to replace the current parameters (fewer groups,
    /// or holdout coverage off target): nothing was changed; retry with more data or `--force`.
    case refitRefused = 75
    case config = 78
    /// `tsfm-gate review` rolled the TSFM bands back (the canary arm's breach precision fell
    /// too far below the baseline arm's). Outside sysexits' range: a decision, not an error.
    case rolledBack = 79
}
