import CNASCCPU
import NASCKernelSupport
import NASCKernelsBaseline
import NASCKernelsX86V3
import Testing

@testable import NASCTensor

/// The run-time choice between the two builds of the kernels, and the two builds against each other
/// (in a release build on an x86-64-v3 machine the second is AVX2 + FMA code; elsewhere both are the
/// same code and the comparison only checks the plumbing).
@Suite("Kernel variants")
struct KernelVariantTests {
  static let cpuRunsX86V3 = nasc_cpu_has_x86_64_v3() != 0

  @Test func selection() {
    func pick(_ cpu: Bool, _ build: Bool, _ request: String?) -> KernelVariant {
      KernelVariant.choose(cpuRunsX86V3: cpu, buildHasX86V3: build, request: request).0
    }
    #expect(pick(true, true, nil) == .x86_64_v3)
    #expect(pick(true, true, "") == .x86_64_v3)
    #expect(pick(true, true, "auto") == .x86_64_v3)
    #expect(pick(true, true, "x86-64-v3") == .x86_64_v3)
    #expect(pick(true, true, "baseline") == .baseline)
    #expect(pick(true, true, "avx512") == .baseline)
    #expect(pick(false, true, nil) == .baseline)
    #expect(pick(false, true, "x86-64-v3") == .baseline)
    #expect(pick(true, false, nil) == .baseline)
    #expect(pick(false, false, nil) == .baseline)
    let (_, why) = KernelVariant.choose(cpuRunsX86V3: true, buildHasX86V3: true, request: "baseline")
    #expect(why == "NASC_KERNELS=baseline")
  }

  @Test func thisProcess() {
    if Engine.kernels == .x86_64_v3 {
      #expect(Self.cpuRunsX86V3)
      #expect(NASCKernelsX86V3.Kernels.instructionSet == "x86-64-v3")
    }
    #expect(NASCKernelsBaseline.Kernels.instructionSet == "baseline")
    #expect(Engine.kernelsDescription.hasPrefix(Engine.kernels.rawValue + " ("))
  }

  /// Runs `body` on both builds and compares what it returns elementwise (|a − b| ≤ tol·(1 + |a|):
  /// FMA rounds once where the baseline rounds twice).
  func agree(
    _ what: String, tolerance: Float = 1e-4, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: (any TensorKernels.Type) -> [Float]
  ) {
    let a = body(NASCKernelsBaseline.Kernels.self), b = body(NASCKernelsX86V3.Kernels.self)
    #expect(a.count == b.count, "\(what): lengths", sourceLocation: sourceLocation)
    let worst = zip(a, b).map { abs($0 - $1) / (1 + abs($0)) }.max() ?? 0
    #expect(worst <= tolerance, "\(what): worst relative difference \(worst)", sourceLocation: sourceLocation)
  }

  func random(_ n: Int, _ rng: inout RNG) -> [Float] { (0..<n).map { _ in rng.nextNormal() } }

  func conv(
    n: Int, c: Int, h: Int, w: Int, k: Int, stride: Int, pad: Int, dilation: Int
  ) -> ConvGeometry {
    ConvGeometry(
      x: [n, c, h, w], w: [c, 1, k, k], cfg: Conv2DConfig(stride: stride, padding: pad, dilation: dilation, groups: c))
  }

