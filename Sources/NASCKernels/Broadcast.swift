import NASCKernelSupport

/// Per-plane and per-channel broadcasts over [N, C, inner] maps, and sums along one axis.
enum Broadcast {
  /// Runs `body` over the `planes` (n, c) planes: split over workers for large tensors, a plain loop
  /// for small ones. Each plane is handled whole by one worker, so per-plane sums have a fixed order.
  @inline(__always)
  static func overPlanes(_ planes: Int, elements: Int, _ body: (Range<Int>) -> Void) {
    if elements < 32_768 || Workers.threads == 1 {
      body(0..<planes)
    } else {
      parallelChunks(planes) { _, r in body(r) }
    }
  }

  /// `x ∘ s` (or `s ∘ x` when `!mapFirst`) with `s[p]` broadcast over plane p of `x` (`planes` planes
  /// of `hw` elements).
  static func combine(
    _ kind: PlaneOp, mapFirst: Bool, map x: UnsafePointer<Float>, plane s: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>, planes: Int, hw: Int
  ) {
    let xp = x, sp = s, yp = y
    overPlanes(planes, elements: planes * hw) { r in
      for p in r {
        let v = sp[p], xi = xp + p * hw, yi = yp + p * hw
        switch kind {
        case .add: for i in 0..<hw { yi[i] = xi[i] + v }
        case .mul: for i in 0..<hw { yi[i] = xi[i] * v }
        case .sub:
          if mapFirst { for i in 0..<hw { yi[i] = xi[i] - v } } else { for i in 0..<hw { yi[i] = v - xi[i] } }
        }
      }
    }
  }

  /// out[p] = sign · Σ over plane p of `g` (times `x` when given); every plane summed by one worker
  /// in index order (deterministic).
  static func planeSums(
    _ g: UnsafePointer<Float>, times x: UnsafePointer<Float>?, sign: Float, into out: UnsafeMutablePointer<Float>,
    planes: Int, hw: Int
  ) {
    let gp = g, xp = x, op = out
    overPlanes(planes, elements: planes * hw) { r in
      typealias V = SIMD8<Float>
      for p in r {
        let gi = gp + p * hw
        var acc = V()
        var i = 0
        if let xp {
          let xi = xp + p * hw
          while i + 8 <= hw {
            acc +=
              UnsafeRawPointer(gi + i).loadUnaligned(as: V.self) * UnsafeRawPointer(xi + i).loadUnaligned(as: V.self)
            i += 8
          }
          var tail: Float = 0
          while i < hw {
            tail += gi[i] * xi[i]
            i += 1
          }
          op[p] = sign * (acc.sum() + tail)
        } else {
          while i + 8 <= hw {
            acc += UnsafeRawPointer(gi + i).loadUnaligned(as: V.self)
            i += 8
          }
          var tail: Float = 0
          while i < hw {
            tail += gi[i]
            i += 1
          }
          op[p] = sign * (acc.sum() + tail)
        }
      }
    }
  }

  /// y[n, c, i] = x[n, c, i] + b[c].
  static func addChannelBias(
    _ x: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, n: Int, c: Int,
    inner: Int
  ) {
    let planes = n * c, bp = bias
    let add = { (r: Range<Int>) in
      for p in r {
        let v = bp[p % c], base = p * inner
        for i in 0..<inner { y[base + i] = x[base + i] + v }
      }
    }
    if planes * inner < 32_768 || Workers.threads == 1 {
      add(0..<planes)
    } else {
      parallelChunks(planes) { _, r in add(r) }
    }
  }

  /// o[a, i] += Σ_j x[a, j, i] for an [outer, dim, inner] `x` (`o` holds outer · inner values).
  static func sumAxis(_ x: UnsafePointer<Float>, into o: UnsafeMutablePointer<Float>, outer: Int, dim: Int, inner: Int)
  {
    for a in 0..<outer {
      for j in 0..<dim {
        let src = x + (a * dim + j) * inner, dst = o + a * inner
        for i in 0..<inner { dst[i] += src[i] }
      }
    }
  }
}
