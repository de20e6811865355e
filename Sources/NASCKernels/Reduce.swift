import NASCKernelSupport

/// Deterministic reductions: fixed chunks (one per worker), 8-wide float partial sums inside a chunk,
/// chunk results combined in order in double precision. Same inputs and thread count → same bits.
enum Reduce {
  /// Σ a[i]·b[i].
  static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
    let chunks = n < 65_536 ? 1 : Workers.workChunks(n)
    var partial = [Double](repeating: 0, count: chunks)
    let ap = SendablePointer(UnsafeMutablePointer(mutating: a)),
      bp = SendablePointer(UnsafeMutablePointer(mutating: b))
    partial.withUnsafeMutableBufferPointer { out in
      let o = UncheckedSendable(out.baseAddress!)
      parallelChunks(n, chunks: chunks) { c, r in
        o.value[c] = Double(dotRange(ap.p, bp.p, r))
      }
    }
    return Float(partial.reduce(0, +))
  }

  /// Σ a[i]·b[i] over `r` with eight independent accumulators.
  @inline(__always)
  static func dotRange(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ r: Range<Int>) -> Float {
    var acc = SIMD8<Float>()
    var i = r.lowerBound
    while i + 8 <= r.upperBound {
      acc +=
        UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
        * UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
      i += 8
    }
    var s = acc.sum()
    while i < r.upperBound {
      s += a[i] * b[i]
      i += 1
    }
    return s
  }
}

extension Reduce {
  /// Σ a[i] for i < n, eight lanes at a time.
  @inline(__always)
  static func sum(_ a: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>()
    var i = 0
    while i + 8 <= n {
      acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
      i += 8
    }
    var s = acc.sum()
    while i < n {
      s += a[i]
      i += 1
    }
    return s
  }

  /// Σ (a[i] − m)² for i < n.
  @inline(__always)
  static func sumSquaredDeviation(_ a: UnsafePointer<Float>, _ n: Int, mean m: Float) -> Float {
    var acc = SIMD8<Float>()
    let mv = SIMD8<Float>(repeating: m)
    var i = 0
    while i + 8 <= n {
      let d = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self) - mv
      acc += d * d
      i += 8
    }
    var s = acc.sum()
    while i < n {
      s += (a[i] - m) * (a[i] - m)
      i += 1
    }
    return s
  }

  /// (Σ g[i], Σ g[i]·(x[i] − m)) for i < n.
  @inline(__always)
  static func sumAndCenteredDot(_ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, mean m: Float)
    -> (Float, Float)
  {
    var s = SIMD8<Float>(), d = SIMD8<Float>()
    let mv = SIMD8<Float>(repeating: m)
    var i = 0
    while i + 8 <= n {
      let gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
      s += gv
      d += gv * (UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - mv)
      i += 8
    }
    var ss = s.sum(), dd = d.sum()
    while i < n {
      ss += g[i]
      dd += g[i] * (x[i] - m)
      i += 1
    }
    return (ss, dd)
  }

  /// (Σ g'[i], Σ g'[i]·(x[i] − m)) for i < n, with g' = g where the activation after a batch norm
  /// passes its gradient (0 < x·scale + shift < upper) and 0 elsewhere: the same lanes and order as
  /// `sumAndCenteredDot` on a masked g, so the fused gradient has the same bits.
  @inline(__always)
  static func maskedSumAndCenteredDot(
    _ g: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int, mean m: Float, scale: Float, shift: Float,
    upper: Float
  ) -> (Float, Float) {
    var s = SIMD8<Float>(), d = SIMD8<Float>()
    let mv = SIMD8<Float>(repeating: m), sv = SIMD8<Float>(repeating: scale), hv = SIMD8<Float>(repeating: shift)
    let zero = SIMD8<Float>(), top = SIMD8<Float>(repeating: upper)
    var i = 0
    while i + 8 <= n {
      let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
      let pre = xv * sv + hv
      let gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
        .replacing(with: 0, where: .!((pre .> zero) .& (pre .< top)))
      s += gv
      d += gv * (xv - mv)
      i += 8
    }
    var ss = s.sum(), dd = d.sum()
    while i < n {
      let pre = x[i] * scale + shift
      let gi: Float = pre > 0 && pre < upper ? g[i] : 0
      ss += gi
      dd += gi * (x[i] - m)
      i += 1
    }
    return (ss, dd)
  }
}
