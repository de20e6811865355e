import NASCKernelSupport

/// Stride-2 poolings (DARTS reduction edges) computed with the stride-1 SIMD kernels followed by
/// subsampling: four times the arithmetic, but several times faster than a scalar strided loop.
/// Backward scatters the gradient into a zero full-resolution map and reuses the stride-1 backward
/// (subsampling's transpose). Strided depthwise convs run on `DepthwiseStride2`; the depthwise
/// functions here are its reference and the baseline of `nasc bench engine`.
enum StridedViaStride1 {
  /// Every `s`-th row and column of each plane, `oh × ow` of them.
  static func subsample(_ t: Tensor, _ sh: Int, _ sw: Int, oh: Int, ow: Int) -> Tensor {
    let (n, c, h, w) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
    let y = Tensor(uninitializedShape: [n, c, oh, ow])
    kernels.subsample(
      t.storage.pointer, into: y.storage.pointer, planes: n * c, h: h, w: w, sh: sh, sw: sw, oh: oh, ow: ow)
    return y
  }

  /// The transpose of `subsample`: `t` placed at every `s`-th position of an `h × w` zero map.
  static func upsample(_ t: Tensor, _ sh: Int, _ sw: Int, h: Int, w: Int) -> Tensor {
    let (n, c, oh, ow) = (t.shape[0], t.shape[1], t.shape[2], t.shape[3])
    let y = Tensor(uninitializedShape: [n, c, h, w])
    kernels.upsample(
      t.storage.pointer, into: y.storage.pointer, planes: n * c, oh: oh, ow: ow, sh: sh, sw: sw, h: h, w: w)
    return y
  }

  // MARK: Depthwise

  static func unitStride(_ g: ConvGeometry) -> ConvGeometry {
    var cfg = g.cfg
    cfg.strideH = 1
    cfg.strideW = 1
    return ConvGeometry(x: [g.n, g.cin, g.h, g.w], w: [g.cout, 1, g.kh, g.kw], cfg: cfg)
  }

  /// Whether a strided depthwise conv can be computed this way (stride ≤ 2 and the stride-1 kernel
  /// applies).
  static func applies(_ g: ConvGeometry) -> Bool {
    g.cfg.strideH <= 2 && g.cfg.strideW <= 2 && (g.cfg.strideH > 1 || g.cfg.strideW > 1)
      && DepthwiseStride1.applies(unitStride(g))
  }

  static func depthwiseForward(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry) -> Tensor {
    let full = DepthwiseStride1.forward(x, w, unitStride(g))
    return subsample(full, g.cfg.strideH, g.cfg.strideW, oh: g.oh, ow: g.ow)
  }

  static func depthwiseBackward(
    _ x: Tensor, _ w: Tensor, _ dy: Tensor, _ g: ConvGeometry, needX: Bool, needW: Bool
  ) -> (Tensor?, Tensor?) {
    let g1 = unitStride(g)
    let full = upsample(dy, g.cfg.strideH, g.cfg.strideW, h: g1.oh, w: g1.ow)
    return DepthwiseStride1.backward(x, w, full, g1, needX: needX, needW: needW)
  }

  // MARK: Pooling

  static func poolApplies(_ cfg: Pool2DConfig) -> Bool {
    cfg.stride == 2
      && PoolingStride1.applies(Pool2DConfig(kernel: cfg.kernel, stride: 1, padding: cfg.padding))
  }

  static func unitStride(_ cfg: Pool2DConfig) -> Pool2DConfig {
    Pool2DConfig(kernel: cfg.kernel, stride: 1, padding: cfg.padding)
  }

  static func avgPoolForward(_ x: Tensor, _ cfg: Pool2DConfig, oh: Int, ow: Int) -> Tensor {
    subsample(PoolingStride1.avgForward(x, unitStride(cfg)), cfg.stride, cfg.stride, oh: oh, ow: ow)
  }

  static func avgPoolBackward(_ g: Tensor, inShape: [Int], _ cfg: Pool2DConfig) -> Tensor {
    let c1 = unitStride(cfg)
    let h1 = inShape[2] + 2 * cfg.padding - cfg.kernel + 1, w1 = inShape[3] + 2 * cfg.padding - cfg.kernel + 1
    return PoolingStride1.avgBackward(upsample(g, cfg.stride, cfg.stride, h: h1, w: w1), inShape: inShape, c1)
  }

  /// Max pooling with the winning indices subsampled alongside the values.
  static func maxPoolForward(
    _ x: Tensor, _ cfg: Pool2DConfig, oh: Int, ow: Int, indices: UnsafeMutablePointer<Int32>?
  ) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let h1 = h + 2 * cfg.padding - cfg.kernel + 1, w1 = w + 2 * cfg.padding - cfg.kernel + 1
    guard let indices else {
      return subsample(
        PoolingStride1.maxForward(x, unitStride(cfg), indices: nil), cfg.stride, cfg.stride, oh: oh, ow: ow)
    }
    let fullStorage = TensorStorage(uninitializedCount: n * c * h1 * w1)  // pooled, 4 bytes per index
    let full = UnsafeMutableRawPointer(fullStorage.pointer).bindMemory(
      to: Int32.self, capacity: fullStorage.count)
    let y1 = PoolingStride1.maxForward(x, unitStride(cfg), indices: full)
    let s = cfg.stride
    kernels.subsampleIndices(full, into: indices, planes: n * c, h: h1, w: w1, sh: s, sw: s, oh: oh, ow: ow)
    withExtendedLifetime(fullStorage) {}  // `full` points into it until here
    return subsample(y1, s, s, oh: oh, ow: ow)
  }
}

extension StridedViaStride1 {
  /// Whether a dense conv is a strided 1×1 without padding (FactorizedReduce): subsample, then the
  /// batched pointwise GEMM path.
  static func pointwiseApplies(_ g: ConvGeometry) -> Bool {
    g.kh == 1 && g.kw == 1 && g.cfg.padH == 0 && g.cfg.padW == 0 && g.cfg.groups == 1
      && (g.cfg.strideH > 1 || g.cfg.strideW > 1)
  }

  static func pointwiseGeometry(_ g: ConvGeometry) -> ConvGeometry {
    ConvGeometry(x: [g.n, g.cin, g.oh, g.ow], w: [g.cout, g.cin, 1, 1], cfg: Conv2DConfig())
  }

  static func pointwiseForward(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry) -> Tensor {
    let xs = subsample(x, g.cfg.strideH, g.cfg.strideW, oh: g.oh, ow: g.ow)
    return DenseConvKernels.forward(xs, w, pointwiseGeometry(g))
  }

  static func pointwiseBackward(
    _ x: Tensor, _ w: Tensor, _ dy: Tensor, _ g: ConvGeometry, needX: Bool, needW: Bool
  ) -> (Tensor?, Tensor?) {
    let xs = subsample(x, g.cfg.strideH, g.cfg.strideW, oh: g.oh, ow: g.ow)
    let (dxs, dw) = DenseConvKernels.backward(xs, w, dy, pointwiseGeometry(g), needX: needX, needW: needW)
    return (dxs.map { upsample($0, g.cfg.strideH, g.cfg.strideW, h: g.h, w: g.w) }, dw)
  }
}
