import TSFMCore
import TSFMCommandLine
import ArgumentParser

extension Profile: ExpressibleByArgument {}

/// `--profile` and `--model-registry`: the licence guard's options (docs/models.md).
public struct ProfileOptions: ParsableArguments {
    @Option(help: "dev (any model) or prod (only models the registry lists with production true; others exit 78 before any call).")
    public var profile: Profile = .dev

    @Option(help: ArgumentHelp("The model registry (docs/models.md); else $TSFM_MODEL_REGISTRY, else <prefix>/share/tsfm/models.json beside the installed tool.", valueName: "file"))
    public var modelRegistry: String?

    public init() {}

    /// The guard: the registry is loaded when named (a bad file is exit 78 under any profile) or
    /// found; under dev a registry that cannot be found is no error.
    public func licenceGuard() throws -> LicenceGuard {
        let path = modelRegistry ?? ModelRegistry.defaultPath()
        return LicenceGuard(profile: profile, registry: try path.map(ModelRegistry.load))
    }
}
