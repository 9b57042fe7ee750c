import ArgumentParser

/// `tsfm-forecast health`. Placeholder until the tollama client lands (issue 5).
public struct HealthCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Print the tollama daemon's version, health, installed models and breaker state."
    )

    public init() {}

    public func run() throws {
        Logger.writeStderr("tsfm-forecast health: not implemented yet\n")
        throw ExitCode(ExitStatus.software.rawValue)
    }
}
