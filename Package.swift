// swift-tools-version:6.0
import PackageDescription

/// `make fuzz` sets TSFM_FUZZ=1 to add the libFuzzer harness, which only links with
/// `-sanitize=fuzzer` (libFuzzer supplies `main`), so ordinary builds never see it.
let fuzzing = Context.environment["TSFM_FUZZ"] == "1"

let package = Package(
    name: "tsfm",
    platforms: [.macOS(.v13)],
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
        .target(
            name: "Shared",
            dependencies: [
                "CCurl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
            // Release builds use the default -O, not -Ounchecked: bounds and overflow checks stay
            // on, since this module parses untrusted input. Measured, -O costs 3-9% more instructions
            // than -Ounchecked (docs/decisions.md); a hot loop that ever needs more speed uses
            // unchecked operations locally (`&+`, buffer pointers), with a comment why.
        ),
        .executableTarget(name: "tsfm-prep", dependencies: ["Shared"]),
        .executableTarget(name: "tsfm-forecast", dependencies: ["Shared"]),
        .executableTarget(name: "tsfm-post", dependencies: ["Shared"]),
        .executableTarget(name: "tsfm-conformal", dependencies: ["Shared"]),
        .executableTarget(name: "tsfm-eval", dependencies: ["Shared"]),
        .executableTarget(name: "tsfm-gate", dependencies: ["Shared"]),
        // Synthetic data generator for `make bench`; deliberately free of ArgumentParser.
        .executableTarget(name: "tsfm-bench", dependencies: ["Shared"]),
        .testTarget(name: "SharedTests", dependencies: ["Shared"]),
    ] + (fuzzing ? [.executableTarget(name: "tsfm-fuzz", dependencies: ["Shared"], path: "Fuzz/tsfm-fuzz")] : []),
    swiftLanguageModes: [.v5]
)
