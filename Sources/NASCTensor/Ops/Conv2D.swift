import NASCKernelSupport

/// Stride, padding, dilation and groups of a 2-D convolution (height and width may differ).
public struct Conv2DConfig: Hashable, Sendable {
  /// Stride along H.
  public var strideH: Int
  /// Stride along W.
  public var strideW: Int
  /// Zero padding along H (both sides).
  public var padH: Int
  /// Zero padding along W (both sides).
  public var padW: Int
  /// Dilation along H.
  public var dilationH: Int
  /// Dilation along W.
  public var dilationW: Int
  /// Number of channel groups (1 = dense, C = depthwise).
  public var groups: Int

  /// A square configuration.
  public init(stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1) {
    self.init(
      strideH: stride, strideW: stride, padH: padding, padW: padding,
      dilationH: dilation, dilationW: dilation, groups: groups)
  }

  /// A configuration with separate H and W values (e.g. the 1×7 / 7×1 convs).
  public init(
    strideH: Int, strideW: Int, padH: Int, padW: Int, dilationH: Int = 1, dilationW: Int = 1,
    groups: Int = 1
  ) {
    precondition(
      strideH >= 1 && strideW >= 1 && dilationH >= 1 && dilationW >= 1 && groups >= 1,
      "stride, dilation and groups must be positive")
    precondition(padH >= 0 && padW >= 0, "padding must be non-negative")
    self.strideH = strideH; self.strideW = strideW; self.padH = padH; self.padW = padW
    self.dilationH = dilationH; self.dilationW = dilationW; self.groups = groups
  }
}

/// Everything a conv kernel needs, derived once per call.
struct ConvGeometry {
  let n, cin, h, w, cout, kh, kw, oh, ow: Int
  let cfg: Conv2DConfig
  var cinG: Int { cin / cfg.groups }
  var coutG: Int { cout / cfg.groups }
  var kdim: Int { cinG * kh * kw }
  var isPointwise: Bool {
    kh == 1 && kw == 1 && cfg.strideH == 1 && cfg.strideW == 1 && cfg.padH == 0 && cfg.padW == 0
      && cfg.groups == 1
  }
  var isDepthwise: Bool { cfg.groups == cin && cout == cin && cin > 1 }

  init(x: [Int], w: [Int], cfg: Conv2DConfig) {
    precondition(x.count == 4, "conv2d input must be NCHW, got \(x)")
    precondition(w.count == 4, "conv2d weight must be [Cout, Cin/groups, kh, kw], got \(w)")
    n = x[0]; cin = x[1]; h = x[2]; self.w = x[3]
    cout = w[0]; kh = w[2]; kw = w[3]
    self.cfg = cfg
    precondition(
      cin % cfg.groups == 0 && cout % cfg.groups == 0,
      "channels \(cin)→\(cout) not divisible by groups \(cfg.groups)")
    precondition(
      w[1] == cin / cfg.groups, "weight \(w) does not fit \(cin) input channels in \(cfg.groups) groups")
    oh = (h + 2 * cfg.padH - cfg.dilationH * (kh - 1) - 1) / cfg.strideH + 1
    ow = (self.w + 2 * cfg.padW - cfg.dilationW * (kw - 1) - 1) / cfg.strideW + 1
    precondition(oh > 0 && ow > 0, "conv2d output would be empty for input \(x), kernel \(kh)×\(kw)")
  }

  /// The same geometry as the kernels read it.
  var shape: ConvShape {
    ConvShape(
      n: n, cin: cin, h: h, w: w, cout: cout, kh: kh, kw: kw, oh: oh, ow: ow, strideH: cfg.strideH,
      strideW: cfg.strideW, padH: cfg.padH, padW: cfg.padW, dilationH: cfg.dilationH, dilationW: cfg.dilationW,
      groups: cfg.groups)
  }
}

/// 2-D convolution of an NCHW tensor with a `[Cout, Cin/groups, kh, kw]` weight (no bias).
///
/// Dense and grouped convolutions use im2col + `cblas_sgemm` (pointwise 1×1 convs skip im2col);
/// depthwise convolutions (groups = Cin = Cout) use a direct kernel. Both are parallel over the batch.
public func conv2d(_ x: Tensor, weight: Tensor, config: Conv2DConfig = Conv2DConfig()) -> Tensor {
  let g = ConvGeometry(x: x.shape, w: weight.shape, cfg: config)
  var y: Tensor
  if g.isDepthwise {
    y = DepthwiseKernels.bestForward(x, weight, g)
  } else {
    y = DenseConvKernels.forward(x, weight, g)
  }
  y.record(.conv2d(x.detached(), weight.detached(), config), x, weight)
  return y
}

/// 2-D convolution with square stride, padding, dilation and groups.
public func conv2d(
  _ x: Tensor, weight: Tensor, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1
) -> Tensor {
  conv2d(
    x, weight: weight,
    config: Conv2DConfig(stride: stride, padding: padding, dilation: dilation, groups: groups))
}

