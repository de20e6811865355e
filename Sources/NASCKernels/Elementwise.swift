import NASCKernelSupport

/// Elementwise maps, in-place updates and the DARTS mixed-op sum with its gradient.
enum Elementwise {
  /// y[i] = f(x[i]) for i < n (y may be x).
  @inline(__always)
  static func map<F: UnaryKernel>(_ f: F, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    elementwiseChunks(n) { r in for i in r { y[i] = f(x[i]) } }
  }

  /// y[i] = f(a[i], b[i]) for i < n.
  @inline(__always)
  static func zip<F: BinaryKernel>(
    _ f: F, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int
  ) {
    elementwiseChunks(n) { r in for i in r { y[i] = f(a[i], b[i]) } }
  }

  static func map(_ op: UnaryOp, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
    switch op {
    case .scale(let s): map(K.Scale(s: s), x, y, n)
    case .addScalar(let c): map(K.AddScalar(c: c), x, y, n)
    case .exp: map(K.Exp(), x, y, n)
    case .log: map(K.Log(), x, y, n)
    case .relu: map(K.Relu(), x, y, n)
    case .relu6: map(K.Relu6(), x, y, n)
    case .tanh: map(K.Tanh(), x, y, n)
    case .sigmoid: map(K.Sigmoid(), x, y, n)
    case .indicator(let t): map(K.Indicator(threshold: t), x, y, n)
    }
  }

  static func zip(
    _ op: BinaryOp, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
    count n: Int
  ) {
    switch op {
    case .add: zip(K.Add(), a, b, y, n)
    case .sub: zip(K.Sub(), a, b, y, n)
    case .mul: zip(K.Mul(), a, b, y, n)
    case .div: zip(K.Div(), a, b, y, n)
    case .reluGrad: zip(K.ReluGrad(), a, b, y, n)
    case .relu6Grad: zip(K.Relu6Grad(), a, b, y, n)
    case .tanhGrad: zip(K.TanhGrad(), a, b, y, n)
    case .sigmoidGrad: zip(K.SigmoidGrad(), a, b, y, n)
    }
  }

  /// a += b, or a += alpha · b when `alpha` is given.
  static func add(
    _ b: UnsafePointer<Float>, scaledBy alpha: Float?, into a: UnsafeMutablePointer<Float>, count n: Int
  ) {
    if let alpha {
      elementwiseChunks(n) { r in for i in r { a[i] += alpha * b[i] } }
    } else {
      elementwiseChunks(n) { r in for i in r { a[i] += b[i] } }
    }
  }

  /// out = Σ_k weights[k] · sources[k] (candidates with weight 0 skipped after the first).
  static func weightedSum(
    _ sources: [UnsafePointer<Float>], weights w: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
    count n: Int
  ) {
    let srcs = sources.map { SendablePointer($0) }
    elementwiseChunks(n) { r in
      let w0 = w[0], s0 = srcs[0].p
      for i in r { out[i] = w0 * s0[i] }
      for k in 1..<srcs.count {
        let wk = w[k], sk = srcs[k].p
        if wk == 0 { continue }
        for i in r { out[i] += wk * sk[i] }
      }
    }
  }

  /// One pass per candidate: its gradient w_k·g (into `outs[k]` when given) and, when `needW`, the
  /// weight gradient Σ g·x_k, split into fixed chunks whose partial dot products are combined in order
  /// (deterministic). Returns the weight gradient (zeros without `needW`).
  static func weightedSumBackward(
    _ g: UnsafePointer<Float>, sources: [UnsafePointer<Float>], weights: [Float],
    into outs: [UnsafeMutablePointer<Float>?], needW: Bool, count n: Int
  ) -> [Float] {
    let kCount = sources.count
    let chunks = n < 65_536 ? 1 : Workers.workChunks(n)
    var partial = [Double](repeating: 0, count: kCount * chunks)
    let gp = SendablePointer(g)
    let xps = sources.map { SendablePointer($0) }
    let ops = outs.map { $0.map { SendablePointer($0) } }
    partial.withUnsafeMutableBufferPointer { pb in
      let pp = UncheckedSendable(pb.baseAddress!)
      parallelChunks(n, chunks: chunks) { c, r in
        typealias V = SIMD8<Float>
        for k in 0..<kCount {
          let x = xps[k].p, o = ops[k]?.p, wk = weights[k], wv = V(repeating: wk)
          var acc = V()
          var i = r.lowerBound
          while i + 8 <= r.upperBound {
            let gv = UnsafeRawPointer(gp.p + i).loadUnaligned(as: V.self)
            if let o { UnsafeMutableRawPointer(o + i).storeBytes(of: gv * wv, as: V.self) }
            if needW { acc += gv * UnsafeRawPointer(x + i).loadUnaligned(as: V.self) }
            i += 8
          }
          var tail: Float = 0
          while i < r.upperBound {
            o?[i] = gp.p[i] * wk
            tail += gp.p[i] * x[i]
            i += 1
          }
          pp.value[k * chunks + c] = Double(acc.sum() + tail)
        }
      }
    }
    var dw = [Float](repeating: 0, count: kCount)
    for k in 0..<kCount { dw[k] = Float((0..<chunks).reduce(0.0) { $0 + partial[k * chunks + $1] }) }
    return dw
  }
}
