// swift-tools-version:6.0
import PackageDescription

/// `make fuzz` sets TSFM_FUZZ=1 to add the libFuzzer harness, which only links with
/// `-sanitize=fuzzer` (libFuzzer supplies `main`), so ordinary builds never see it.
let fuzzing = Context.environment["TSFM_FUZZ"] == "1"

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

/// A tool: its own page of wiring over the core and the command-line support.
func tool(_ name: String, _ extra: [Target.Dependency] = []) -> Target {
    .executableTarget(name: name, dependencies: ["TSFMCore", "TSFMCommandLine", argumentParser] + extra)
}

let package = Package(
    name: "tsfm",
    // Linux only (no `platforms`): the system calls go through Glibc.
    products: [
        .executable(name: "tsfm-prep", targets: ["tsfm-prep"]),
        .executable(name: "tsfm-forecast", targets: ["tsfm-forecast"]),
        .executable(name: "tsfm-post", targets: ["tsfm-post"]),
        .executable(name: "tsfm-conformal", targets: ["tsfm-conformal"]),
        .executable(name: "tsfm-eval", targets: ["tsfm-eval"]),
        .executable(name: "tsfm-gate", targets: ["tsfm-gate"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // The core: records, NDJSON I/O, time, prep, baselines, forecast policy, post,
        // conformal, eval. No command line, no HTTP: it depends on nothing outside the toolchain.
        .target(
            name: "TSFMCore"
            // Release builds use the default -O, not -Ounchecked: bounds and overflow checks stay
            // on, since this module parses untrusted input. Measured, -O costs 3-9% more instructions
            // than -Ounchecked (docs/decisions.md); a hot loop that ever needs more speed uses
            // unchecked operations locally (`&+`, buffer pointers), with a comment why.
        ),
        // The tollama daemon's client (HTTP over libcurl, breaker, cache, batching): the only
        // module that links libcurl, so only tsfm-forecast does.
        .target(name: "TollamaClient", dependencies: ["TSFMCore", "CCurl"]),
        // What the tools share on the command line: option groups, ExpressibleByArgument
        // conformances of the core's values, ToolMain. The only library module that imports
        // ArgumentParser.
        .target(name: "TSFMCommandLine", dependencies: ["TSFMCore", argumentParser]),
        tool("tsfm-prep"),
        tool("tsfm-forecast", ["TollamaClient"]),
        tool("tsfm-post"),
        tool("tsfm-conformal"),
        tool("tsfm-eval"),
        tool("tsfm-gate"),
        // Synthetic data generator for `make bench`; deliberately free of ArgumentParser.
        .executableTarget(name: "tsfm-bench", dependencies: ["TSFMCore"]),
        .testTarget(name: "TSFMTests", dependencies: ["TSFMCore", "TollamaClient", "TSFMCommandLine"]),
    ] + (fuzzing ? [.executableTarget(name: "tsfm-fuzz", dependencies: ["TSFMCore"], path: "Fuzz/tsfm-fuzz")] : []),
    swiftLanguageModes: [.v5]
)
