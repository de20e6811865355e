/// Deterministic reductions: fixed chunks (one per worker), 8-wide float partial sums inside a chunk,
/// chunk results combined in order in double precision. Same inputs and thread count → same bits.
enum Reduce {
  /// Σ a[i]·b[i].
  static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count n: Int) -> Float {
    let chunks = n < 65_536 ? 1 : Engine.threads
    var partial = [Double](repeating: 0, count: chunks)
    let ap = SendablePointer(UnsafeMutablePointer(mutating: a)), bp = SendablePointer(UnsafeMutablePointer(mutating: b))
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
      acc += UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
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
