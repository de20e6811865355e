/// Stride-1 pooling fast paths (the DARTS `max_pool_3x3` / `avg_pool_3x3` in normal cells), on the
/// padded 8-wide scratch layout of `DepthwiseStride1`.
enum PoolingStride1 {
  typealias V = SIMD8<Float>
  typealias L = DepthwiseStride1.Layout

  static func applies(_ cfg: Pool2DConfig) -> Bool { cfg.stride == 1 && cfg.padding < cfg.kernel }

  static func layout(h: Int, w: Int, _ cfg: Pool2DConfig) -> L {
    L(
      h: h, w: w, oh: h + 2 * cfg.padding - cfg.kernel + 1, ow: w + 2 * cfg.padding - cfg.kernel + 1,
      kh: cfg.kernel, kw: cfg.kernel, dh: 1, dw: 1, padH: cfg.padding, padW: cfg.padding)
  }

  /// 1 / (number of non-padding elements) for each output position.
  static func inverseCounts(h: Int, w: Int, oh: Int, ow: Int, _ cfg: Pool2DConfig) -> [Float] {
    var inv = [Float](repeating: 0, count: oh * ow)
    for i in 0..<oh {
      let rows = min(i - cfg.padding + cfg.kernel, h) - max(i - cfg.padding, 0)
      for j in 0..<ow {
        let cols = min(j - cfg.padding + cfg.kernel, w) - max(j - cfg.padding, 0)
        inv[i * ow + j] = 1 / Float(rows * cols)
      }
    }
    return inv
  }

  static func avgForward(_ x: Tensor, _ cfg: Pool2DConfig) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let l = layout(h: h, w: w, cfg)
    let oh = l.rows - cfg.kernel + 1, ow = w + 2 * cfg.padding - cfg.kernel + 1
    let y = Tensor(uninitializedShape: [n, c, oh, ow])
    let inv = inverseCounts(h: h, w: w, oh: oh, ow: ow, cfg)
    let ones = [Float](repeating: 1, count: cfg.kernel * cfg.kernel)
    let xp = SendablePointer(x.storage.pointer), yp = SendablePointer(y.storage.pointer)
    inv.withUnsafeBufferPointer { ib in
      ones.withUnsafeBufferPointer { ob in
        let ip = UncheckedSendable(ib.baseAddress!), op = UncheckedSendable(ob.baseAddress!)
        parallelChunks(n * c) { _, r in
          let scratch = DepthwiseStride1.makeScratch(l)
          defer { scratch.deallocate() }
          for p in r {
            DepthwiseStride1.fill(scratch, l, from: xp.p + p * h * w, h: h, w: w)
            let out = yp.p + p * oh * ow
            DepthwiseStride1.correlate(
              scratch, l, taps: op.value, kh: cfg.kernel, kw: cfg.kernel, dh: 1, dw: 1,
              oh: oh, ow: ow, into: out)
            for i in 0..<(oh * ow) { out[i] *= ip.value[i] }
          }
        }
      }
    }
    return y
  }

  static func avgBackward(_ g: Tensor, inShape: [Int], _ cfg: Pool2DConfig) -> Tensor {
    let (n, c, h, w) = (inShape[0], inShape[1], inShape[2], inShape[3])
    let oh = g.shape[2], ow = g.shape[3], k = cfg.kernel
    let l = L(
      h: oh, w: ow, oh: h, ow: w, kh: k, kw: k, dh: 1, dw: 1, padH: k - 1 - cfg.padding,
      padW: k - 1 - cfg.padding)
    let dx = Tensor(uninitializedShape: inShape)
    let inv = inverseCounts(h: h, w: w, oh: oh, ow: ow, cfg)
    let ones = [Float](repeating: 1, count: k * k)
    let gp = SendablePointer(g.storage.pointer), dp = SendablePointer(dx.storage.pointer)
    inv.withUnsafeBufferPointer { ib in
      ones.withUnsafeBufferPointer { ob in
        let ip = UncheckedSendable(ib.baseAddress!), op = UncheckedSendable(ob.baseAddress!)
        parallelChunks(n * c) { _, r in
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
    return dx
  }

  /// Max over each window, with the winning input index (first maximum in row-major order, as PyTorch).
  static func maxForward(_ x: Tensor, _ cfg: Pool2DConfig, indices: UnsafeMutablePointer<Int32>?) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let l = layout(h: h, w: w, cfg)
    let k = cfg.kernel, pad = cfg.padding
    let oh = h + 2 * pad - k + 1, ow = w + 2 * pad - k + 1
    let y = Tensor(uninitializedShape: [n, c, oh, ow])
    let xp = SendablePointer(x.storage.pointer), yp = SendablePointer(y.storage.pointer)
    let ixp = indices.map { SendableIndexPointer($0) }
    var lanes = SIMD8<Int32>()
    for i in 0..<8 { lanes[i] = Int32(i) }
    let laneOffsets = lanes
    parallelChunks(n * c) { _, r in
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
    return y
  }
}
