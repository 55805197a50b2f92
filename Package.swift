// swift-tools-version:6.0
import PackageDescription

// The stages are modules of their own; the packet path crosses them (decode → flows →
// inspect), so their function bodies are offered for inlining across modules, as they
// were when the stages were one module.
let crossModule: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "demarc",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "demarc", targets: ["demarc"]),
        .library(name: "DemarcCore", targets: ["DemarcCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "4.0.0"..<"5.0.0"),
        // monitor --metrics: swift-metrics' instruments on swift-prometheus' registry,
        // served over HTTP by SwiftNIO.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]
        ),
        // The pipeline's stages, one module each; data flows one way and the compiler
        // says so: Base ← Decode ← Capture; Decode ← Inspect ← Flows; Inspect ← Scenario
        // (with Classify) ← Report; DemarcCore (the pipeline: replay, monitor) uses them all.
        // A C compiler builtin Swift has no spelling for (a prefetch hint).
        .target(name: "CHints"),
        .target(name: "DemarcBase", dependencies: ["CHints"], swiftSettings: crossModule),
        .target(name: "DemarcDecode", dependencies: ["DemarcBase"], swiftSettings: crossModule),
        .target(name: "DemarcCapture", dependencies: ["CPcap", "DemarcBase", "DemarcDecode"], swiftSettings: crossModule),
        .target(
            name: "DemarcInspect",
            dependencies: [
                "DemarcBase", "DemarcDecode",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                // AES.permute (one raw AES block) for QUIC header protection.
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: crossModule
        ),
        .target(name: "DemarcFlows", dependencies: ["DemarcBase", "DemarcDecode", "DemarcInspect"], swiftSettings: crossModule),
        .target(
            name: "DemarcScenario",
            dependencies: ["DemarcBase", "DemarcDecode", "DemarcInspect", .product(name: "Yams", package: "Yams")],
            swiftSettings: crossModule
        ),
        .target(
            name: "DemarcReport",
            dependencies: ["DemarcBase", "DemarcDecode", "DemarcInspect", "DemarcFlows", "DemarcScenario",
                           // BoringSSL's SHA-1 (CCryptoBoringSSL, built with Crypto) for the
                           // flows' Community ID.
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: crossModule
        ),
        .target(
            name: "DemarcCore",
            dependencies: ["DemarcBase", "DemarcDecode", "DemarcCapture", "DemarcInspect", "DemarcFlows",
                           "DemarcScenario", "DemarcReport"],
            swiftSettings: crossModule
        ),
        // Fleet metrics for a live run (monitor --metrics): a sink beside the report
        // writers that the command line attaches; the pipeline knows it only as a
        // LiveObserver, so NIO stays out of DemarcCore (and the fuzzers).
        .target(
            name: "DemarcMetrics",
            dependencies: [
                "DemarcCore",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "demarc",
            dependencies: [
                "DemarcCore",
                "DemarcMetrics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "DemarcCoreTests",
            dependencies: ["DemarcCore", "DemarcBase", "DemarcDecode", "DemarcCapture", "DemarcInspect", "DemarcFlows",
                           "DemarcScenario", "DemarcReport"],
            exclude: ["Fixtures", "FuzzRegressions"]
        ),
        .testTarget(
            name: "DemarcCLITests",
            dependencies: ["DemarcCore", "demarc"],
            exclude: ["Golden", "LinkLayers"]
        ),
    ]
)