  @Test(.enabled(if: cpuRunsX86V3)) func depthwise() {
    let cases: [(String, ConvGeometry)] = [
      ("stride1 3x3", conv(n: 2, c: 3, h: 9, w: 13, k: 3, stride: 1, pad: 1, dilation: 1)),
      ("stride1 5x5 d2", conv(n: 2, c: 3, h: 12, w: 21, k: 5, stride: 1, pad: 4, dilation: 2)),
      ("stride2 3x3", conv(n: 2, c: 3, h: 16, w: 16, k: 3, stride: 2, pad: 1, dilation: 1)),
      ("stride2 5x5 d2", conv(n: 2, c: 3, h: 17, w: 33, k: 5, stride: 2, pad: 4, dilation: 2)),
      ("direct 3x3 s3", conv(n: 2, c: 3, h: 11, w: 10, k: 3, stride: 3, pad: 1, dilation: 1)),
    ]
    for (name, g) in cases {
      var rng = RNG(seed: 7)
      let x = random(g.n * g.cin * g.h * g.w, &rng), wt = random(g.cin * g.kh * g.kw, &rng)
      let dy = random(g.n * g.cout * g.oh * g.ow, &rng)
      let kind = DepthwiseKernels.kernel(for: g)
      agree(name) { k in
        var y = [Float](repeating: 0, count: dy.count), dx = [Float](repeating: 0, count: x.count)
        var dw = [Float](repeating: 0, count: wt.count)
        y.withUnsafeMutableBufferPointer { yb in
          dx.withUnsafeMutableBufferPointer { dxb in
            dw.withUnsafeMutableBufferPointer { dwb in
              switch kind {
              case .stride1:
                k.depthwiseStride1Forward(x, wt, into: yb.baseAddress!, g.shape)
                k.depthwiseStride1Backward(x, wt, dy, dx: dxb.baseAddress!, dw: dwb.baseAddress!, g.shape)
              case .stride2:
                k.depthwiseStride2Forward(x, wt, into: yb.baseAddress!, g.shape)
                k.depthwiseStride2Backward(x, wt, dy, dx: dxb.baseAddress!, dw: dwb.baseAddress!, g.shape)
              case .direct:
                k.depthwiseDirectForward(x, wt, into: yb.baseAddress!, g.shape)
                k.depthwiseDirectBackward(x, wt, dy, dx: dxb.baseAddress!, dw: dwb.baseAddress!, g.shape)
              }
            }
          }
        }
        return y + dx + dw
      }
    }
  }

  @Test(.enabled(if: cpuRunsX86V3)) func pooling() {
    let s = PoolShape(planes: 6, h: 11, w: 19, oh: 11, ow: 19, kernel: 3, stride: 1, padding: 1)
    var rng = RNG(seed: 3)
    let x = random(s.planes * s.h * s.w, &rng)
    agree("avg pool stride 1") { k in
      var y = [Float](repeating: 0, count: x.count), dx = [Float](repeating: 0, count: x.count)
      y.withUnsafeMutableBufferPointer { k.avgPoolStride1Forward(x, into: $0.baseAddress!, s) }
      dx.withUnsafeMutableBufferPointer { k.avgPoolStride1Backward(x, into: $0.baseAddress!, s) }
      return y + dx
    }
    agree("max pool stride 1", tolerance: 0) { k in
      var y = [Float](repeating: 0, count: x.count), idx = [Int32](repeating: 0, count: x.count)
      y.withUnsafeMutableBufferPointer { yb in
        idx.withUnsafeMutableBufferPointer {
          k.maxPoolStride1Forward(x, into: yb.baseAddress!, indices: $0.baseAddress!, s)
        }
      }
      return y + idx.map { Float($0) }
    }
  }

  @Test(.enabled(if: cpuRunsX86V3)) func batchNorm() {
    let (n, c, inner) = (4, 3, 37)
    var rng = RNG(seed: 5)
    let x = random(n * c * inner, &rng), g = random(n * c * inner, &rng)
    let gamma = random(c, &rng), beta = random(c, &rng)
    agree("batch norm + ReLU6") { k in
      var mean = [Float](repeating: 0, count: c), variance = [Float](repeating: 0, count: c)
      mean.withUnsafeMutableBufferPointer { m in
        variance.withUnsafeMutableBufferPointer {
          k.batchNormStatistics(x, n: n, c: c, inner: inner, mean: m.baseAddress!, variance: $0.baseAddress!)
        }
      }
      let invStd = variance.map { 1 / ($0 + 1e-5).squareRoot() }
      var y = [Float](repeating: 0, count: x.count), dx = y
      var dgamma = [Float](repeating: 0, count: c), dbeta = dgamma
      y.withUnsafeMutableBufferPointer {
        k.batchNormForward(
          x, into: $0.baseAddress!, n: n, c: c, inner: inner, mean: mean, invStd: invStd, weight: gamma, bias: beta,
          activation: .relu6)
      }
      dx.withUnsafeMutableBufferPointer { dxb in
        dgamma.withUnsafeMutableBufferPointer { dgb in
          dbeta.withUnsafeMutableBufferPointer {
            k.batchNormBackward(
              x, g, dx: dxb.baseAddress!, n: n, c: c, inner: inner, mean: mean, invStd: invStd, weight: gamma,
              bias: beta, training: true, activation: .relu6, dgamma: dgb.baseAddress!, dbeta: $0.baseAddress!)
          }
        }
      }
      return mean + variance + y + dx + dgamma + dbeta
    }
  }

