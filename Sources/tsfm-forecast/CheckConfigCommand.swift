import TSFMCore
import TSFMCommandLine
import ArgumentParser


/// `tsfm-forecast check-config`: the licence guard and the configuration, for CI, without
/// reading input or calling the daemon.
public struct CheckConfigCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the configuration and the licence guard (for CI): exit 0, or 78 naming the problem.",
        discussion: """
            Loads the flags, the environment and the model registry, and checks the
            --model as a forecast run would under --profile: research-only or
            unlisted models are refused in prod. Reads no input, calls no daemon.

            With --config (or $TSFM_CONFIG) the file is checked too: an unknown
            key or a value of the wrong type exits 78 naming the key and the file.

            Examples:
              tsfm-forecast check-config --profile prod --config /etc/tsfm/config.json
              tsfm-forecast check-config --profile prod --model-registry ops/models.json
              tsfm-forecast check-config --profile prod --model moirai-2.0-R-small   # exit 78
            """
    )

    @OptionGroup(title: "Tollama") var tollama: TollamaOptions

    @OptionGroup(title: "Licence guard") var licence: ProfileOptions

    @OptionGroup(title: "Configuration") var configuration: ConfigOptions

    public init() {}

    public func run() throws {
        do {
            _ = try tollama.configs()
            let licenceGuard = try licence.licenceGuard()
            try licenceGuard.check(model: tollama.model)
            print(licenceGuard.verdict(model: tollama.model))
        } catch let error as ToolError {
            Logger.writeStderr("tsfm-forecast: \(TerminalText.escaped(error.message))\n")
            throw ExitCode(error.status.rawValue)
        }
    }
}
