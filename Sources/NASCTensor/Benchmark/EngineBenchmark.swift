import Dispatch
import NASCKernelSupport

/// One measured kernel in `EngineBenchmark`.
public struct EngineBenchmarkRow: Sendable {
  /// Kernel family: "conv1x1", "conv3x3", "dw3x3", "dw5x5", "dw3x3_d2", "dw5x5_d2".
  public var kernel: String
  /// Channels C (input = output).
  public var channels: Int
  /// Spatial size H = W.
  public var size: Int
  /// Batch size.
  public var batch: Int
  /// Best forward + backward time in milliseconds (data and weight gradients).
  public var milliseconds: Double
  /// Useful floating-point operations per second (forward + backward), in GFLOPS.
  public var gflops: Double
  /// `gflops` as a fraction of the same-run 1024³ sgemm.
  public var fractionOfGemm: Double
  /// For depthwise kernels: the minimum-traffic time (5 tensors of the activation size, at triad
  /// bandwidth) divided by the measured time; nil for GEMM-based kernels.
  public var fractionOfBandwidth: Double?
}

/// One stride-2 depthwise shape in `EngineBenchmark`: the stride-2 kernel against computing at full
/// resolution with the stride-1 kernel and subsampling, timed alternately in the same run.
public struct EngineStridedRow: Sendable {
  /// Kernel family: "dw3x3", "dw5x5", "dw3x3_d2", "dw5x5_d2" (the DARTS reduction-edge first convs).
  public var kernel: String
  /// Channels C (input = output).
  public var channels: Int
  /// Input size H = W (the output is H/2 × W/2).
  public var size: Int
  /// Batch size.
  public var batch: Int
  /// Best forward + backward (data and weight gradients) of the stride-2 kernel, in milliseconds.
  public var milliseconds: Double
  /// Best forward + backward of stride 1 then subsampling, in milliseconds.
  public var baselineMilliseconds: Double
  /// `baselineMilliseconds / milliseconds`.
  public var speedup: Double { baselineMilliseconds / milliseconds }
}

/// The results of `EngineBenchmark.run`.
public struct EngineBenchmarkReport: Sendable {
  /// Worker threads used.
  public var threads: Int
  /// 1024×1024×1024 sgemm throughput (GFLOPS), same thread count.
  public var gemmGFLOPS: Double
  /// STREAM-style triad bandwidth a = b + s·c (GB/s), same thread count.
  public var triadGBps: Double
  /// Forward + tape + backward time per one-element op, in microseconds.
  public var overheadMicrosPerOp: Double
  /// One row per kernel and shape.
  public var rows: [EngineBenchmarkRow]
  /// Forward + backward of one DARTS mixed edge (8 candidates) at batch 64, C = 16, 32×32, in ms.
  public var mixedEdgeMilliseconds: Double
  /// Stride-2 depthwise kernels at the DARTS reduction-cell shapes.
  public var stridedRows: [EngineStridedRow]
}

/// Kernel throughput against the machine's own GEMM and memory bandwidth, for the shapes of a DARTS
/// search supernet (batch 64; C = 16, 32, 64 at 32×32, 16×16, 8×8).
public enum EngineBenchmark {
  /// The (C, H) pairs of the DARTS search supernet stages.
  public static let dartsShapes: [(channels: Int, size: Int)] = [(16, 32), (32, 16), (64, 8), (64, 32)]

  /// The (C, H) inputs of the DARTS search supernet's two reduction cells.
  public static let reductionShapes: [(channels: Int, size: Int)] = [(16, 32), (32, 16)]

