import NASCKernelSupport

/// Direct depthwise convolution (groups = Cin = Cout) for the geometries the SIMD paths do not take:
/// one small filter per channel plane; forward and the fused data+weight backward pass each touch
/// every plane once, the innermost loops running over contiguous output columns.
enum DepthwiseDirect {
  static func forward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ g: ConvShape
  ) {
    let xp = SendablePointer(x), wp = SendablePointer(w), yp = SendablePointer(y)
    let planes = g.n * g.cin, inPlane = g.h * g.w, outPlane = g.oh * g.ow, taps = g.kh * g.kw
    parallelChunks(planes) { _, r in
      for p in r {
        forwardPlane(xp.p + p * inPlane, wp.p + (p % g.cin) * taps, yp.p + p * outPlane, g)
      }
    }
  }

  @inline(__always)
  static func forwardPlane(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ g: ConvShape
  ) {
    let s = g
    y.update(repeating: 0, count: g.oh * g.ow)
    for ki in 0..<g.kh {
      let offH = ki * s.dilationH - s.padH
      let rh = ConvShape.validRange(outCount: g.oh, inCount: g.h, stride: s.strideH, offset: offH)
      for kj in 0..<g.kw {
        let offW = kj * s.dilationW - s.padW
        let rw = ConvShape.validRange(outCount: g.ow, inCount: g.w, stride: s.strideW, offset: offW)
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

  /// The data gradient into `dx` and the weight gradient into `dw` (either may be nil).
  static func backward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
    dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, _ g: ConvShape
  ) {
    let taps = g.kh * g.kw, wCount = g.cout * taps, needW = dw != nil
    let planes = g.n * g.cin, inPlane = g.h * g.w, outPlane = g.oh * g.ow
    let chunks = Workers.workChunks(planes)
    let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks * wCount)
    defer { partial.deallocate() }
    let xp = SendablePointer(x), wp = SendablePointer(w)
    let gp = SendablePointer(dy), pp = SendablePointer(partial)
    let dxp = dx.map { SendablePointer($0) }
    let s = g
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
          let rh = ConvShape.validRange(outCount: g.oh, inCount: g.h, stride: s.strideH, offset: offH)
          for kj in 0..<g.kw {
            let offW = kj * s.dilationW - s.padW
            let rw = ConvShape.validRange(outCount: g.ow, inCount: g.w, stride: s.strideW, offset: offW)
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
    if let dw { sumPartials(partial, chunks: chunks, count: wCount, into: dw) }
  }

  /// o = Σ_c partial[c·count ..< (c + 1)·count] for c < chunks, summed in chunk order: the same bits
  /// for the same chunking.
  static func sumPartials(
    _ partial: UnsafePointer<Float>, chunks: Int, count: Int, into o: UnsafeMutablePointer<Float>
  ) {
    o.update(from: partial, count: count)
    for c in 1..<max(chunks, 1) {
      let q = partial + c * count
      for i in 0..<count { o[i] += q[i] }
    }
  }
}
