/// Direct depthwise convolution (groups = Cin = Cout): one small filter per channel plane, where GEMM
/// would waste its time packing. Forward and the fused data+weight backward pass each touch every
/// plane once; the innermost loops run over contiguous output columns.
enum DepthwiseKernels {
  /// The kernels a depthwise conv can run on, fastest first.
  enum Kernel: Equatable {
    /// Stride 1, same-or-smaller padding: `DepthwiseStride1`.
    case stride1
    /// Column stride 2, row stride 1 or 2: `DepthwiseStride2`.
    case stride2
    /// Anything else: the scalar direct loops below.
    case direct
  }

  /// The fastest kernel that applies to `g`.
  static func kernel(for g: ConvGeometry) -> Kernel {
    if DepthwiseStride1.applies(g) { return .stride1 }
    if DepthwiseStride2.applies(g) { return .stride2 }
    return .direct
  }

  /// Forward by the fastest applicable kernel.
  static func bestForward(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry) -> Tensor {
    switch kernel(for: g) {
    case .stride1: DepthwiseStride1.forward(x, w, g)
    case .stride2: DepthwiseStride2.forward(x, w, g)
    case .direct: forward(x, w, g)
    }
  }

  /// Backward by the same kernel choice as `bestForward`.
  static func bestBackward(
    _ x: Tensor, _ w: Tensor, _ dy: Tensor, _ g: ConvGeometry, needX: Bool, needW: Bool
  ) -> (Tensor?, Tensor?) {
    switch kernel(for: g) {
    case .stride1: DepthwiseStride1.backward(x, w, dy, g, needX: needX, needW: needW)
    case .stride2: DepthwiseStride2.backward(x, w, dy, g, needX: needX, needW: needW)
    case .direct: backward(x, w, dy, g, needX: needX, needW: needW)
    }
  }

  static func forward(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry) -> Tensor {
    let y = Tensor(uninitializedShape: [g.n, g.cout, g.oh, g.ow])
    let xp = SendablePointer(x.storage.pointer), wp = SendablePointer(w.storage.pointer)
    let yp = SendablePointer(y.storage.pointer)
    let planes = g.n * g.cin, inPlane = g.h * g.w, outPlane = g.oh * g.ow, taps = g.kh * g.kw
    parallelChunks(planes) { _, r in
      for p in r {
        forwardPlane(xp.p + p * inPlane, wp.p + (p % g.cin) * taps, yp.p + p * outPlane, g)
      }
    }
    return y
  }

  @inline(__always)
  static func forwardPlane(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
    _ g: ConvGeometry
  ) {
    let s = g.cfg
    y.update(repeating: 0, count: g.oh * g.ow)
    for ki in 0..<g.kh {
      let offH = ki * s.dilationH - s.padH
      let rh = ConvGeometry.validRange(outCount: g.oh, inCount: g.h, stride: s.strideH, offset: offH)
      for kj in 0..<g.kw {
        let offW = kj * s.dilationW - s.padW
        let rw = ConvGeometry.validRange(outCount: g.ow, inCount: g.w, stride: s.strideW, offset: offW)
        if rw.isEmpty { continue }
        let wv = w[ki * g.kw + kj]
        let lo = rw.lowerBound, hi = rw.upperBound
        for oh in rh {
          let src = x + (oh * s.strideH + offH) * g.w + offW
          let dst = y + oh * g.ow
          if s.strideW == 1 {
            for ow in lo..<hi { dst[ow] += wv * src[ow] }
          } else {
            let sw = s.strideW
            for ow in lo..<hi { dst[ow] += wv * src[ow * sw] }
          }
        }
      }
    }
  }

  static func backward(_ x: Tensor, _ w: Tensor, _ dy: Tensor, _ g: ConvGeometry, needX: Bool, needW: Bool)
    -> (Tensor?, Tensor?)
  {
    let dx: Tensor? = needX ? Tensor(uninitializedShape: x.shape) : nil
    let taps = g.kh * g.kw, wCount = w.count
    let planes = g.n * g.cin, inPlane = g.h * g.w, outPlane = g.oh * g.ow
    let chunks = Engine.workChunks(planes)
    let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks * wCount)
    defer { partial.deallocate() }
    let xp = SendablePointer(x.storage.pointer), wp = SendablePointer(w.storage.pointer)
    let gp = SendablePointer(dy.storage.pointer), pp = SendablePointer(partial)
    let dxp = dx.map { SendablePointer($0.storage.pointer) }
    let s = g.cfg
    parallelChunks(planes, chunks: chunks) { chunk, r in
      let dwc = pp.p + chunk * wCount
      dwc.update(repeating: 0, count: wCount)
      for p in r {
        let c = p % g.cin
        let xpl = xp.p + p * inPlane, gpl = gp.p + p * outPlane, wpl = wp.p + c * taps, dwpl = dwc + c * taps
        let dxpl = dxp.map { $0.p + p * inPlane }
        dxpl?.update(repeating: 0, count: inPlane)
        for ki in 0..<g.kh {
          let offH = ki * s.dilationH - s.padH
          let rh = ConvGeometry.validRange(outCount: g.oh, inCount: g.h, stride: s.strideH, offset: offH)
          for kj in 0..<g.kw {
            let offW = kj * s.dilationW - s.padW
            let rw = ConvGeometry.validRange(outCount: g.ow, inCount: g.w, stride: s.strideW, offset: offW)
            if rw.isEmpty { continue }
            let wv = wpl[ki * g.kw + kj]
            let lo = rw.lowerBound, hi = rw.upperBound, sw = s.strideW
            var acc: Float = 0
            for oh in rh {
              let rowOff = (oh * s.strideH + offH) * g.w + offW
              let grow = gpl + oh * g.ow
              let xrow = xpl + rowOff
              if needW {
                if sw == 1 {
                  for ow in lo..<hi { acc += grow[ow] * xrow[ow] }
                } else {
                  for ow in lo..<hi { acc += grow[ow] * xrow[ow * sw] }
                }
              }
              if let dxpl {
                let drow = dxpl + rowOff
                if sw == 1 {
                  for ow in lo..<hi { drow[ow] += wv * grow[ow] }
                } else {
                  for ow in lo..<hi { drow[ow * sw] += wv * grow[ow] }
                }
              }
            }
            dwpl[ki * g.kw + kj] += acc
          }
        }
      }
    }
    return (dx, needW ? summedPartials(partial, chunks: chunks, shape: w.shape) : nil)
  }
}

extension DepthwiseKernels {
  /// The weight gradient from per-chunk partials (`chunks` blocks of `shape`'s size, one after
  /// another), summed in chunk order: the same bits for the same chunking.
  static func summedPartials(_ partial: UnsafePointer<Float>, chunks: Int, shape: [Int]) -> Tensor {
    let count = shape.reduce(1, *)
    let t = Tensor(uninitializedShape: shape)
    let o = t.storage.pointer
    o.update(from: partial, count: count)
    for c in 1..<max(chunks, 1) {
      let q = partial + c * count
      for i in 0..<count { o[i] += q[i] }
    }
    return t
  }
}
