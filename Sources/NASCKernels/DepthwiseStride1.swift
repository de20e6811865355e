import NASCKernelSupport

/// The stride-1 depthwise fast path (every normal-cell sep/dil conv in DARTS).
///
/// Each plane is copied into a zero-padded scratch whose row width is a multiple of 8 plus the kernel
/// reach, so the inner loops are branch-free and run on 8-wide SIMD blocks, each output block summing
/// all taps in a register (several independent blocks at a time, to overlap FMA latency). The data
/// gradient is the same correlation applied to the padded output gradient with the flipped filter
/// (padding d·(k−1) − p); the weight gradient keeps one register accumulator per tap.
enum DepthwiseStride1 {
  typealias V = SIMD8<Float>

  /// Scratch sizes for a plane correlated into an `oh × ow` output with the given padding.
  struct Layout {
    let rows, width, owPadded, padTop, padLeft: Int
    init(h: Int, w: Int, oh: Int, ow: Int, kh: Int, kw: Int, dh: Int, dw: Int, padH: Int, padW: Int) {
      owPadded = (ow + 7) / 8 * 8
      width = owPadded + dw * (kw - 1)
      rows = oh + dh * (kh - 1)
      padTop = padH
      padLeft = padW
      precondition(padH + h <= rows && padW + w <= width, "depthwise scratch too small")
    }
    var count: Int { rows * width }
  }