  /// Runs every measurement with `threads` workers (only the stride-2 rows when `stridedOnly`);
  /// `progress` receives a line per finished item.
  public static func run(
    threads: Int, batch: Int = 64, repeats: Int = 5, stridedOnly: Bool = false,
    progress: (String) -> Void = { _ in }
  ) -> EngineBenchmarkReport {
    let saved = Engine.threads
    Engine.threads = threads
    defer { Engine.threads = saved }
    let strided = measureStrided(batch: batch, repeats: repeats, progress: progress)
    if stridedOnly {
      return EngineBenchmarkReport(
        threads: threads, gemmGFLOPS: 0, triadGBps: 0, overheadMicrosPerOp: 0, rows: [],
        mixedEdgeMilliseconds: 0, stridedRows: strided)
    }
    let gemm = measureGemm(repeats: repeats)
    progress("sgemm 1024³: \(format(gemm)) GFLOPS")
    let triad = measureTriad(repeats: repeats)
    progress("triad: \(format(triad)) GB/s")
    let overhead = measureOverhead()
    progress("overhead per op: \(format(overhead)) µs")
    var rows: [EngineBenchmarkRow] = []
    let kernels: [(String, Int, Int, Int, Bool)] = [
      // name, kernel, padding, dilation, depthwise
      ("conv1x1", 1, 0, 1, false), ("conv3x3", 3, 1, 1, false),
      ("dw3x3", 3, 1, 1, true), ("dw5x5", 5, 2, 1, true),
      ("dw3x3_d2", 3, 2, 2, true), ("dw5x5_d2", 5, 4, 2, true),
    ]
    for (c, h) in dartsShapes {
      for (name, k, pad, dil, dw) in kernels {
        var rng = RNG(seed: 1)
        let x = Parameter(.randn([batch, c, h, h], rng: &rng))
        let w = Parameter(.randn([c, dw ? 1 : c, k, k], std: 0.1, rng: &rng))
        let groups = dw ? c : 1
        let seed = Tensor.ones([batch, c, h, h])
        let t = bestTime(repeats: repeats) {
          let y = conv2d(x.value, weight: w.value, stride: 1, padding: pad, dilation: dil, groups: groups)
          y.backward(seed: seed)
          x.zeroGrad()
          w.zeroGrad()
        }
        let macs = Double(batch * c * h * h) * Double(k * k) * Double(dw ? 1 : c)
        let gflops = 3 * 2 * macs / t / 1e9
        var bw: Double? = nil
        if dw {
          let bytes = 5 * Double(batch * c * h * h) * 4
          bw = bytes / (triad * 1e9) / t
        }
        let row = EngineBenchmarkRow(
          kernel: name, channels: c, size: h, batch: batch, milliseconds: t * 1e3,
          gflops: gflops, fractionOfGemm: gflops / gemm, fractionOfBandwidth: bw)
        rows.append(row)
        progress("\(name) C=\(c) \(h)×\(h): \(format(t * 1e3)) ms")
      }
    }
    let edge = DartsMixedEdge.measure(batch: batch, repeats: repeats)
    progress("DARTS mixed edge: \(format(edge)) ms")
    return EngineBenchmarkReport(
      threads: threads, gemmGFLOPS: gemm, triadGBps: triad,
      overheadMicrosPerOp: overhead, rows: rows, mixedEdgeMilliseconds: edge, stridedRows: strided)
  }

  /// The stride-2 depthwise kernel against stride 1 then subsampling, forward + both gradients, at
  /// the reduction-cell shapes; the two are timed alternately so that load changes hit both.
  static func measureStrided(batch: Int, repeats: Int, progress: (String) -> Void) -> [EngineStridedRow] {
    let kernels: [(String, Int, Int, Int)] = [
      // name, kernel, padding, dilation
      ("dw3x3", 3, 1, 1), ("dw5x5", 5, 2, 1), ("dw3x3_d2", 3, 2, 2), ("dw5x5_d2", 5, 4, 2),
    ]
    var rows: [EngineStridedRow] = []
    for (c, h) in reductionShapes {
      for (name, k, pad, dil) in kernels {
        var rng = RNG(seed: 3)
        let cfg = Conv2DConfig(stride: 2, padding: pad, dilation: dil, groups: c)
        let g = ConvGeometry(x: [batch, c, h, h], w: [c, 1, k, k], cfg: cfg)
        let x = Tensor.randn([batch, c, h, h], rng: &rng)
        let w = Tensor.randn([c, 1, k, k], std: 0.1, rng: &rng)
        let dy = Tensor.randn([batch, c, g.oh, g.ow], rng: &rng)
        let (t, base) = bestTimes(
          repeats: repeats,
          {
            _ = DepthwiseStride2.forward(x, w, g)
            _ = DepthwiseStride2.backward(x, w, dy, g, needX: true, needW: true)
          },
          {
            _ = StridedViaStride1.depthwiseForward(x, w, g)
            _ = StridedViaStride1.depthwiseBackward(x, w, dy, g, needX: true, needW: true)
          })
        let row = EngineStridedRow(
          kernel: name, channels: c, size: h, batch: batch, milliseconds: t * 1e3,
          baselineMilliseconds: base * 1e3)
        rows.append(row)
        progress(
          "\(name) stride 2 C=\(c) \(h)×\(h): \(format(t * 1e3)) ms, via stride 1: "
            + "\(format(base * 1e3)) ms (\(format(row.speedup))×)")
      }
    }
    return rows
  }

