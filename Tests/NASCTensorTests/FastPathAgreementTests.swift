import Testing

@testable import NASCTensor

/// The SIMD fast paths (stride 1, stride 2 through stride 1) against the plain direct kernels, on
/// random geometries.
@Suite("Depthwise and pooling fast paths agree with the direct kernels")
struct FastPathAgreementTests {
  func maxDifference(_ a: Tensor?, _ b: Tensor?) -> Float {
    guard let a, let b else { return a == nil && b == nil ? 0 : .infinity }
    guard a.shape == b.shape else { return .infinity }
    return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
  }

  @Test func randomGeometries() {
    var rng = RNG(seed: 2024)
    var checked = 0
    for _ in 0..<60 {
      let k = [1, 2, 3, 5, 7][rng.nextInt(below: 5)]
      let kw = rng.nextInt(below: 4) == 0 ? [1, 3, 5][rng.nextInt(below: 3)] : k
      let d = 1 + rng.nextInt(below: 2), s = 1 + rng.nextInt(below: 2)
      let ph = rng.nextInt(below: d * (k - 1) + 1), pw = rng.nextInt(below: d * (kw - 1) + 1)
      let c = 1 + rng.nextInt(below: 4) + 1, n = 1 + rng.nextInt(below: 2)
      let h = d * (k - 1) + 1 + rng.nextInt(below: 12), w = d * (kw - 1) + 1 + rng.nextInt(below: 20)
      let cfg = Conv2DConfig(
        strideH: s, strideW: s, padH: ph, padW: pw, dilationH: d, dilationW: d, groups: c)
      let g = ConvGeometry(x: [n, c, h, w], w: [c, 1, k, kw], cfg: cfg)
      guard g.isDepthwise else { continue }
      let x = Tensor.randn([n, c, h, w], rng: &rng), wt = Tensor.randn([c, 1, k, kw], rng: &rng)
      let dy = Tensor.randn([n, c, g.oh, g.ow], rng: &rng)
      let fast = DepthwiseKernels.bestForward(x, wt, g), direct = DepthwiseKernels.forward(x, wt, g)
      let (fdx, fdw) = DepthwiseKernels.bestBackward(x, wt, dy, g, needX: true, needW: true)
      let (ddx, ddw) = DepthwiseKernels.backward(x, wt, dy, g, needX: true, needW: true)
      let what = "k \(k)×\(kw) s\(s) d\(d) p(\(ph),\(pw)) \(n)×\(c)×\(h)×\(w)"
      #expect(maxDifference(fast, direct) < 1e-4, "forward \(what)")
      #expect(maxDifference(fdx, ddx) < 1e-4, "dx \(what)")
      #expect(maxDifference(fdw, ddw) < 1e-3, "dw \(what)")
      checked += 1
    }
    #expect(checked > 40)
  }

  @Test(arguments: [(5, 2, 1, 37), (7, 3, 1, 45), (3, 1, 1, 40), (5, 4, 2, 33)])
  func wideRows(_ c: (Int, Int, Int, Int)) {
    let (k, p, d, w) = c
    var rng = RNG(seed: UInt64(k * 100 + w))
    let cfg = Conv2DConfig(stride: 1, padding: p, dilation: d, groups: 3)
    let g = ConvGeometry(x: [2, 3, 6, w], w: [3, 1, k, k], cfg: cfg)
    let x = Tensor.randn([2, 3, 6, w], rng: &rng), wt = Tensor.randn([3, 1, k, k], rng: &rng)
    let dy = Tensor.randn([2, 3, g.oh, g.ow], rng: &rng)
    #expect(maxDifference(DepthwiseKernels.bestForward(x, wt, g), DepthwiseKernels.forward(x, wt, g)) < 1e-4)
    let (fdx, fdw) = DepthwiseKernels.bestBackward(x, wt, dy, g, needX: true, needW: true)
    let (ddx, ddw) = DepthwiseKernels.backward(x, wt, dy, g, needX: true, needW: true)
    #expect(maxDifference(fdx, ddx) < 1e-4)
    #expect(maxDifference(fdw, ddw) < 1e-3)
  }

  @Test func randomPoolingGeometries() {
    var rng = RNG(seed: 77)
    for _ in 0..<40 {
      let k = 1 + rng.nextInt(below: 5), s = 1 + rng.nextInt(below: 2), p = rng.nextInt(below: k / 2 + 1)
      let h = k + rng.nextInt(below: 10), w = k + rng.nextInt(below: 19)
      let cfg = Pool2DConfig(kernel: k, stride: s, padding: p)
      // Distinct values: max pooling has a unique winner, so the indices must agree exactly.
      var v = (0..<(2 * 3 * h * w)).map { Float($0) }
      rng.shuffle(&v)
      let x = Tensor(shape: [2, 3, h, w], scalars: v)
      let count = 2 * 3 * cfg.outSize(h) * cfg.outSize(w)
      var fastIdx = [Int32](repeating: -1, count: count), directIdx = [Int32](repeating: -2, count: count)
      let fast = fastIdx.withUnsafeMutableBufferPointer {
        PoolKernels.maxForward(x, cfg, indices: $0.baseAddress!)
      }
      let direct = directIdx.withUnsafeMutableBufferPointer {
        PoolKernels.maxDirect(x, cfg, indices: $0.baseAddress!)
      }
      let what = "k\(k) s\(s) p\(p) \(h)×\(w)"
      #expect(fast.scalars == direct.scalars, "max \(what)")
      #expect(fastIdx == directIdx, "argmax \(what)")
      #expect(
        maxDifference(PoolKernels.avgForward(x, cfg), PoolKernels.avgDirect(x, cfg)) < 1e-3, "avg \(what)")
      let g = Tensor.randn(fast.shape, rng: &rng)
      let inShape = [2, 3, h, w]
      #expect(
        maxDifference(
          PoolGrad.avgPool(g, inShape: inShape, cfg), PoolGrad.avgPoolDirect(g, inShape: inShape, cfg))
          < 1e-5, "avg backward \(what)")
    }
  }
}
