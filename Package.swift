// swift-tools-version:6.0
import PackageDescription

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
            ],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
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
    ],
    swiftLanguageModes: [.v5]
)
