import NASCKernelSupport

/// The column-stride-2 depthwise fast path (every DARTS reduction-cell sep/dil conv): only the needed
/// outputs are computed, on 8-wide SIMD blocks.
///
/// With x̃ the zero-padded input plane, y[r, c] = Σ w[ki, kj] · x̃[r·sh + ki·dh, 2c + kj·dw]. Each plane
/// is deinterleaved into the even and odd columns of x̃ (two half-width planes E and O in a scratch
/// buffer reused per worker), so tap (ki, kj) reads 8 consecutive outputs' inputs with one load from
/// E (kj·dw even) or O (odd). The weight gradient correlates dy with the same planes. The data
/// gradient is the transposed gather by output phase: dx̃[I, J] sums the taps with I − ki·dh ≡ 0 (mod
/// sh) and J − kj·dw even, reading dy at ((I − ki·dh)/sh, (J − kj·dw)/2): per x row, the even and odd
/// x̃ columns are accumulated side by side from their taps and interleaved into the dx row.
enum DepthwiseStride2 {
  typealias V = SIMD8<Float>

  /// The deinterleaved scratch of the forward pass and the weight gradient: E then O, each
  /// `rows × width`, where E[i, m] = x̃[i, 2m] and O[i, m] = x̃[i, 2m + 1].
  struct Planes {
    let rows, width, plane, owPadded: Int
    let padH, padW, sh, dh, dw: Int
    /// Whether any tap reads O (kw > 1 and odd column dilation).
    let needsOdd: Bool
    /// 2 when only even rows of x̃ are ever read (row stride 2, even row dilation), else 1 (a
    /// power of two, used as a mask).
    let rowStep: Int

    init(_ g: ConvShape) {
      let s = g
      padH = s.padH
      padW = s.padW
      sh = s.strideH
      dh = s.dilationH
      dw = s.dilationW
      owPadded = (g.ow + 7) / 8 * 8
      width = max(owPadded + dw * (g.kw - 1) / 2, (padW + g.w + 1) / 2)
      rows = max(sh * (g.oh - 1) + dh * (g.kh - 1) + 1, padH + g.h)
      plane = rows * width
      needsOdd = g.kw > 1 && dw % 2 == 1
      rowStep = sh == 2 && (g.kh == 1 || dh % 2 == 0) ? 2 : 1
    }

    /// Scratch floats: E, O when read, and a slack block.
    var count: Int { (needsOdd ? 2 : 1) * plane + 8 }

    /// Offset of x̃[row ki·dh, column kj·dw] from x̃[0, 0] in the scratch.
    @inline(__always)
    func tapOffset(_ ki: Int, _ kj: Int) -> Int {
      let col = kj * dw
      return ki * dh * width + (col & 1) * plane + (col >> 1)
    }
  }

  /// A zeroed scratch; `fill` only writes the interior, so the border stays zero for every plane.
  static func makeScratch(_ count: Int) -> UnsafeMutablePointer<Float> {
    let p = UnsafeMutablePointer<Float>.allocate(capacity: count)
    p.initialize(repeating: 0, count: count)
    return p
  }

  @inline(__always)
  static func load(_ p: UnsafePointer<Float>) -> V { UnsafeRawPointer(p).loadUnaligned(as: V.self) }

