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
}

/// An error that ends a tool with a given exit status and a one-line message for stderr.
public struct ToolError: Error, CustomStringConvertible {
    public var status: ExitStatus
    public var message: String

    public init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// A bad record, located: printed as `FILE:LINE: reason`.
    public static func data(_ error: RecordError, at location: SourceLocation) -> ToolError {
        ToolError(.dataError, "\(location): \(error)")
    }

    public var description: String { message }
}

/// Thrown when standard output is closed by the reader (`| head`): the tool stops quietly.
public struct BrokenPipe: Error {
    public init() {}
}
