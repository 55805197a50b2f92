// swift-tools-version:6.0
// libFuzzer targets for demarc's packet path (decode → flows → inspectors), whole
// capture files (reader → pipeline → report), its scenario loader and its command-line
// values (FuzzHarness in DemarcCore). A package of its own (DemarcCore's sources linked
// in, not copied) so that the fuzzer flags reach only this code, not the main
// package's tools and plugins:
//   cd Fuzz && swift build -c release -Xswiftc -sanitize=fuzzer,address
//   .build/release/InspectFuzz corpus -max_total_time=300
// scripts/fuzz.sh does both, with a seed corpus from the inspector fixtures.
import PackageDescription

let package = Package(
    name: "DemarcFuzz",
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "4.0.0"..<"5.0.0"),
    ],
    targets: [
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        // The main package's stage modules, their sources linked in.
        .target(name: "CHints"),
        .target(name: "DemarcBase", dependencies: ["CHints"]),
        .target(name: "DemarcDecode", dependencies: ["DemarcBase"]),
        .target(name: "DemarcCapture", dependencies: ["CPcap", "DemarcBase", "DemarcDecode"]),
        .target(
            name: "DemarcInspect",
            dependencies: [
                "DemarcBase", "DemarcDecode",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .target(name: "DemarcFlows", dependencies: ["DemarcBase", "DemarcDecode", "DemarcInspect"]),
        .target(name: "DemarcScenario",
                dependencies: ["DemarcBase", "DemarcDecode", "DemarcInspect", .product(name: "Yams", package: "Yams")]),
        .target(name: "DemarcReport",
                dependencies: ["DemarcBase", "DemarcDecode", "DemarcInspect", "DemarcFlows", "DemarcScenario",
                               // Community ID's SHA-1 (BoringSSL's, under swift-crypto's Crypto).
                               .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "DemarcCore",
                dependencies: ["DemarcBase", "DemarcDecode", "DemarcCapture", "DemarcInspect", "DemarcFlows",
                               "DemarcScenario", "DemarcReport"]),
        .target(name: "FuzzDriver"),
        .executableTarget(name: "InspectFuzz", dependencies: ["DemarcCore", "FuzzDriver"]),
        .executableTarget(name: "ScenarioFuzz", dependencies: ["DemarcCore", "FuzzDriver"]),
        .executableTarget(name: "OptionsFuzz", dependencies: ["DemarcCore", "FuzzDriver"]),
        .executableTarget(name: "CaptureFuzz", dependencies: ["DemarcCore", "FuzzDriver"]),
    ]
)
