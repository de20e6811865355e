import NASCKernelSupport

/// Stride-1 pooling fast paths (the DARTS `max_pool_3x3` / `avg_pool_3x3` in normal cells), on the
/// padded 8-wide scratch layout of `DepthwiseStride1`.
enum PoolingStride1 {
  typealias V = SIMD8<Float>
  typealias L = DepthwiseStride1.Layout

  static func layout(_ s: PoolShape) -> L {
    L(
      h: s.h, w: s.w, oh: s.h + 2 * s.padding - s.kernel + 1, ow: s.w + 2 * s.padding - s.kernel + 1,
      kh: s.kernel, kw: s.kernel, dh: 1, dw: 1, padH: s.padding, padW: s.padding)
  }

  /// 1 / (number of non-padding elements) for each output position.
  static func inverseCounts(_ s: PoolShape) -> [Float] {
    let (h, w, oh, ow) = (s.h, s.w, s.oh, s.ow)
    var inv = [Float](repeating: 0, count: oh * ow)
    for i in 0..<oh {
      let rows = min(i - s.padding + s.kernel, h) - max(i - s.padding, 0)
      for j in 0..<ow {
        let cols = min(j - s.padding + s.kernel, w) - max(j - s.padding, 0)
        inv[i * ow + j] = 1 / Float(rows * cols)
      }
    }
    return inv
  }

  static func avgForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ s: PoolShape) {
    let (h, w, oh, ow) = (s.h, s.w, s.oh, s.ow)
    let l = layout(s)
    let inv = inverseCounts(s)
    let ones = [Float](repeating: 1, count: s.kernel * s.kernel)
    let xp = SendablePointer(x), yp = SendablePointer(y)
    inv.withUnsafeBufferPointer { ib in
      ones.withUnsafeBufferPointer { ob in
        let ip = UncheckedSendable(ib.baseAddress!), op = UncheckedSendable(ob.baseAddress!)
        parallelChunks(s.planes) { _, r in
          let scratch = DepthwiseStride1.makeScratch(l)
          defer { scratch.deallocate() }
          for p in r {
            DepthwiseStride1.fill(scratch, l, from: xp.p + p * h * w, h: h, w: w)
            let out = yp.p + p * oh * ow
            DepthwiseStride1.correlate(
              scratch, l, taps: op.value, kh: s.kernel, kw: s.kernel, dh: 1, dw: 1,
              oh: oh, ow: ow, into: out)
            for i in 0..<(oh * ow) { out[i] *= ip.value[i] }
          }
        }
      }
    }
  }

  /// dx from dy (`oh × ow` planes) into `h × w` planes.
  static func avgBackward(_ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, _ s: PoolShape) {
    let (h, w, oh, ow, k) = (s.h, s.w, s.oh, s.ow, s.kernel)
    let l = L(
      h: oh, w: ow, oh: h, ow: w, kh: k, kw: k, dh: 1, dw: 1, padH: k - 1 - s.padding,
      padW: k - 1 - s.padding)
    let inv = inverseCounts(s)
    let ones = [Float](repeating: 1, count: k * k)
    let gp = SendablePointer(dy), dp = SendablePointer(dx)
    inv.withUnsafeBufferPointer { ib in
      ones.withUnsafeBufferPointer { ob in
        let ip = UncheckedSendable(ib.baseAddress!), op = UncheckedSendable(ob.baseAddress!)
        parallelChunks(s.planes) { _, r in
          let scratch = DepthwiseStride1.makeScratch(l)
          let scaled = UnsafeMutablePointer<Float>.allocate(capacity: oh * ow)
          defer {
            scratch.deallocate()
            scaled.deallocate()
          }
          for p in r {
            let gpl = gp.p + p * oh * ow
            for i in 0..<(oh * ow) { scaled[i] = gpl[i] * ip.value[i] }
            DepthwiseStride1.fill(scratch, l, from: scaled, h: oh, w: ow)
            DepthwiseStride1.correlate(
              scratch, l, taps: op.value, kh: k, kw: k, dh: 1, dw: 1, oh: h, ow: w,
              into: dp.p + p * h * w)
          }
        }
      }
    }
  }

  /// Max over each window, with the winning input index (first maximum in row-major order, as PyTorch).
  static func maxForward(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>?,
    _ s: PoolShape
  ) {
    let (h, w, oh, ow) = (s.h, s.w, s.oh, s.ow)
    let l = layout(s)
    let k = s.kernel, pad = s.padding
    let xp = SendablePointer(x), yp = SendablePointer(y)
    let ixp = indices.map { SendableIndexPointer($0) }
    var lanes = SIMD8<Int32>()
    for i in 0..<8 { lanes[i] = Int32(i) }
    let laneOffsets = lanes
    parallelChunks(s.planes) { _, r in
      let scratch = DepthwiseStride1.makeScratch(l, padValue: -.infinity)
      defer { scratch.deallocate() }
      for p in r {
        DepthwiseStride1.fill(scratch, l, from: xp.p + p * h * w, h: h, w: w)
        let out = yp.p + p * oh * ow
        let idxOut = ixp.map { $0.p + p * oh * ow }
        for i in 0..<oh {
          var j = 0
          while j < l.owPadded {
            var best = V(repeating: -.infinity)
            var bi = SIMD8<Int32>(repeating: 0)
            for ki in 0..<k {
              let row = scratch + (i + ki) * l.width + j
              let base = Int32((i - pad + ki) * w + (j - pad))
              for kj in 0..<k {
                let v = DepthwiseStride1.load(row + kj)
                let m = v .> best
                best.replace(with: v, where: m)
                bi.replace(with: laneOffsets &+ (base + Int32(kj)), where: m)
              }
            }
            let cnt = min(8, ow - j)
            DepthwiseStride1.store(best, out + i * ow + j, count: cnt)
            if let idxOut {
              for t in 0..<cnt { idxOut[i * ow + j + t] = bi[t] }
            }
            j += 8
          }
        }
      }
    }
  }
}

