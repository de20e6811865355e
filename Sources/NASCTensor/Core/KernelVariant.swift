import CNASCCPU
import NASCKernelSupport
import NASCKernelsBaseline
import NASCKernelsX86V3

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A build of the engine's SIMD kernels. A nasc binary holds two (the same code compiled for two
/// instruction sets) and runs one per process, picked before the first kernel call by what the CPU can
/// run: one binary runs on every processor of its architecture, at x86-64-v3 speed where it can.
public enum KernelVariant: String, Sendable, CaseIterable {
  /// Compiled for x86-64-v3 (AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE: Intel since Haswell, AMD since
  /// Excavator / Zen) in release builds on x86-64 Linux.
  case x86_64_v3 = "x86-64-v3"
  /// Compiled for the architecture's baseline (SSE2 on x86-64): runs on any CPU.
  case baseline

  /// The variant a process runs and why, from whether the CPU runs x86-64-v3 code, whether this build
  /// holds x86-64-v3 kernels and the `NASC_KERNELS` environment variable (`baseline` forces the
  /// baseline kernels; unset, empty, `auto` or `x86-64-v3` picks by the CPU, anything else is taken
  /// as `baseline`).
  static func choose(cpuRunsX86V3: Bool, buildHasX86V3: Bool, request: String?) -> (KernelVariant, reason: String) {
    switch request ?? "" {
    case "", "auto", KernelVariant.x86_64_v3.rawValue:
      break
    case "baseline":
      return (.baseline, "NASC_KERNELS=baseline")
    default:
      return (.baseline, "NASC_KERNELS=\(request!) is not auto or baseline")
    }
    if !cpuRunsX86V3 {
      #if arch(x86_64)
        return (.baseline, "the CPU lacks x86-64-v3: AVX2, FMA, BMI2")
      #else
        return (.baseline, "not an x86-64 CPU")
      #endif
    }
    if !buildHasX86V3 {
      return (.baseline, "this build has no x86-64-v3 kernels: a debug build, NASC_PORTABLE=1 or not x86-64 Linux")
    }
    return (.x86_64_v3, "AVX2 + FMA")
  }

  /// This process's choice, made once. The x86-64-v3 build is asked what it was compiled for only on
  /// a CPU that runs it: on any other, no code of that build ever runs.
  static let selected: (variant: KernelVariant, reason: String) = {
    let request = getenv("NASC_KERNELS").map { String(cString: $0) }
    let cpu = nasc_cpu_has_x86_64_v3() != 0
    let build = cpu && NASCKernelsX86V3.Kernels.instructionSet == KernelVariant.x86_64_v3.rawValue
    let (v, why) = choose(cpuRunsX86V3: cpu, buildHasX86V3: build, request: request)
    return (v, why)
  }()

  /// The kernels of this variant.
  var kernels: any TensorKernels.Type {
    switch self {
    case .x86_64_v3: NASCKernelsX86V3.Kernels.self
    case .baseline: NASCKernelsBaseline.Kernels.self
    }
  }
}

/// The kernels every op calls: one process-wide choice, so the same seed and thread count give the
/// same bits on one machine (the two variants may differ in the last bits: FMA rounds once).
nonisolated(unsafe) let kernels: any TensorKernels.Type = KernelVariant.selected.variant.kernels

extension Engine {
  /// The kernel build this process runs (see `KernelVariant`).
  public static var kernels: KernelVariant { KernelVariant.selected.variant }

  /// The kernel build and why it was picked, e.g. `x86-64-v3 (AVX2 + FMA)` or `baseline (the CPU
  /// lacks x86-64-v3: AVX2, FMA, BMI2)`, for version and benchmark output.
  public static var kernelsDescription: String {
    let s = KernelVariant.selected
    return "\(s.variant.rawValue) (\(s.reason))"
  }
}
