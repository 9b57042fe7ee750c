import ArgumentParser
import TollamaClient
import TSFMCommandLine
import TSFMCore

/// `tsfm-forecast health`: the daemon's version, health, installed models, whether the
/// configured model is among them and the key is accepted, and our breaker state for this
/// daemon, as one JSON object; exit 0 when all is well, 78 for a configuration problem (with the
/// fix on stderr), 69 when the daemon cannot be reached.
public struct HealthCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Print the tollama daemon's version, health, installed models and tsfm's breaker state.",
        discussion: """
            Asks GET /api/version, /v1/health and /api/tags, and reads the state
            of the circuit breaker and of baseline-only mode for this daemon
            (--state-dir). Exit 0 when the daemon answers, takes the key and has
            the --model installed; 78 when it refuses the key (401/403) or lacks
            the model, with the fix on stderr; 69 when it cannot be reached. The
            token (TOLLAMA_API_KEY) is sent when set, never printed.

            Example:
              tsfm-forecast health --tollama-url http://127.0.0.1:11435 --model mock | jq .
            """
    )

    @OptionGroup public var tollama: TollamaOptions

    @Option(help: "Log format on stderr: json or text.")
    public var logFormat: Logger.Format = .json

    @Option(help: "Least severe log level shown: debug, info, warning, error.")
    public var logLevel: Logger.Level = .warning

    public init() {}

    public func run() throws {
        let logger = Logger(tool: "tsfm-forecast", format: logFormat, level: logLevel)
        let configs: [TollamaConfig]
        do { configs = try tollama.configs() } catch let error as ToolError {
            ToolMain.report(error, tool: "tsfm-forecast")
            throw ExitCode(error.status.rawValue)
        }
        // Several daemons: one line each; the exit status is the worst (69 before 78 before 0).
        var statuses: [Int32] = []
        for config in configs {
            do { try check(config, logger: logger) } catch let e as ExitCode { statuses.append(e.rawValue) }
        }
        if statuses.contains(ExitStatus.unavailable.rawValue) { throw ExitCode(ExitStatus.unavailable.rawValue) }
        if let s = statuses.first { throw ExitCode(s) }
    }

    func check(_ config: TollamaConfig, logger: Logger) throws {
        let health = DaemonHealth.check(config)
        print(try JSONValue.object(health.report).jsonText())
        if let problem = health.problem, health.reachable {
            logger.warning("tollama answers but refuses tsfm's calls until its configuration is fixed",
                           problem.fields + [("url", .string(config.baseURL))])
        }
        if health.status != .success { throw ExitCode(health.status.rawValue) }
    }
}