  /// Seconds of the fastest of `repeats` runs of `body` (after one warm-up run).
  static func bestTime(repeats: Int, _ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    for _ in 0..<max(repeats, 1) {
      let t0 = DispatchTime.now().uptimeNanoseconds
      body()
      best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9)
    }
    return best
  }

  /// The fastest of `repeats` runs of `a` and of `b`, run alternately (after one warm-up each).
  static func bestTimes(repeats: Int, _ a: () -> Void, _ b: () -> Void) -> (Double, Double) {
    a()
    b()
    var best = (Double.infinity, Double.infinity)
    for _ in 0..<max(repeats, 1) {
      let t0 = DispatchTime.now().uptimeNanoseconds
      a()
      let t1 = DispatchTime.now().uptimeNanoseconds
      b()
      let t2 = DispatchTime.now().uptimeNanoseconds
      best.0 = min(best.0, Double(t1 - t0) * 1e-9)
      best.1 = min(best.1, Double(t2 - t1) * 1e-9)
    }
    return best
  }

  static func measureGemm(repeats: Int) -> Double {
    let n = 1024
    var rng = RNG(seed: 2)
    let a = Tensor.randn([n, n], rng: &rng), b = Tensor.randn([n, n], rng: &rng)
    let c = Tensor.zeros([n, n])
    let t = bestTime(repeats: repeats) {
      BLAS.parallelGemm(
        transA: false, transB: false, m: n, n: n, k: n, a: a.storage.pointer, lda: n,
        b: b.storage.pointer, ldb: n, beta: 0, c: c.storage.pointer, ldc: n)
    }
    return 2 * Double(n * n * n) / t / 1e9
  }

  static func measureTriad(repeats: Int) -> Double {
    let n = 1 << 24
    let a = Tensor.zeros([n]), b = Tensor.ones([n]), c = Tensor(repeating: 2, shape: [n])
    let ap = SendablePointer(a.storage.pointer), bp = SendablePointer(b.storage.pointer)
    let cp = SendablePointer(c.storage.pointer)
    let s: Float = 3
    let t = bestTime(repeats: repeats) {
      parallelChunks(n) { _, r in
        let a = ap.p, b = bp.p, c = cp.p
        for i in r { a[i] = b[i] + s * c[i] }
      }
    }
    return 3 * 4 * Double(n) / t / 1e9
  }

  /// Forward, tape and backward of 10,000 one-element ops (a mix of binary, unary and scalar ops),
  /// divided by 10,000, in microseconds.
  static func measureOverhead(ops: Int = 10_000) -> Double {
    let p = Parameter(Tensor([0.5]))
    let t = bestTime(repeats: 5) {
      var y = p.value
      for i in 0..<(ops / 4) {
        y = y * p.value
        y = y + p.value
        y = y.tanh()
        y = y * (i % 2 == 0 ? 1.01 : 0.99)
      }
      y.backward()
      p.zeroGrad()
    }
    return t / Double(ops) * 1e6
  }

  static func format(_ v: Double) -> String {
    let r = (v * 100).rounded() / 100
    return String(r)
  }
}
