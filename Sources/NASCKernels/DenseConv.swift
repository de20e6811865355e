import NASCKernelSupport

/// The im2col unfolding of dense and grouped convolutions and its transpose (the GEMMs are OpenBLAS's).
enum DenseConv {
  /// Unfolds channels `c0..<c0+cinG` of one image into col[K × OH·OW].
  static func im2col(
    _ x: UnsafePointer<Float>, _ g: ConvShape, c0: Int, into col: UnsafeMutablePointer<Float>
  ) {
    let ohw = g.oh * g.ow, s = g
    var row = 0
    for c in 0..<g.cinG {
      let plane = x + (c0 + c) * g.h * g.w
      for ki in 0..<g.kh {
        let offH = ki * s.dilationH - s.padH
        let rh = ConvShape.validRange(outCount: g.oh, inCount: g.h, stride: s.strideH, offset: offH)
        for kj in 0..<g.kw {
          let offW = kj * s.dilationW - s.padW
          let rw = ConvShape.validRange(outCount: g.ow, inCount: g.w, stride: s.strideW, offset: offW)
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
    _ col: UnsafePointer<Float>, _ g: ConvShape, c0: Int, into x: UnsafeMutablePointer<Float>
  ) {
    let ohw = g.oh * g.ow, s = g
    var row = 0
    for c in 0..<g.cinG {
      let plane = x + (c0 + c) * g.h * g.w
      for ki in 0..<g.kh {
        let offH = ki * s.dilationH - s.padH
        let rh = ConvShape.validRange(outCount: g.oh, inCount: g.h, stride: s.strideH, offset: offH)
        for kj in 0..<g.kw {
          let offW = kj * s.dilationW - s.padW
          let rw = ConvShape.validRange(outCount: g.ow, inCount: g.w, stride: s.strideW, offset: offW)
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
}
