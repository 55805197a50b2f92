// swift-tools-version:6.0
import PackageDescription

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
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"]), .brew(["libpcap"])]
        ),
        .target(
            name: "DemarcCore",
            dependencies: [
                "CPcap",
                .product(name: "Yams", package: "Yams"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                // AES.permute (one raw AES block) for QUIC header protection.
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "demarc",
            dependencies: [
                "DemarcCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "DemarcCoreTests",
            dependencies: ["DemarcCore"],
            exclude: ["Fixtures", "FuzzRegressions"]
        ),
        .testTarget(
            name: "DemarcCLITests",
            dependencies: ["DemarcCore", "demarc"],
            exclude: ["Golden"]
        ),
    ]
)
