import TSFMCore
import ArgumentParser

/// `--metrics-file` and `--metrics-pipeline`, part of `CommonOptions` (docs/metrics.md).
public struct MetricsOptions: ParsableArguments {
    @Option(help: ArgumentHelp("At the end of the run, write Prometheus metrics here (atomically; counters add up across runs in --state-dir). See docs/metrics.md.", valueName: "path"))
    public var metricsFile: String?

    @Option(help: ArgumentHelp("The pipeline label of the metrics ([a-z][a-z0-9_]{0,31}), e.g. cycle or calibrate.", valueName: "name"))
    public var metricsPipeline: String = "default"

    public init() {}

    public func validate() throws {
        guard Self.isPipelineName(metricsPipeline) else {
            throw ValidationError("--metrics-pipeline must match [a-z][a-z0-9_]{0,31} (got \(metricsPipeline))")
        }
    }

    static func isPipelineName(_ s: String) -> Bool {
        let bytes = Array(s.utf8)
        guard (1...32).contains(bytes.count), (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(bytes[0]) else { return false }
        return bytes.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
    }

    /// The run's metrics file, or nil without `--metrics-file`.
    public func run(tool: String, stateDir: String?, output: OutputSink?, logger: Logger) -> MetricsRun? {
        guard let metricsFile else { return nil }
        return MetricsRun(path: metricsFile, tool: tool, pipeline: metricsPipeline, stateDir: stateDir, output: output, logger: logger)
    }
}

/// `--state-dir` for the tools that keep nothing there but their metrics totals (tsfm-forecast
/// has its own, in `TollamaOptions`).
public struct StateDirOption: ParsableArguments {
    @Option(help: "Where the metrics totals (and tsfm-forecast's breaker and cache) live (default $XDG_STATE_HOME/tsfm, else ~/.local/state/tsfm).")
    public var stateDir: String?

    public init() {}

    /// The state dir: the flag, else the XDG default.
    public var path: String? { stateDir ?? Self.defaultPath() }

    public static func defaultPath() -> String? { StateDir.resolve() }
}
