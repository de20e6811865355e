// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "nasc",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "nasc", targets: ["nasc"]),
    .library(name: "NASCSpace", targets: ["NASCSpace"]),
    .library(name: "NASCTensor", targets: ["NASCTensor"]),
    .library(name: "NASCSearch", targets: ["NASCSearch"]),
  ],
  dependencies: [
    .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
    .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
  ],
  targets: [
    // OpenBLAS on Linux (Debian `libopenblas-dev`); Accelerate on Apple platforms.
    .systemLibrary(
      name: "CBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]
    ),
    .target(
      name: "NASCTensor",
      dependencies: [.target(name: "CBLAS", condition: .when(platforms: [.linux]))],
      swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
    ),
    .target(
      name: "NASCSpace",
      dependencies: [.product(name: "Yams", package: "Yams")]
    ),
    .target(
      name: "NASCSearch",
      dependencies: ["NASCSpace", "NASCTensor", "NASCExport"],
      resources: [.copy("Resources/optdigits")]
    ),
    .target(
      name: "NASCExport",
      dependencies: ["NASCSpace", "NASCTensor"]
    ),
    .executableTarget(
      name: "nasc",
      dependencies: [
        "NASCSpace", "NASCTensor", "NASCSearch", "NASCExport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(name: "NASCTensorTests", dependencies: ["NASCTensor"], resources: [.copy("Fixtures")]),
    .testTarget(name: "NASCSpaceTests", dependencies: ["NASCSpace"], exclude: ["Golden"]),
    .testTarget(name: "NASCSearchTests", dependencies: ["NASCSearch", "NASCSpace", "NASCTensor"]),
  ],
  swiftLanguageModes: [.v6]
)