  /// A scratch buffer for layout `l`, filled with `padValue` once: `fill` only ever writes the
  /// interior, so the padding border stays valid for every plane a worker processes.
  static func makeScratch(_ l: Layout, padValue: Float = 0) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: l.count + 8)
    p.initialize(repeating: padValue, count: l.count + 8)
    return p
  }

  /// Copies an `h × w` plane into the interior of a `makeScratch` buffer at (padTop, padLeft).
  @inline(__always)
  static func fill(
    _ scratch: UnsafeMutablePointer<Float>, _ l: Layout, from src: UnsafePointer<Float>, h: Int, w: Int
  ) {
    if w % 8 == 0 {
      // Rows of small planes are copied with vector moves: a library call per 8-float row costs more.
      for r in 0..<h {
        let d = scratch + (r + l.padTop) * l.width + l.padLeft, s = src + r * w
        var c = 0
        while c < w {
          UnsafeMutableRawPointer(d + c).storeBytes(of: load(s + c), as: V.self)
          c += 8
        }
      }
      return
    }
    for r in 0..<h {
      (scratch + (r + l.padTop) * l.width + l.padLeft).update(from: src + r * w, count: w)
    }
  }

  /// acc += a·b, fused when the build targets FMA hardware (NASC_FMA), else a multiply and an add.
  @inline(__always)
  static func madd(_ acc: inout V, _ a: V, _ b: V) {
    #if NASC_FMA
      acc = acc.addingProduct(a, b)
    #else
      acc += a * b
    #endif
  }

  @inline(__always)
  static func load(_ p: UnsafePointer<Float>) -> V {
    UnsafeRawPointer(p).loadUnaligned(as: V.self)
  }

  /// out[r, c] = Σ taps[ki, kj] · scratch[r + ki·dh, c + kj·dw] for r < oh, c < ow, dispatched to a
  /// copy specialised for the kernel size so that the tap loops unroll.
  @inline(__always)
  static func correlate(
    _ src: UnsafePointer<Float>, _ l: Layout, taps: UnsafePointer<Float>, kh: Int, kw: Int,
    dh: Int, dw: Int, oh: Int, ow: Int, into out: UnsafeMutablePointer<Float>
  ) {
    switch (kh, kw) {
    case (3, 3): correlateK(src, l, taps: taps, kh: 3, kw: 3, dh: dh, dw: dw, oh: oh, ow: ow, into: out)
    case (5, 5): correlateK(src, l, taps: taps, kh: 5, kw: 5, dh: dh, dw: dw, oh: oh, ow: ow, into: out)
    default: correlateK(src, l, taps: taps, kh: kh, kw: kw, dh: dh, dw: dw, oh: oh, ow: ow, into: out)
    }
  }

  @inline(__always)
  static func correlateK(
    _ src: UnsafePointer<Float>, _ l: Layout, taps: UnsafePointer<Float>, kh: Int, kw: Int,
    dh: Int, dw: Int, oh: Int, ow: Int, into out: UnsafeMutablePointer<Float>
  ) {
    // Up to 9 taps are broadcast once into registers (the output stores could alias `taps`, so the
    // compiler would otherwise reload every tap for every block).
    var wv = InlineArray<9, V>(repeating: V())
    let inRegisters = kh * kw <= 9
    if inRegisters { for t in 0..<(kh * kw) { wv[t] = V(repeating: taps[t]) } }
    @inline(__always) func tap(_ t: Int) -> V { inRegisters ? wv[t] : V(repeating: taps[t]) }
    if l.owPadded == 8 {
      // One block per row (8×8 planes): two rows at a time, so two FMA chains overlap.
      var r = 0
      while r + 1 < oh {
        var a0 = V(), a1 = V()
        for ki in 0..<kh {
          let row = src + (r + ki * dh) * l.width
          for kj in 0..<kw {
            let w = tap(ki * kw + kj)
            madd(&a0, w, load(row + kj * dw))
            madd(&a1, w, load(row + l.width + kj * dw))
          }
        }
        store(a0, out + r * ow, count: ow)
        store(a1, out + (r + 1) * ow, count: ow)
        r += 2
      }
      if r < oh {
        var a0 = V()
        for ki in 0..<kh {
          let row = src + (r + ki * dh) * l.width
          for kj in 0..<kw { madd(&a0, tap(ki * kw + kj), load(row + kj * dw)) }
        }
        store(a0, out + r * ow, count: ow)
      }
      return
    }
    for r in 0..<oh {
      var c = 0
      // Independent FMA chains, one broadcast per tap: four 8-wide blocks at a time for large
      // filters (taps read from memory; with taps held in registers four chains spill), then two.
      while !inRegisters && c + 32 <= l.owPadded {
        var a0 = V(), a1 = V(), a2 = V(), a3 = V()
        for ki in 0..<kh {
          let row = src + (r + ki * dh) * l.width + c
          for kj in 0..<kw {
            let w = tap(ki * kw + kj)
            let p = row + kj * dw
            madd(&a0, w, load(p))
            madd(&a1, w, load(p + 8))
            madd(&a2, w, load(p + 16))
            madd(&a3, w, load(p + 24))
          }
        }
        store(a0, out + r * ow + c, count: ow - c)
        store(a1, out + r * ow + c + 8, count: ow - c - 8)
        store(a2, out + r * ow + c + 16, count: ow - c - 16)
        store(a3, out + r * ow + c + 24, count: ow - c - 24)
        c += 32
      }
      while c + 16 <= l.owPadded {
        var a0 = V(), a1 = V()
        for ki in 0..<kh {
          let row = src + (r + ki * dh) * l.width + c
          for kj in 0..<kw {
            let w = tap(ki * kw + kj)
            let p = row + kj * dw
            madd(&a0, w, load(p))
            madd(&a1, w, load(p + 8))
          }
        }
        store(a0, out + r * ow + c, count: ow - c)
        store(a1, out + r * ow + c + 8, count: ow - c - 8)
        c += 16
      }
      if c < l.owPadded {
        var a0 = V()
        for ki in 0..<kh {
          let row = src + (r + ki * dh) * l.width + c
          for kj in 0..<kw { madd(&a0, tap(ki * kw + kj), load(row + kj * dw)) }
        }
        store(a0, out + r * ow + c, count: ow - c)
      }
    }
  }

  /// Stores the first `min(count, 8)` lanes of `v` at `dst`.
  @inline(__always)
  static func store(_ v: V, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    if count >= 8 {
      UnsafeMutableRawPointer(dst).storeBytes(of: v, as: V.self)
    } else {
      for i in 0..<count { dst[i] = v[i] }
    }
  }

  /// y = x ⋆ w for every (n, c) plane, parallel over planes.
  static func forward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ g: ConvShape
  ) {
    let xp = SendablePointer(x), wp = SendablePointer(w), yp = SendablePointer(y)
    let s = g, taps = g.kh * g.kw, inPlane = g.h * g.w, outPlane = g.oh * g.ow
    let l = Layout(
      h: g.h, w: g.w, oh: g.oh, ow: g.ow, kh: g.kh, kw: g.kw, dh: s.dilationH, dw: s.dilationW,
      padH: s.padH, padW: s.padW)
    parallelChunks(g.n * g.cin) { _, r in
      let scratch = makeScratch(l)
      defer { scratch.deallocate() }
      for p in r {
        fill(scratch, l, from: xp.p + p * inPlane, h: g.h, w: g.w)
        correlate(
          scratch, l, taps: wp.p + (p % g.cin) * taps, kh: g.kh, kw: g.kw, dh: s.dilationH,
          dw: s.dilationW, oh: g.oh, ow: g.ow, into: yp.p + p * outPlane)
      }
    }
  }

  /// The data gradient into `dx` and the weight gradient into `dw` (either may be nil), the latter
  /// summed from per-chunk partials in chunk order.
  static func backward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
    dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, _ g: ConvShape
  ) {
    let s = g, taps = g.kh * g.kw, inPlane = g.h * g.w, outPlane = g.oh * g.ow, wCount = g.cout * taps
    let needW = dw != nil
    // Data gradient: correlate dy (padded by d·(k−1) − p) with the flipped filter.
    let dl = Layout(
      h: g.oh, w: g.ow, oh: g.h, ow: g.w, kh: g.kh, kw: g.kw, dh: s.dilationH, dw: s.dilationW,
      padH: s.dilationH * (g.kh - 1) - s.padH, padW: s.dilationW * (g.kw - 1) - s.padW)
    // Weight gradient: dy padded to 8-wide rows against x padded as in forward.
    let xl = Layout(
      h: g.h, w: g.w, oh: g.oh, ow: g.ow, kh: g.kh, kw: g.kw, dh: s.dilationH, dw: s.dilationW,
      padH: s.padH, padW: s.padW)
    let chunks = Workers.workChunks(g.n * g.cin)
    let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks * wCount)
    defer { partial.deallocate() }
    let xp = SendablePointer(x), wp = SendablePointer(w)
    let gp = SendablePointer(dy), pp = SendablePointer(partial)
    let dxp = dx.map { SendablePointer($0) }
    parallelChunks(g.n * g.cin, chunks: chunks) { chunk, r in
      let dwc = pp.p + chunk * wCount
      dwc.update(repeating: 0, count: wCount)
      let dyScratch = makeScratch(dl)
      let xScratch = makeScratch(xl)
      let flipped = UnsafeMutablePointer<Float>.allocate(capacity: taps)
      let dyPadded = UnsafeMutablePointer<Float>.allocate(capacity: g.oh * xl.owPadded)
      defer {
        dyPadded.deallocate()
        dyScratch.deallocate()
        xScratch.deallocate()
        flipped.deallocate()
      }
      for p in r {
        let c = p % g.cin
        let gpl = gp.p + p * outPlane
        if let dxp {
          let wpl = wp.p + c * taps
          for t in 0..<taps { flipped[t] = wpl[taps - 1 - t] }
          fill(dyScratch, dl, from: gpl, h: g.oh, w: g.ow)
          correlate(
            dyScratch, dl, taps: flipped, kh: g.kh, kw: g.kw, dh: s.dilationH, dw: s.dilationW,
            oh: g.h, ow: g.w, into: dxp.p + p * inPlane)
        }
        if needW {
          fill(xScratch, xl, from: xp.p + p * inPlane, h: g.h, w: g.w)
          let dyRows: UnsafePointer<Float>
          if xl.owPadded == g.ow {
            dyRows = UnsafePointer(gpl)
          } else {
            for r in 0..<g.oh {
              (dyPadded + r * xl.owPadded).update(from: gpl + r * g.ow, count: g.ow)
              (dyPadded + r * xl.owPadded + g.ow).update(repeating: 0, count: xl.owPadded - g.ow)
            }
            dyRows = UnsafePointer(dyPadded)
          }
          weightGradient(dy: dyRows, g, xScratch, xl, into: dwc + c * taps)
        }
      }
    }
    if let dw { DepthwiseDirect.sumPartials(partial, chunks: chunks, count: wCount, into: dw) }
  }

  /// dw[tap] += Σ_{r,c} dy[r, c] · x̃[r + ki·dh, c + kj·dw] with x̃ the padded input and dy̌ the output
  /// gradient padded with zero columns to 8-wide rows.
  @inline(__always)
  static func weightGradient(
    dy: UnsafePointer<Float>, _ g: ConvShape, _ xs: UnsafePointer<Float>,
    _ l: Layout, into dw: UnsafeMutablePointer<Float>
  ) {
    switch (g.kh, g.kw) {
    case (3, 3): weightGradientK(dy: dy, g, xs, l, kh: 3, kw: 3, into: dw)
    case (5, 5): weightGradientK(dy: dy, g, xs, l, kh: 5, kw: 5, into: dw)
    default: weightGradientK(dy: dy, g, xs, l, kh: g.kh, kw: g.kw, into: dw)
    }
  }

  /// Register-accumulated taps: up to 9 taps in one pass over the plane (each 8-wide dy block loaded
  /// once), else one pass per filter row (up to 7 columns), else one pass per tap.
  @inline(__always)
  static func weightGradientK(
    dy: UnsafePointer<Float>, _ g: ConvShape, _ xs: UnsafePointer<Float>,
    _ l: Layout, kh: Int, kw: Int, into dw: UnsafeMutablePointer<Float>
  ) {
    let dh = g.dilationH, dwl = g.dilationW
    if kh * kw <= 9 {
      var acc = InlineArray<9, V>(repeating: V())
      for r in 0..<g.oh {
        let drow = dy + r * l.owPadded
        var c = 0
        while c < l.owPadded {
          let d = load(drow + c)
          for ki in 0..<kh {
            let xrow = xs + (r + ki * dh) * l.width + c
            for kj in 0..<kw {
              madd(&acc[ki * kw + kj], d, load(xrow + kj * dwl))
            }
          }
          c += 8
        }
      }
      for t in 0..<(kh * kw) { dw[t] += acc[t].sum() }
      return
    }
    if kw <= 7 {
      // One filter row at a time: kw register accumulators, each dy block loaded once per row.
      for ki in 0..<kh {
        var acc = InlineArray<7, V>(repeating: V())
        for r in 0..<g.oh {
          let drow = dy + r * l.owPadded
          let xrow = xs + (r + ki * dh) * l.width
          var c = 0
          while c < l.owPadded {
            let d = load(drow + c)
            for kj in 0..<kw { madd(&acc[kj], d, load(xrow + c + kj * dwl)) }
            c += 8
          }
        }
        for kj in 0..<kw { dw[ki * kw + kj] += acc[kj].sum() }
      }
      return
    }
    for ki in 0..<kh {
      for kj in 0..<kw {
        var a0 = V()
        for r in 0..<g.oh {
          let drow = dy + r * l.owPadded
          let xrow = xs + (r + ki * dh) * l.width + kj * dwl
          var c = 0
          while c < l.owPadded {
            madd(&a0, load(drow + c), load(xrow + c))
            c += 8
          }
        }
        dw[ki * kw + kj] += a0.sum()
      }
    }
  }
}
