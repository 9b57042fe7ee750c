import ArgumentParser
import TSFMCore

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

    @OptionGroup(title: "Metrics") public var metrics: MetricsOptions

    @OptionGroup(title: "Configuration") public var configuration: ConfigOptions

    public init() {}

    public func logger(tool: String) -> Logger {
        Logger(tool: tool, format: logFormat, level: logLevel)
    }

    /// How a streaming tool's `run()` starts: its standard output, its logger and its metrics
    /// run (`--metrics-file`, reported as `metricsName`; none when `withMetrics` is false), then
    /// `ToolMain.run` around `body`, which gets the three.
    public func run(tool: String, metricsName: String? = nil, stateDir: String?, withMetrics: Bool = true,
                    _ body: (OutputSink, Logger, MetricsRun?) throws -> ExitStatus) -> Never {
        let output = OutputSink()
        let log = logger(tool: tool)
        let run = withMetrics ? metrics.run(tool: metricsName ?? tool, stateDir: stateDir, output: output, logger: log) : nil
        ToolMain.run(tool: tool, output: output, metrics: run) { try body(output, log, run) }
    }

    /// The stream over the inputs, writing to standard output.
    public func stream(tool: String, output: OutputSink) -> RecordStream {
        RecordStream(input: NDJSONInput(paths: files), output: output, onError: onError,
                     progress: ProgressMeter.forTerminal(tool: tool))
    }
}

/// Range checks for numeric flags: a value outside the documented range is a usage error
/// (exit 64) whose message names the flag and the range. NaN and infinity are never in range.
public enum FlagRange {
    public static func check(_ flag: String, _ value: Int, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) must be between \(range.lowerBound) and \(range.upperBound) (got \(value))")
        }
    }

    /// `low`/`high` exclusive when `openLow`/`openHigh`; `high` nil means any finite value.
    public static func check(_ flag: String, _ value: Double, low: Double, high: Double?, openLow: Bool = false,
                             openHigh: Bool = false) throws {
        let aboveLow = openLow ? value > low : value >= low
        let belowHigh = high.map { openHigh ? value < $0 : value <= $0 } ?? true
        guard value.isFinite, aboveLow, belowHigh else {
            let lowText = "\(openLow ? "(" : "[")\(number(low))"
            let highText = high.map { "\(number($0))\(openHigh ? ")" : "]")" } ?? "∞)"
            throw ValidationError("\(flag) must be a finite number in \(lowText), \(highText) (got \(value))")
        }
    }

    static func number(_ v: Double) -> String { NumberText.short(v) }
}

/// `--move` and `--followthrough`: what counts as a breach's follow-through (tsfm-eval's
/// definition, which tsfm-gate's alerts and review share).
public struct FollowThroughOptions: ParsableArguments {
    @Option(help: "A meaningful move after a breach (absolute, in (0, 1]).")
    public var move: Double = 0.03

    @Option(help: "How long after a breach a move counts as follow-through (converted to steps with each record's freq).")
    public var followthrough: DurationArgument = DurationArgument(seconds: 6 * 3600, text: "6h")

    public init() {}

    public func validate() throws {
        try FlagRange.check("--move", move, low: 0, high: 1, openLow: true)
        try followthrough.check("--followthrough", 0...DurationText.maxSeconds, openBelow: true)
    }

    /// The follow-through window in seconds.
    public var seconds: Double { followthrough.seconds }
}