  @inline(__always)
  static func store(_ v: V, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: V.self)
  }

  /// Deinterleaves an `h × w` plane into the interior of the E/O scratch (rows of x̃ that are never
  /// read are skipped): x[i, j] lands at x̃[i + padH, j + padW].
  @inline(never)
  static func fill(
    _ scratch: UnsafeMutablePointer<Float>, _ l: Planes, from src: UnsafePointer<Float>, h: Int, w: Int
  ) {
    // Even x columns go to plane A at offset aOff + j/2, odd ones to plane B at bOff + j/2.
    let odd = l.padW & 1 == 1
    let aPlane = odd ? l.plane : 0, bPlane = odd ? 0 : l.plane
    let aOff = l.padW >> 1, bOff = (l.padW + 1) >> 1
    let storeA = !odd || l.needsOdd, storeB = odd || l.needsOdd
    for i in 0..<h where (i + l.padH) & (l.rowStep - 1) == 0 {
      let row = scratch + (i + l.padH) * l.width, s = src + i * w
      let a = row + aPlane + aOff, b = row + bPlane + bOff
      var m = 0
      while 2 * m + 16 <= w {
        let v = UnsafeRawPointer(s + 2 * m).loadUnaligned(as: SIMD16<Float>.self)
        if storeA { store(v.evenHalf, a + m) }
        if storeB { store(v.oddHalf, b + m) }
        m += 8
      }
      var j = 2 * m
      while j < w {
        if j & 1 == 0 {
          if storeA { a[j >> 1] = s[j] }
        } else if storeB {
          b[j >> 1] = s[j]
        }
        j += 1
      }
    }
  }

  /// Copies `count` floats (vector moves for whole blocks).
  @inline(__always)
  static func copy(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, count: Int) {
    var c = 0
    while c + 8 <= count {
      store(load(src + c), dst + c)
      c += 8
    }
    while c < count {
      dst[c] = src[c]
      c += 1
    }
  }

  /// Stores the first `min(count, 8)` lanes of `v`.
  @inline(__always)
  static func store(_ v: V, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    if count >= 8 {
      store(v, dst)
    } else {
      for i in 0..<count { dst[i] = v[i] }
    }
  }

  @inline(__always)
  static func madd(_ acc: inout V, _ a: V, _ b: V) { DepthwiseStride1.madd(&acc, a, b) }

  // MARK: Forward

  /// y = x ⋆ w (column stride 2) for every (n, c) plane, parallel over planes.
  static func forward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ g: ConvShape
  ) {
    let xp = SendablePointer(x), wp = SendablePointer(w), yp = SendablePointer(y)
    let taps = g.kh * g.kw, inPlane = g.h * g.w, outPlane = g.oh * g.ow
    let l = Planes(g)
    parallelChunks(g.n * g.cin) { _, r in
      let scratch = makeScratch(l.count)
      defer { scratch.deallocate() }
      for p in r {
        fill(scratch, l, from: xp.p + p * inPlane, h: g.h, w: g.w)
        correlate(scratch, l, taps: wp.p + (p % g.cin) * taps, g, into: yp.p + p * outPlane)
      }
    }
  }

  /// y[r, c] = Σ taps[t] · scratch[r·sh·width + offset(t) + c], dispatched to copies specialised for
  /// the DARTS kernel sizes so that the tap loops unroll. The copies are separate functions: inlined
  /// into a large caller, the SIMD loads would be left as calls.
  @inline(__always)
  static func correlate(
    _ src: UnsafePointer<Float>, _ l: Planes, taps: UnsafePointer<Float>, _ g: ConvShape,
    into out: UnsafeMutablePointer<Float>
  ) {
    switch (g.kh, g.kw) {
    case (3, 3): correlate3x3(src, l, taps: taps, oh: g.oh, ow: g.ow, into: out)
    case (5, 5): correlate5x5(src, l, taps: taps, oh: g.oh, ow: g.ow, into: out)
    default: correlateAny(src, l, taps: taps, kh: g.kh, kw: g.kw, oh: g.oh, ow: g.ow, into: out)
    }
  }

  @inline(never)
  static func correlate3x3(
    _ src: UnsafePointer<Float>, _ l: Planes, taps: UnsafePointer<Float>, oh: Int, ow: Int,
    into out: UnsafeMutablePointer<Float>
  ) { correlateK(src, l, taps: taps, kh: 3, kw: 3, oh: oh, ow: ow, into: out) }

  @inline(never)
  static func correlate5x5(
    _ src: UnsafePointer<Float>, _ l: Planes, taps: UnsafePointer<Float>, oh: Int, ow: Int,
    into out: UnsafeMutablePointer<Float>
  ) { correlateK(src, l, taps: taps, kh: 5, kw: 5, oh: oh, ow: ow, into: out) }

  @inline(never)
  static func correlateAny(
    _ src: UnsafePointer<Float>, _ l: Planes, taps: UnsafePointer<Float>, kh: Int, kw: Int, oh: Int,
    ow: Int, into out: UnsafeMutablePointer<Float>
  ) { correlateK(src, l, taps: taps, kh: kh, kw: kw, oh: oh, ow: ow, into: out) }

  @inline(__always)
  static func correlateK(
    _ src: UnsafePointer<Float>, _ l: Planes, taps: UnsafePointer<Float>, kh: Int, kw: Int,
    oh: Int, ow: Int, into out: UnsafeMutablePointer<Float>
  ) {
    let nt = kh * kw
    var off = InlineArray<49, Int>(repeating: 0)
    for ki in 0..<kh { for kj in 0..<kw { off[ki * kw + kj] = l.tapOffset(ki, kj) } }
    // Up to 9 taps are broadcast once into registers (see DepthwiseStride1.correlateK).
    var wv = InlineArray<9, V>(repeating: V())
    let inRegisters = nt <= 9
    if inRegisters { for t in 0..<nt { wv[t] = V(repeating: taps[t]) } }
    @inline(__always) func tap(_ t: Int) -> V { inRegisters ? wv[t] : V(repeating: taps[t]) }
    let step = l.sh * l.width
    if l.owPadded == 8 {
      // One block per row: two rows at a time, so two FMA chains overlap.
      var r = 0
      while r + 1 < oh {
        var a0 = V(), a1 = V()
        let row = src + r * step
        for t in 0..<nt {
          let wt = tap(t)
          madd(&a0, wt, load(row + off[t]))
          madd(&a1, wt, load(row + step + off[t]))
        }
        store(a0, out + r * ow, count: ow)
        store(a1, out + (r + 1) * ow, count: ow)
        r += 2
      }
      if r < oh {
        var a0 = V()
        let row = src + r * step
        for t in 0..<nt { madd(&a0, tap(t), load(row + off[t])) }
        store(a0, out + r * ow, count: ow)
      }
      return
    }
    for r in 0..<oh {
      let row = src + r * step
      let dst = out + r * ow
      var c = 0
      while !inRegisters && c + 32 <= l.owPadded {
        var a0 = V(), a1 = V(), a2 = V(), a3 = V()
        for t in 0..<nt {
          let wt = tap(t)
          let p = row + off[t] + c
          madd(&a0, wt, load(p))
          madd(&a1, wt, load(p + 8))
          madd(&a2, wt, load(p + 16))
          madd(&a3, wt, load(p + 24))
        }
        store(a0, dst + c, count: ow - c)
        store(a1, dst + c + 8, count: ow - c - 8)
        store(a2, dst + c + 16, count: ow - c - 16)
        store(a3, dst + c + 24, count: ow - c - 24)
        c += 32
      }
      while c + 16 <= l.owPadded {
        var a0 = V(), a1 = V()
        for t in 0..<nt {
          let wt = tap(t)
          let p = row + off[t] + c
          madd(&a0, wt, load(p))
          madd(&a1, wt, load(p + 8))
        }
        store(a0, dst + c, count: ow - c)
        store(a1, dst + c + 8, count: ow - c - 8)
        c += 16
      }
      if c < l.owPadded {
        var a0 = V()
        for t in 0..<nt { madd(&a0, tap(t), load(row + off[t] + c)) }
        store(a0, dst + c, count: ow - c)
      }
    }
  }

  // MARK: Backward

  /// The data gradient's zero-padded dy scratch: dy[r, c] at row r + padR, column c + padC.
  ///
  /// Row I = sh·a + b of x̃ reads dy row a + (b − ki·dh)/sh for the ki with b − ki·dh ≡ 0 (mod sh).
  /// Column pair p of a dx row covers x̃ columns J = padW + 2p and J + 1; an even column 2m reads
  /// dy column m − kj·dw/2 for the even kj·dw, an odd one 2m + 1 reads m − (kj·dw − 1)/2 for the odd.
  struct GradLayout {
    let rows, width, padR, padC, pairsPadded: Int
    /// E/O index of the first pair's even and odd member (m for x̃ columns 2m and 2m + 1).
    let evenBase, oddBase: Int

    init(_ g: ConvShape) {
      let s = g
      let sh = s.strideH, dh = s.dilationH, dw = s.dilationW
      padR = dh * (g.kh - 1) / sh
      padC = dw * (g.kw - 1) / 2
      pairsPadded = ((g.w + 1) / 2 + 7) / 8 * 8
      // padW even: J = padW + 2p is even (m = padW/2 + p), J + 1 odd (same m); padW odd: J is odd
      // (m = (padW − 1)/2 + p), J + 1 even (m = (padW + 1)/2 + p).
      evenBase = (s.padW + 1) >> 1
      oddBase = s.padW >> 1
      width = max(padC + g.ow, max(evenBase, oddBase) + pairsPadded + padC)
      rows = padR + max(g.oh, (s.padH + g.h - 1) / sh + 1)
    }
  }

  /// The data gradient into `dx` and the weight gradient into `dw` (either may be nil), the latter
  /// summed from per-chunk partials in chunk order.
  static func backward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
    dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, _ g: ConvShape
  ) {
    let taps = g.kh * g.kw, inPlane = g.h * g.w, outPlane = g.oh * g.ow, wCount = g.cout * taps
    let needX = dx != nil, needW = dw != nil
    let l = Planes(g), gl = GradLayout(g)
    let chunks = Workers.workChunks(g.n * g.cin)
    let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks * wCount)
    defer { partial.deallocate() }
    let xp = SendablePointer(x), wp = SendablePointer(w)
    let gp = SendablePointer(dy), pp = SendablePointer(partial)
    let dxp = dx.map { SendablePointer($0) }
    parallelChunks(g.n * g.cin, chunks: chunks) { chunk, r in
      let dwc = pp.p + chunk * wCount
      dwc.update(repeating: 0, count: wCount)
      let xScratch = needW ? makeScratch(l.count) : nil
      let dyPadded = needW && l.owPadded != g.ow ? makeScratch(g.oh * l.owPadded) : nil
      let dyScratch = needX ? makeScratch(gl.rows * gl.width + 8) : nil
      defer {
        xScratch?.deallocate()
        dyPadded?.deallocate()
        dyScratch?.deallocate()
      }
      for p in r {
        let c = p % g.cin
        let gpl = gp.p + p * outPlane, wpl = wp.p + c * taps
        if let dxp, let dyScratch {
          for row in 0..<g.oh {
            copy(dyScratch + (row + gl.padR) * gl.width + gl.padC, gpl + row * g.ow, count: g.ow)
          }
          dataGradient(dyScratch, gl, taps: wpl, g, into: dxp.p + p * inPlane)
        }
        if let xScratch {
          fill(xScratch, l, from: xp.p + p * inPlane, h: g.h, w: g.w)
          let dyRows: UnsafePointer<Float>
          if let dyPadded {
            for row in 0..<g.oh { copy(dyPadded + row * l.owPadded, gpl + row * g.ow, count: g.ow) }
            dyRows = UnsafePointer(dyPadded)
          } else {
            dyRows = UnsafePointer(gpl)
          }
          weightGradient(dy: dyRows, xScratch, l, g, into: dwc + c * taps)
        }
      }
    }
    if let dw { DepthwiseDirect.sumPartials(partial, chunks: chunks, count: wCount, into: dw) }
  }

  /// dx for one plane from the padded dy scratch, dispatched to copies specialised for the DARTS
  /// kernel sizes and column dilations (separate functions, as for `correlate`).
  @inline(__always)
  static func dataGradient(
    _ dys: UnsafePointer<Float>, _ gl: GradLayout, taps: UnsafePointer<Float>, _ g: ConvShape,
    into dx: UnsafeMutablePointer<Float>
  ) {
    switch (g.kh, g.kw, g.dilationW) {
    case (3, 3, 1): dataGradient3x3d1(dys, gl, taps: taps, g, into: dx)
    case (3, 3, 2): dataGradient3x3d2(dys, gl, taps: taps, g, into: dx)
    case (5, 5, 1): dataGradient5x5d1(dys, gl, taps: taps, g, into: dx)
    case (5, 5, 2): dataGradient5x5d2(dys, gl, taps: taps, g, into: dx)
    default: dataGradientAny(dys, gl, taps: taps, g, into: dx)
    }
  }

  @inline(never)
  static func dataGradient3x3d1(
    _ dys: UnsafePointer<Float>, _ gl: GradLayout, taps: UnsafePointer<Float>, _ g: ConvShape,
    into dx: UnsafeMutablePointer<Float>
  ) { dataGradientK(dys, gl, taps: taps, g, kh: 3, kw: 3, dw: 1, into: dx) }

  @inline(never)
  static func dataGradient3x3d2(
    _ dys: UnsafePointer<Float>, _ gl: GradLayout, taps: UnsafePointer<Float>, _ g: ConvShape,
    into dx: UnsafeMutablePointer<Float>
  ) { dataGradientK(dys, gl, taps: taps, g, kh: 3, kw: 3, dw: 2, into: dx) }

  @inline(never)
  static func dataGradient5x5d1(
    _ dys: UnsafePointer<Float>, _ gl: GradLayout, taps: UnsafePointer<Float>, _ g: ConvShape,
    into dx: UnsafeMutablePointer<Float>
  ) { dataGradientK(dys, gl, taps: taps, g, kh: 5, kw: 5, dw: 1, into: dx) }

  @inline(never)
  static func dataGradient5x5d2(
    _ dys: UnsafePointer<Float>, _ gl: GradLayout, taps: UnsafePointer<Float>, _ g: ConvShape,
    into dx: UnsafeMutablePointer<Float>
  ) { dataGradientK(dys, gl, taps: taps, g, kh: 5, kw: 5, dw: 2, into: dx) }

  @inline(never)
  static func dataGradientAny(
    _ dys: UnsafePointer<Float>, _ gl: GradLayout, taps: UnsafePointer<Float>, _ g: ConvShape,
    into dx: UnsafeMutablePointer<Float>
  ) { dataGradientK(dys, gl, taps: taps, g, kh: g.kh, kw: g.kw, dw: g.dilationW, into: dx) }

  /// Per x row: the taps whose row phase matches, each added to the even-column (kj·dw even) or
  /// odd-column accumulator of 8 pairs (two blocks side by side when the row is wide enough); the
  /// two are interleaved into the dx row.
  @inline(__always)
  static func dataGradientK(
    _ dys: UnsafePointer<Float>, _ gl: GradLayout, taps: UnsafePointer<Float>, _ g: ConvShape,
    kh: Int, kw: Int, dw: Int, into dx: UnsafeMutablePointer<Float>
  ) {
    let sh = g.strideH, dh = g.dilationH, padH = g.padH, w = g.w  // sh is 1 or 2
    let mask = sh - 1, shift = sh - 1
    let nt = kh * kw
    var wv = InlineArray<9, V>(repeating: V())
    let inRegisters = nt <= 9
    if inRegisters { for t in 0..<nt { wv[t] = V(repeating: taps[t]) } }
    @inline(__always) func tap(_ t: Int) -> V { inRegisters ? wv[t] : V(repeating: taps[t]) }
    let evenFirst = g.padW & 1 == 0
    // Odd rows of x̃ get nothing when every tap row is even and the row stride is 2.
    let oddRowsZero = sh == 2 && (kh == 1 || dh % 2 == 0)
    let pairsPadded = gl.pairsPadded
    let eBase = gl.evenBase + gl.padC, oBase = gl.oddBase + gl.padC
    for i in 0..<g.h {
      let rowI = i + padH, a = rowI >> shift, b = rowI & mask
      let drow = dx + i * w
      if oddRowsZero && b == 1 {
        drow.update(repeating: 0, count: w)
        continue
      }
      let base = dys + (a + gl.padR) * gl.width
      var p = 0
      while p + 16 <= pairsPadded {
        var e0 = V(), e1 = V(), o0 = V(), o1 = V()
        for ki in 0..<kh where (b - ki * dh) & mask == 0 {
          let row = base + ((b - ki * dh) >> shift) * gl.width + p
          for kj in 0..<kw {
            let col = kj * dw, wt = tap(ki * kw + kj)
            if col & 1 == 0 {
              let q = row + eBase - (col >> 1)
              madd(&e0, wt, load(q))
              madd(&e1, wt, load(q + 8))
            } else {
              let q = row + oBase - (col >> 1)
              madd(&o0, wt, load(q))
              madd(&o1, wt, load(q + 8))
            }
          }
        }
        if evenFirst {
          storeInterleaved(e0, o0, drow + 2 * p, count: w - 2 * p)
          storeInterleaved(e1, o1, drow + 2 * p + 16, count: w - 2 * p - 16)
        } else {
          storeInterleaved(o0, e0, drow + 2 * p, count: w - 2 * p)
          storeInterleaved(o1, e1, drow + 2 * p + 16, count: w - 2 * p - 16)
        }
        p += 16
      }
      if p < pairsPadded {
        var e0 = V(), o0 = V()
        for ki in 0..<kh where (b - ki * dh) & mask == 0 {
          let row = base + ((b - ki * dh) >> shift) * gl.width + p
          for kj in 0..<kw {
            let col = kj * dw, wt = tap(ki * kw + kj)
            if col & 1 == 0 {
              madd(&e0, wt, load(row + eBase - (col >> 1)))
            } else {
              madd(&o0, wt, load(row + oBase - (col >> 1)))
            }
          }
        }
        if evenFirst {
          storeInterleaved(e0, o0, drow + 2 * p, count: w - 2 * p)
        } else {
          storeInterleaved(o0, e0, drow + 2 * p, count: w - 2 * p)
        }
      }
    }
  }

  /// Stores e0, o0, e1, o1, … (the first `min(count, 16)` of them).
  @inline(__always)
  static func storeInterleaved(_ e: V, _ o: V, _ dst: UnsafeMutablePointer<Float>, count: Int) {
    let lo = V(e[0], o[0], e[1], o[1], e[2], o[2], e[3], o[3])
    let hi = V(e[4], o[4], e[5], o[5], e[6], o[6], e[7], o[7])
    store(lo, dst, count: count)
    if count > 8 { store(hi, dst + 8, count: count - 8) }
  }

  /// dw[t] += Σ_{r,c} dy[r, c] · scratch[r·sh·width + offset(t) + c], with dy padded with zero
  /// columns to 8-wide rows.
  @inline(__always)
  static func weightGradient(
    dy: UnsafePointer<Float>, _ xs: UnsafePointer<Float>, _ l: Planes, _ g: ConvShape,
    into dw: UnsafeMutablePointer<Float>
  ) {
    switch (g.kh, g.kw) {
    case (3, 3): weightGradient3x3(dy: dy, xs, l, oh: g.oh, into: dw)
    case (5, 5): weightGradient5x5(dy: dy, xs, l, oh: g.oh, into: dw)
    default: weightGradientAny(dy: dy, xs, l, kh: g.kh, kw: g.kw, oh: g.oh, into: dw)
    }
  }

  @inline(never)
  static func weightGradient3x3(
    dy: UnsafePointer<Float>, _ xs: UnsafePointer<Float>, _ l: Planes, oh: Int,
    into dw: UnsafeMutablePointer<Float>
  ) { weightGradientK(dy: dy, xs, l, kh: 3, kw: 3, oh: oh, into: dw) }

  @inline(never)
  static func weightGradient5x5(
    dy: UnsafePointer<Float>, _ xs: UnsafePointer<Float>, _ l: Planes, oh: Int,
    into dw: UnsafeMutablePointer<Float>
  ) { weightGradientK(dy: dy, xs, l, kh: 5, kw: 5, oh: oh, into: dw) }

  @inline(never)
  static func weightGradientAny(
    dy: UnsafePointer<Float>, _ xs: UnsafePointer<Float>, _ l: Planes, kh: Int, kw: Int, oh: Int,
    into dw: UnsafeMutablePointer<Float>
  ) { weightGradientK(dy: dy, xs, l, kh: kh, kw: kw, oh: oh, into: dw) }

  /// Up to 9 taps accumulate in registers in one pass over the plane, else one pass per filter row
  /// (kw ≤ 7 accumulators).
  @inline(__always)
  static func weightGradientK(
    dy: UnsafePointer<Float>, _ xs: UnsafePointer<Float>, _ l: Planes, kh: Int, kw: Int, oh: Int,
    into dw: UnsafeMutablePointer<Float>
  ) {
    var off = InlineArray<49, Int>(repeating: 0)
    for ki in 0..<kh { for kj in 0..<kw { off[ki * kw + kj] = l.tapOffset(ki, kj) } }
    let step = l.sh * l.width
    if kh * kw <= 9 {
      var acc = InlineArray<9, V>(repeating: V())
      for r in 0..<oh {
        let drow = dy + r * l.owPadded, xrow = xs + r * step
        var c = 0
        while c < l.owPadded {
          let d = load(drow + c)
          for t in 0..<(kh * kw) { madd(&acc[t], d, load(xrow + off[t] + c)) }
          c += 8
        }
      }
      for t in 0..<(kh * kw) { dw[t] += acc[t].sum() }
      return
    }
    for ki in 0..<kh {
      var acc = InlineArray<7, V>(repeating: V())
      for r in 0..<oh {
        let drow = dy + r * l.owPadded, xrow = xs + r * step
        var c = 0
        while c < l.owPadded {
          let d = load(drow + c)
          for kj in 0..<kw { madd(&acc[kj], d, load(xrow + off[ki * kw + kj] + c)) }
          c += 8
        }
      }
      for kj in 0..<kw { dw[ki * kw + kj] += acc[kj].sum() }
    }
  }
}
