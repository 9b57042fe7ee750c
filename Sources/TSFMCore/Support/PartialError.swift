/// A partial (`tsfm-eval --partial`, `tsfm-conformal fit --partial`) that cannot be merged: why,
/// and the line to blame when one is.
public struct PartialError: Error, CustomStringConvertible {
    public var reason: String
    public var location: SourceLocation?

    init(_ reason: String, at location: SourceLocation? = nil) {
        self.reason = reason
        self.location = location
    }

    public var description: String { location.map { "\($0): \(reason)" } ?? reason }

    /// The tool error it ends a merge with (65).
    public var toolError: ToolError { ToolError(.dataError, reason, at: location) }
}
