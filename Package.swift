// swift-tools-version: 6.0
import PackageDescription

// The tensor engine's hot loops (Sources/NASCKernels) are compiled twice: NASCKernelsBaseline for any
// CPU of the architecture and NASCKernelsX86V3 (Sources/NASCKernelsX86V3 is a link to the same
// directory) for x86-64-v3 (AVX2 + FMA, every x86 server CPU since about 2015) in release builds on
// x86-64 Linux; NASCTensor runs one of them per process, by what the CPU supports (NASC_KERNELS=baseline
// forces the other). NASC_PORTABLE=1 builds NASCKernelsX86V3 without the x86-64-v3 flags.
let kernelSettings: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
var x86V3Settings = kernelSettings
#if arch(x86_64)
  if Context.environment["NASC_PORTABLE"] == nil {
    x86V3Settings += [
      .unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux], configuration: .release)),
      .define("NASC_FMA", .when(platforms: [.linux], configuration: .release)),
      .define("NASC_X86_64_V3", .when(platforms: [.linux], configuration: .release)),
    ]
  }
#endif

let package = Package(
  name: "nasc",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "nasc", targets: ["nasc"]),
    .executable(name: "nasc-fuzz", targets: ["NASCFuzz"]),
    .library(name: "NASCSpace", targets: ["NASCSpace"]),
    .library(name: "NASCTensor", targets: ["NASCTensor"]),
    .library(name: "NASCData", targets: ["NASCData"]),
    .library(name: "NASCSearch", targets: ["NASCSearch"]),
  ],
  dependencies: [
    .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
    .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
    // Exact architecture counts (10^100 and beyond) in space sizes.
    .package(url: "https://github.com/attaswift/BigInt", exact: "6.0.1"),
    // SHA-256 of space files, checkpoints and run settings.
    .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
    // ONNX models and TensorBoard event files are protobuf messages (Swift code generated from the
    // schemas in protos/ once, by scripts/generate-protos, and committed).
    .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
  ],
  targets: [
    // OpenBLAS on Linux (Debian `libopenblas-dev`); Accelerate on Apple platforms.
    .systemLibrary(
      name: "CBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]
    ),
    // zlib for gzip-compressed data files (Debian `zlib1g-dev`; in the SDK on Apple platforms).
    .systemLibrary(
      name: "CZlib",
      pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    // CPUID: whether the processor runs the x86-64-v3 kernels.
    .target(name: "CNASCCPU"),
    // Worker threads, kernel argument types and the `TensorKernels` protocol both kernel builds conform to.
    .target(name: "NASCKernelSupport"),
    .target(
      name: "NASCKernelsBaseline", dependencies: ["NASCKernelSupport"], path: "Sources/NASCKernels",
      swiftSettings: kernelSettings),
    .target(name: "NASCKernelsX86V3", dependencies: ["NASCKernelSupport"], swiftSettings: x86V3Settings),
    .target(
      name: "NASCTensor",
      dependencies: [
        "CNASCCPU", "NASCKernelSupport", "NASCKernelsBaseline", "NASCKernelsX86V3",
        .target(name: "CBLAS", condition: .when(platforms: [.linux])),
      ],
      swiftSettings: kernelSettings
    ),
    .target(
      name: "NASCSpace",
      dependencies: [.product(name: "Yams", package: "Yams"), .product(name: "BigInt", package: "BigInt")]
    ),
    .target(
      name: "NASCData",
      dependencies: ["NASCSpace", "NASCTensor", "CZlib"],
      resources: [.copy("Resources/optdigits"), .copy("Resources/kjv-nt")]
    ),
    // TensorBoard event files (TFRecord-framed protobuf `Event`s).
    .target(name: "NASCBoard", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]),
    .target(
      name: "NASCSearch",
      dependencies: [
        "NASCSpace", "NASCTensor", "NASCData", "NASCBoard", .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .target(
      name: "NASCExport",
      dependencies: [
        "NASCSpace", "NASCTensor", "NASCData", "NASCSearch",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      exclude: ["ONNX/Generated/README.md"],
      resources: [.copy("PyTorchSearch/Runtime")]
    ),
    .executableTarget(
      name: "nasc",
      dependencies: [
        "NASCSpace", "NASCTensor", "NASCData", "NASCSearch", "NASCExport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // The fuzz targets (one per parser of user bytes) and their libFuzzer / replay driver
    // (scripts/fuzz builds it with --sanitize=fuzzer).
    .target(name: "NASCFuzzTargets", dependencies: ["NASCSpace", "NASCTensor", "NASCData", "NASCSearch"]),
    .executableTarget(name: "NASCFuzz", dependencies: ["NASCFuzzTargets"]),
    .testTarget(
      name: "NASCTensorTests",
      dependencies: ["NASCTensor", "CNASCCPU", "NASCKernelSupport", "NASCKernelsBaseline", "NASCKernelsX86V3"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "NASCSpaceTests", dependencies: ["NASCSpace", .product(name: "BigInt", package: "BigInt")],
      exclude: ["Golden"]),
    .testTarget(
      name: "NASCSearchTests",
      dependencies: [
        "NASCSearch", "NASCSpace", "NASCTensor", "NASCData", "NASCExport", "NASCFuzzTargets", "NASCBoard",
        .product(name: "BigInt", package: "BigInt"),
      ], exclude: ["Spaces"]),
  ],
  swiftLanguageModes: [.v6]
)
