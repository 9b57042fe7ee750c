import ArgumentParser

/// tsfm-forecast's options for the tollama runtime. Placeholder until the tollama client lands
/// (issue 5): it has no options and makes no runtime, so `auto` serves every request by baseline.
public struct TollamaOptions: ParsableArguments {
    public init() {}

    /// The runtime to use, or nil when none is available.
    public func makeRuntime(logger: Logger, deterministic: Bool) throws -> ModelRuntime? {
        nil
    }
}
