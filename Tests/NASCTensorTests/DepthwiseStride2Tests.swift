import Testing

@testable import NASCTensor

/// The stride-2 depthwise kernels (DARTS reduction edges) against the scalar direct kernels and
/// against the stride-1-then-subsample path they replace, plus finite differences through `conv2d`.
@Suite("Stride-2 depthwise kernels")
struct DepthwiseStride2Tests {
  func maxDifference(_ a: Tensor?, _ b: Tensor?) -> Float {
    guard let a, let b else { return a == nil && b == nil ? 0 : .infinity }
    guard a.shape == b.shape else { return .infinity }
    return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
  }

  /// Forward, dx and dw of `DepthwiseStride2` against the direct kernels, and against stride 1 then
  /// subsampling where that path applies; the dx-only and dw-only backward give the same bits.
  func agree(
    n: Int, c: Int, h: Int, w: Int, k: Int, strideH: Int = 2, pad: Int, dilation: Int, seed: UInt64,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let cfg = Conv2DConfig(
      strideH: strideH, strideW: 2, padH: pad, padW: pad, dilationH: dilation, dilationW: dilation,
      groups: c)
    let g = ConvGeometry(x: [n, c, h, w], w: [c, 1, k, k], cfg: cfg)
    #expect(DepthwiseStride2.applies(g), sourceLocation: sourceLocation)
    var rng = RNG(seed: seed)
    let x = Tensor.randn([n, c, h, w], rng: &rng), wt = Tensor.randn([c, 1, k, k], rng: &rng)
    let dy = Tensor.randn([n, c, g.oh, g.ow], rng: &rng)
    let what = "k\(k) s(\(strideH),2) d\(dilation) p\(pad) \(n)×\(c)×\(h)×\(w)"
    let y = DepthwiseStride2.forward(x, wt, g)
    let (dx, dw) = DepthwiseStride2.backward(x, wt, dy, g, needX: true, needW: true)
    let (ddx, ddw) = DepthwiseKernels.backward(x, wt, dy, g, needX: true, needW: true)
    #expect(
      maxDifference(y, DepthwiseKernels.forward(x, wt, g)) < 1e-4, "forward vs direct \(what)",
      sourceLocation: sourceLocation)
    #expect(maxDifference(dx, ddx) < 1e-4, "dx vs direct \(what)", sourceLocation: sourceLocation)
    #expect(maxDifference(dw, ddw) < 1e-3, "dw vs direct \(what)", sourceLocation: sourceLocation)
    if StridedViaStride1.applies(g) {
      let (sdx, sdw) = StridedViaStride1.depthwiseBackward(x, wt, dy, g, needX: true, needW: true)
      #expect(
        maxDifference(y, StridedViaStride1.depthwiseForward(x, wt, g)) < 1e-4,
        "forward vs subsample \(what)", sourceLocation: sourceLocation)
      #expect(maxDifference(dx, sdx) < 1e-4, "dx vs subsample \(what)", sourceLocation: sourceLocation)
      #expect(maxDifference(dw, sdw) < 1e-3, "dw vs subsample \(what)", sourceLocation: sourceLocation)
    }
    let (onlyX, noW) = DepthwiseStride2.backward(x, wt, dy, g, needX: true, needW: false)
    let (noX, onlyW) = DepthwiseStride2.backward(x, wt, dy, g, needX: false, needW: true)
    #expect(noW == nil && noX == nil, sourceLocation: sourceLocation)
    #expect(onlyX?.scalars == dx?.scalars, "dx alone \(what)", sourceLocation: sourceLocation)
    #expect(onlyW?.scalars == dw?.scalars, "dw alone \(what)", sourceLocation: sourceLocation)
  }

  /// Every kernel 3/5 × dilation 1/2 × padding 0/1/2/4, on odd and even sizes (including rows
  /// wider than one or two 8-wide output blocks), batch 1–3, channels 1–5.
  @Test(arguments: [3, 5], [1, 2])
  func grid(_ k: Int, _ d: Int) {
    let reach = d * (k - 1) + 1
    var seed: UInt64 = UInt64(k * 10 + d)
    for pad in [0, 1, 2, 4] {
      for (i, (dh, dw)) in [(0, 0), (1, 2), (4, 7), (2, 19), (7, 34), (12, 1)].enumerated() {
        seed += 1
        let n = 1 + i % 3, c = 1 + (i + pad) % 5
        agree(n: n, c: c, h: reach + dh, w: reach + dw, k: k, pad: pad, dilation: d, seed: seed)
      }
    }
  }

  /// Random geometries, including row stride 1 with column stride 2 and other kernel sizes.
  @Test func randomGeometries() {
    var rng = RNG(seed: 515)
    for _ in 0..<40 {
      let k = [1, 2, 3, 5, 7][rng.nextInt(below: 5)], d = 1 + rng.nextInt(below: 2)
      let sh = 1 + rng.nextInt(below: 2), pad = rng.nextInt(below: 5)
      let reach = d * (k - 1) + 1
      agree(
        n: 1 + rng.nextInt(below: 3), c: 1 + rng.nextInt(below: 5), h: reach + rng.nextInt(below: 10),
        w: reach + rng.nextInt(below: 40), k: k, strideH: sh, pad: pad, dilation: d,
        seed: UInt64(rng.nextInt(below: 1 << 30)))
    }
  }

  /// The four DARTS reduction-edge first convs at both reduction-cell shapes (batch 2): the
  /// dispatcher picks the stride-2 kernel, which agrees with the subsample path it replaces.
  @Test(arguments: [(16, 32), (32, 16)])
  func dartsReductionShapes(_ shape: (Int, Int)) {
    let (c, h) = shape
    for (k, pad, d) in [(3, 1, 1), (5, 2, 1), (3, 2, 2), (5, 4, 2)] {
      let g = ConvGeometry(
        x: [2, c, h, h], w: [c, 1, k, k], cfg: Conv2DConfig(stride: 2, padding: pad, dilation: d, groups: c))
      #expect(DepthwiseKernels.kernel(for: g) == .stride2)
      #expect(g.oh == h / 2 && g.ow == h / 2)
      agree(n: 2, c: c, h: h, w: h, k: k, pad: pad, dilation: d, seed: UInt64(c + k + d))
    }
  }

  /// The same inputs give the same bits (the weight gradient sums chunk partials in chunk order).
  @Test func deterministic() {
    let cfg = Conv2DConfig(stride: 2, padding: 2, dilation: 1, groups: 8)
    let g = ConvGeometry(x: [6, 8, 15, 21], w: [8, 1, 5, 5], cfg: cfg)
    var rng = RNG(seed: 9)
    let x = Tensor.randn([6, 8, 15, 21], rng: &rng), wt = Tensor.randn([8, 1, 5, 5], rng: &rng)
    let dy = Tensor.randn([6, 8, g.oh, g.ow], rng: &rng)
    let (dx1, dw1) = DepthwiseStride2.backward(x, wt, dy, g, needX: true, needW: true)
    let (dx2, dw2) = DepthwiseStride2.backward(x, wt, dy, g, needX: true, needW: true)
    #expect(DepthwiseStride2.forward(x, wt, g).scalars == DepthwiseStride2.forward(x, wt, g).scalars)
    #expect(dx1?.scalars == dx2?.scalars)
    #expect(dw1?.scalars == dw2?.scalars)
  }

  /// Finite differences through `conv2d` (which dispatches to the stride-2 kernel).
  @Test(arguments: [
    // (k, pad, dilation, strideH, h, w)
    (3, 1, 1, 2, 7, 9),  // sep_conv_3x3 reduction, odd sizes
    (5, 2, 1, 2, 8, 11),  // sep_conv_5x5
    (3, 2, 2, 2, 9, 8),  // dil_conv_3x3
    (5, 4, 2, 2, 9, 10),  // dil_conv_5x5
    (3, 0, 1, 2, 6, 7),  // no padding
    (3, 1, 1, 1, 5, 18),  // row stride 1, column stride 2, two output blocks
  ])
  func finiteDifferences(_ c: (Int, Int, Int, Int, Int, Int)) {
    let (k, p, d, sh, h, w) = c
    let cfg = Conv2DConfig(
      strideH: sh, strideW: 2, padH: p, padW: p, dilationH: d, dilationW: d, groups: 3)
    let x = randn([2, 3, h, w], seed: 31)
    let wt = randn([3, 1, k, k], seed: 32, scale: 0.5)
    #expect(DepthwiseKernels.kernel(for: ConvGeometry(x: x.shape, w: wt.shape, cfg: cfg)) == .stride2)
    checkGradients([x, wt]) { conv2d($0[0], weight: $0[1], config: cfg) }
  }
}