  @Test(.enabled(if: cpuRunsX86V3)) func elementwiseAndOptimizers() {
    let n = 1000
    var rng = RNG(seed: 9)
    let a = random(n, &rng), b = random(n, &rng), c = random(n, &rng), w = [Float(0.3), 0, -1.2]
    agree("map, zip, add, dot, weighted sum, plane sums") { k in
      var s = [Float](repeating: 0, count: n), t = s, u = a, v = s, sums = [Float](repeating: 0, count: 8)
      s.withUnsafeMutableBufferPointer { k.map(.sigmoid, a, into: $0.baseAddress!, count: n) }
      t.withUnsafeMutableBufferPointer { k.zip(.tanhGrad, a, b, into: $0.baseAddress!, count: n) }
      u.withUnsafeMutableBufferPointer { k.add(b, scaledBy: 0.7, into: $0.baseAddress!, count: n) }
      let dot = k.dot(a, b, count: n)
      let abc = a + b + c
      var ga = s
      let dw = abc.withUnsafeBufferPointer { p -> [Float] in
        let sources = [p.baseAddress!, p.baseAddress! + n, p.baseAddress! + 2 * n]
        v.withUnsafeMutableBufferPointer { k.weightedSum(sources, weights: w, into: $0.baseAddress!, count: n) }
        return ga.withUnsafeMutableBufferPointer {
          k.weightedSumBackward(
            a, sources: sources, weights: w, into: [$0.baseAddress!, nil, nil], needW: true, count: n)
        }
      }
      sums.withUnsafeMutableBufferPointer {
        k.planeSums(a, times: b, sign: -1, into: $0.baseAddress!, planes: 8, hw: 125)
      }
      return s + t + u + [dot] + v + ga + dw + sums
    }
    agree("SGD, Adam, RMSProp steps") { k in
      var w1 = a, w2 = a, w3 = a, buf = c, m = b.map { $0 * 0.1 }, sq = c.map { $0 * $0 }, mom = b
      var v = sq
      w1.withUnsafeMutableBufferPointer { wb in
        buf.withUnsafeMutableBufferPointer {
          k.sgdStep(
            wb.baseAddress!, grad: b, buffer: $0.baseAddress!, count: n, learningRate: 0.1, momentum: 0.9,
            dampening: 0, weightDecay: 3e-4, nesterov: true, first: false)
        }
      }
      w2.withUnsafeMutableBufferPointer { wb in
        m.withUnsafeMutableBufferPointer { mb in
          v.withUnsafeMutableBufferPointer {
            k.adamStep(
              wb.baseAddress!, grad: b, m: mb.baseAddress!, v: $0.baseAddress!, count: n, stepSize: 3e-4, beta1: 0.5,
              beta2: 0.999, eps: 1e-8, weightDecay: 1e-3, bc2Sqrt: 0.1)
          }
        }
      }
      w3.withUnsafeMutableBufferPointer { wb in
        sq.withUnsafeMutableBufferPointer { sb in
          mom.withUnsafeMutableBufferPointer {
            k.rmspropStep(
              wb.baseAddress!, grad: b, squares: sb.baseAddress!, buffer: $0.baseAddress!, count: n,
              learningRate: 0.01, alpha: 0.9, eps: 1e-3, weightDecay: 1e-5, momentum: 0.9)
          }
        }
      }
      return w1 + buf + w2 + m + v + w3 + sq + mom
    }
  }
}
