import ArgumentParser

/// Options every record-processing tool takes: its inputs, the bad-line policy, logging and
/// the summary. Executables embed it with `@OptionGroup`.
public struct CommonOptions: ParsableArguments {
    @Argument(help: "Input NDJSON files; '-' or none reads standard input.")
    public var files: [String] = []

    @Option(help: "On a bad input line: 'fail' stops with exit 65; 'skip' writes an error record for it, goes on, and exits 65 at the end.")
    public var onError: OnErrorPolicy = .fail

    @Option(help: "Log format on stderr: json or text.")
    public var logFormat: Logger.Format = .json

    @Option(help: "Least severe log level shown: debug, info, warning, error.")
    public var logLevel: Logger.Level = .warning

    @Flag(help: "Print totals to stderr at the end.")
    public var summary = false

    public init() {}

    public func logger(tool: String) -> Logger {
        Logger(tool: tool, format: logFormat, level: logLevel)
    }

    /// The stream over the inputs, writing to standard output.
    public func stream(tool: String, output: OutputSink) -> RecordStream {
        RecordStream(input: NDJSONInput(paths: files), output: output, onError: onError,
                     progress: ProgressMeter.forTerminal(tool: tool))
    }
}
