import TSFMCore
import ArgumentParser

/// `--config` and `--print-config`, for `--help`: `ToolConfig.arguments` handles both before
/// ArgumentParser parses the command line (docs/configuration.md).
public struct ConfigOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Settings an operator sets once (JSON; docs/configuration.md); else $TSFM_CONFIG. Flags and environment override it.", valueName: "file"))
    public var config: String?

    @Flag(help: "Print the effective settings of this command and where each came from (flag, env, config file, default), then exit.")
    public var printConfig = false

    public init() {}
}