/// Pooling by direct loops over each window (any stride and padding), and the strided copies the
/// stride-2 paths are built from.
enum PoolingDirect {
  static func maxForward(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>?,
    _ s: PoolShape
  ) {
    let (h, w, oh, ow) = (s.h, s.w, s.oh, s.ow)
    let xp = SendablePointer(x), yp = SendablePointer(y)
    let ipS = indices.map { SendableIndexPointer($0) }
    parallelChunks(s.planes) { _, r in
      for p in r {
        let xpl = xp.p + p * h * w, ypl = yp.p + p * oh * ow, ipl = ipS.map { $0.p + p * oh * ow }
        for i in 0..<oh {
          let h0 = i * s.stride - s.padding
          let hs = max(h0, 0), he = min(h0 + s.kernel, h)
          for j in 0..<ow {
            let w0 = j * s.stride - s.padding
            let ws = max(w0, 0), we = min(w0 + s.kernel, w)
            var best = -Float.infinity, bi = hs * w + ws
            for a in hs..<he {
              for b in ws..<we where xpl[a * w + b] > best {
                best = xpl[a * w + b]
                bi = a * w + b
              }
            }
            ypl[i * ow + j] = best
            ipl?[i * ow + j] = Int32(bi)
          }
        }
      }
    }
  }

  static func avgForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ s: PoolShape) {
    let (h, w, oh, ow) = (s.h, s.w, s.oh, s.ow)
    let xp = SendablePointer(x), yp = SendablePointer(y)
    parallelChunks(s.planes) { _, r in
      for p in r {
        let xpl = xp.p + p * h * w, ypl = yp.p + p * oh * ow
        for i in 0..<oh {
          let h0 = i * s.stride - s.padding
          let hs = max(h0, 0), he = min(h0 + s.kernel, h)
          for j in 0..<ow {
            let w0 = j * s.stride - s.padding
            let ws = max(w0, 0), we = min(w0 + s.kernel, w)
            var sum: Float = 0
            for a in hs..<he { for b in ws..<we { sum += xpl[a * w + b] } }
            ypl[i * ow + j] = sum / Float((he - hs) * (we - ws))
          }
        }
      }
    }
  }

  /// dx (zeroed by the caller) += the average-pooling transpose of dy.
  static func avgBackward(_ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, _ s: PoolShape) {
    let (h, w, oh, ow) = (s.h, s.w, s.oh, s.ow)
    let gp = SendablePointer(dy), dp = SendablePointer(dx)
    parallelChunks(s.planes) { _, r in
      for p in r {
        let d = dp.p + p * h * w, gg = gp.p + p * oh * ow
        for i in 0..<oh {
          let h0 = i * s.stride - s.padding
          let hs = max(h0, 0), he = min(h0 + s.kernel, h)
          for j in 0..<ow {
            let w0 = j * s.stride - s.padding
            let ws = max(w0, 0), we = min(w0 + s.kernel, w)
            let v = gg[i * ow + j] / Float((he - hs) * (we - ws))
            for a in hs..<he { for b in ws..<we { d[a * w + b] += v } }
          }
        }
      }
    }
  }

  /// dx (zeroed by the caller) += dy scattered to the winning indices, plane by plane.
  static func maxBackward(
    _ dy: UnsafePointer<Float>, indices: UnsafePointer<Int32>, into dx: UnsafeMutablePointer<Float>,
    planes: Int, inPlane: Int, outPlane: Int
  ) {
    let ip = SendableIndexPointer(UnsafeMutablePointer(mutating: indices))
    let gp = SendablePointer(dy), dp = SendablePointer(dx)
    parallelChunks(planes) { _, r in
      for p in r {
        let d = dp.p + p * inPlane, gg = gp.p + p * outPlane, ii = ip.p + p * outPlane
        for o in 0..<outPlane { d[Int(ii[o])] += gg[o] }
      }
    }
  }

  /// Every `sh`-th row and `sw`-th column of each `h × w` plane, `oh × ow` of them.
  static func subsample<T>(
    _ src: UnsafePointer<T>, into dst: UnsafeMutablePointer<T>, planes: Int, h: Int, w: Int, sh: Int, sw: Int,
    oh: Int, ow: Int
  ) {
    let s = UncheckedSendable(src), d = UncheckedSendable(dst)
    parallelChunks(planes) { _, r in
      for p in r {
        let a = s.value + p * h * w, b = d.value + p * oh * ow
        for i in 0..<oh { for j in 0..<ow { b[i * ow + j] = a[i * sh * w + j * sw] } }
      }
    }
  }

  /// The transpose of `subsample`: each `oh × ow` plane placed at every `sh`-th row and `sw`-th
  /// column of an `h × w` zero plane.
  static func upsample(
    _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, planes: Int, oh: Int, ow: Int, sh: Int,
    sw: Int, h: Int, w: Int
  ) {
    let s = SendablePointer(src), d = SendablePointer(dst)
    parallelChunks(planes) { _, r in
      for p in r {
        let a = s.p + p * oh * ow, b = d.p + p * h * w
        b.update(repeating: 0, count: h * w)
        for i in 0..<oh { for j in 0..<ow { b[i * sh * w + j * sw] = a[i * ow + j] } }
      }
    }
  }
}