/// Dense and grouped convolutions: im2col (`TensorKernels.im2col`) + `cblas_sgemm`, pointwise 1×1
/// convolutions straight on the input, parallel over the batch.
enum DenseConvKernels {
  static func forward(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry) -> Tensor {
    if StridedViaStride1.pointwiseApplies(g) { return StridedViaStride1.pointwiseForward(x, w, g) }
    let y = Tensor(uninitializedShape: [g.n, g.cout, g.oh, g.ow])
    let xp = SendablePointer(x.storage.pointer), wp = SendablePointer(w.storage.pointer)
    let yp = SendablePointer(y.storage.pointer)
    let ohw = g.oh * g.ow, inPlane = g.cin * g.h * g.w, outPlane = g.cout * ohw
    if g.isPointwise {
      parallelChunks(g.n) { _, r in
        for b in r {
          BLAS.gemm(
            transA: false, transB: false, m: g.cout, n: ohw, k: g.cin, a: wp.p, lda: g.cin,
            b: xp.p + b * inPlane, ldb: ohw, beta: 0, c: yp.p + b * outPlane, ldc: ohw)
        }
      }
      return y
    }
    let k = g.kdim, shape = g.shape
    parallelChunks(g.n) { _, r in
      let colStorage = TensorStorage(uninitializedCount: k * ohw)  // pooled: no page faults per chunk
      let col = colStorage.pointer
      for b in r {
        for grp in 0..<g.cfg.groups {
          kernels.im2col(xp.p + b * inPlane, shape, c0: grp * g.cinG, into: col)
          BLAS.gemm(
            transA: false, transB: false, m: g.coutG, n: ohw, k: k,
            a: wp.p + grp * g.coutG * k, lda: k, b: col, ldb: ohw, beta: 0,
            c: yp.p + b * outPlane + grp * g.coutG * ohw, ldc: ohw)
        }
      }
      withExtendedLifetime(colStorage) {}  // `col` points into it until here
    }
    return y
  }

  /// Gradients with respect to the input (if `needX`) and the weight (if `needW`).
  static func backward(_ x: Tensor, _ w: Tensor, _ dy: Tensor, _ g: ConvGeometry, needX: Bool, needW: Bool)
    -> (Tensor?, Tensor?)
  {
    if StridedViaStride1.pointwiseApplies(g) {
      return StridedViaStride1.pointwiseBackward(x, w, dy, g, needX: needX, needW: needW)
    }
    let dx: Tensor? = needX ? Tensor.zeros(x.shape) : nil
    let k = g.kdim, ohw = g.oh * g.ow, inPlane = g.cin * g.h * g.w, outPlane = g.cout * ohw
    let wCount = w.count, shape = g.shape
    let chunks = Engine.workChunks(g.n)
    let partial = needW ? UnsafeMutablePointer<Float>.allocate(capacity: chunks * wCount) : nil
    defer { partial?.deallocate() }
    let xp = SendablePointer(x.storage.pointer), wp = SendablePointer(w.storage.pointer)
    let gp = SendablePointer(dy.storage.pointer)
    let dxp = dx.map { SendablePointer($0.storage.pointer) }
    let pp = partial.map { SendablePointer($0) }
    parallelChunks(g.n, chunks: chunks) { chunk, r in
      let dwc = pp.map { $0.p + chunk * wCount }
      dwc?.update(repeating: 0, count: wCount)
      if g.isPointwise {
        for b in r {
          if let dxp {
            BLAS.gemm(
              transA: true, transB: false, m: g.cin, n: ohw, k: g.cout, a: wp.p, lda: g.cin,
              b: gp.p + b * outPlane, ldb: ohw, beta: 0, c: dxp.p + b * inPlane, ldc: ohw)
          }
          if let dwc {
            BLAS.gemm(
              transA: false, transB: true, m: g.cout, n: g.cin, k: ohw, a: gp.p + b * outPlane, lda: ohw,
              b: xp.p + b * inPlane, ldb: ohw, beta: 1, c: dwc, ldc: g.cin)
          }
        }
        return
      }
      let colStorage = TensorStorage(uninitializedCount: k * ohw)  // pooled: no page faults per chunk
      let col = colStorage.pointer
      for b in r {
        for grp in 0..<g.cfg.groups {
          let dyg = gp.p + b * outPlane + grp * g.coutG * ohw
          let wg = wp.p + grp * g.coutG * k
          if let dwc {
            kernels.im2col(xp.p + b * inPlane, shape, c0: grp * g.cinG, into: col)
            BLAS.gemm(
              transA: false, transB: true, m: g.coutG, n: k, k: ohw, a: dyg, lda: ohw, b: col, ldb: ohw,
              beta: 1, c: dwc + grp * g.coutG * k, ldc: k)
          }
          if let dxp {
            BLAS.gemm(
              transA: true, transB: false, m: k, n: ohw, k: g.coutG, a: wg, lda: k, b: dyg, ldb: ohw,
              beta: 0, c: col, ldc: ohw)
            kernels.col2im(col, shape, c0: grp * g.cinG, into: dxp.p + b * inPlane)
          }
        }
      }
      withExtendedLifetime(colStorage) {}  // `col` points into it until here
    }
    var dw: Tensor? = nil
    if let partial {
      let t = Tensor(uninitializedShape: w.shape)
      kernels.sumChunkPartials(partial, chunks: chunks, count: wCount, into: t.storage.pointer)
      dw = t
    }
    return (dx, dw)
  }
}
