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

  /// The range of output positions `o` in `0..<outCount` with `o·stride + offset` inside `0..<inCount`.
  @inline(__always)
  static func validRange(outCount: Int, inCount: Int, stride: Int, offset: Int) -> Range<Int> {
    // o*stride + offset >= 0  →  o >= ceil(-offset / stride)
    let lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride
    // o*stride + offset <= inCount - 1  →  o <= floor((inCount - 1 - offset) / stride)
    let top = inCount - 1 - offset
    let hi = top < 0 ? 0 : min(outCount, top / stride + 1)
    return lo < hi ? lo..<hi : 0..<0
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

enum DenseConvKernels {
  /// Unfolds channels `c0..<c0+cinG` of one image into col[K × OH·OW].
  static func im2col(
    _ x: UnsafePointer<Float>, _ g: ConvGeometry, c0: Int, into col: UnsafeMutablePointer<Float>
  ) {
    let ohw = g.oh * g.ow, s = g.cfg
    var row = 0
    for c in 0..<g.cinG {
      let plane = x + (c0 + c) * g.h * g.w
      for ki in 0..<g.kh {
        let offH = ki * s.dilationH - s.padH
        let rh = ConvGeometry.validRange(outCount: g.oh, inCount: g.h, stride: s.strideH, offset: offH)
        for kj in 0..<g.kw {
          let offW = kj * s.dilationW - s.padW
          let rw = ConvGeometry.validRange(outCount: g.ow, inCount: g.w, stride: s.strideW, offset: offW)
          let dst = col + row * ohw
          row += 1
          if rh.isEmpty || rw.isEmpty {
            dst.update(repeating: 0, count: ohw)
            continue
          }
          if rh.lowerBound > 0 { dst.update(repeating: 0, count: rh.lowerBound * g.ow) }
          if rh.upperBound < g.oh {
            (dst + rh.upperBound * g.ow).update(repeating: 0, count: (g.oh - rh.upperBound) * g.ow)
          }
          for oh in rh {
            let src = plane + (oh * s.strideH + offH) * g.w + offW
            let d = dst + oh * g.ow
            for ow in 0..<rw.lowerBound { d[ow] = 0 }
            if s.strideW == 1 {
              (d + rw.lowerBound).update(from: src + rw.lowerBound, count: rw.count)
            } else {
              for ow in rw { d[ow] = src[ow * s.strideW] }
            }
            for ow in rw.upperBound..<g.ow { d[ow] = 0 }
          }
        }
      }
    }
  }

  /// Adds col[K × OH·OW] back into channels `c0..<c0+cinG` of one image (the transpose of im2col).
  static func col2im(
    _ col: UnsafePointer<Float>, _ g: ConvGeometry, c0: Int, into x: UnsafeMutablePointer<Float>
  ) {
    let ohw = g.oh * g.ow, s = g.cfg
    var row = 0
    for c in 0..<g.cinG {
      let plane = x + (c0 + c) * g.h * g.w
      for ki in 0..<g.kh {
        let offH = ki * s.dilationH - s.padH
        let rh = ConvGeometry.validRange(outCount: g.oh, inCount: g.h, stride: s.strideH, offset: offH)
        for kj in 0..<g.kw {
          let offW = kj * s.dilationW - s.padW
          let rw = ConvGeometry.validRange(outCount: g.ow, inCount: g.w, stride: s.strideW, offset: offW)
          let src = col + row * ohw
          row += 1
          for oh in rh {
            let dst = plane + (oh * s.strideH + offH) * g.w + offW
            let srow = src + oh * g.ow
            if s.strideW == 1 {
              for ow in rw { dst[ow] += srow[ow] }
            } else {
              for ow in rw { dst[ow * s.strideW] += srow[ow] }
            }
          }
        }
      }
    }
  }

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
    let k = g.kdim
    parallelChunks(g.n) { _, r in
      let colStorage = TensorStorage(uninitializedCount: k * ohw)  // pooled: no page faults per chunk
      let col = colStorage.pointer
      for b in r {
        for grp in 0..<g.cfg.groups {
          im2col(xp.p + b * inPlane, g, c0: grp * g.cinG, into: col)
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
    let wCount = w.count
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
            im2col(xp.p + b * inPlane, g, c0: grp * g.cinG, into: col)
            BLAS.gemm(
              transA: false, transB: true, m: g.coutG, n: k, k: ohw, a: dyg, lda: ohw, b: col, ldb: ohw,
              beta: 1, c: dwc + grp * g.coutG * k, ldc: k)
          }
          if let dxp {
            BLAS.gemm(
              transA: true, transB: false, m: k, n: ohw, k: g.coutG, a: wg, lda: k, b: dyg, ldb: ohw,
              beta: 0, c: col, ldc: ohw)
            col2im(col, g, c0: grp * g.cinG, into: dxp.p + b * inPlane)
          }
        }
      }
      withExtendedLifetime(colStorage) {}  // `col` points into it until here
    }
    var dw: Tensor? = nil
    if let partial {
      let t = Tensor(uninitializedShape: w.shape)
      let o = t.storage.pointer
      o.update(from: partial, count: wCount)
      for c in 1..<max(chunks, 1) {
        let p = partial + c * wCount
        for i in 0..<wCount { o[i] += p[i] }
      }
      dw = t
    }
    return (dx, dw)
  }
}
