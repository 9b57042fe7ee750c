/// Where an input record came from: the file name (`<stdin>` for standard input) and the
/// 1-based line number.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { "\(file):\(line)" }
}

/// A problem with one record's content: which field (when one is to blame) and what is wrong.
/// The record stream adds the file and line before it reaches the user.
public struct RecordError: Error, Equatable, CustomStringConvertible {
    public var field: String?
    public var reason: String

    public init(field: String? = nil, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String {
        guard let field else { return reason }
        return "field '\(field)': \(reason)"
    }

    /// A required field of a pipeline record is absent: names the stage that writes it
    /// (`field 'yhat_q': missing (tsfm-forecast writes it)`). Quotes and market files, which a
    /// user writes, say only `missing`.
    public static func missing(_ field: String) -> RecordError {
        RecordError(field: field, FieldName.producer(of: field).map { "missing (\($0) writes it)" } ?? "missing")
    }
}

/// An error that ends a tool with a given exit status and a one-line message for stderr. The
/// message's form follows from whether one input line is to blame: `FILE:LINE: reason` when the
/// error has a location, else `TOOL: reason` (`line(tool:)`), so every message starts with the
/// tool's name or the place in its input.
public struct ToolError: Error, CustomStringConvertible {
    public var status: ExitStatus
    /// What is wrong, without the location.
    public var reason: String
    /// The input line to blame, when there is one.
    public var location: SourceLocation?

    public init(_ status: ExitStatus, _ reason: String, at location: SourceLocation? = nil) {
        self.status = status
        self.reason = reason
        self.location = location
    }

    /// A bad record, located: printed as `FILE:LINE: reason`.
    public static func data(_ error: RecordError, at location: SourceLocation) -> ToolError {
        ToolError(.dataError, error.description, at: location)
    }

    /// The reason, after its location when it has one.
    public var message: String { location.map { "\($0): \(reason)" } ?? reason }

    /// The line for stderr (without the newline): `FILE:LINE: reason` or `TOOL: reason`.
    public func line(tool: String) -> String { location == nil ? "\(tool): \(reason)" : message }

    public var description: String { message }
}

/// Thrown when standard output is closed by the reader (`| head`): the tool stops quietly.
public struct BrokenPipe: Error {
    public init() {}
}
