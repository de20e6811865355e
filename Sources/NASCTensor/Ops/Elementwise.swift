/// Elementwise kernels: split over workers for large tensors, a plain loop for small ones.
@inline(__always)
func elementwiseChunks(_ n: Int, _ body: (Range<Int>) -> Void) {
  if n < 32_768 || Engine.threads == 1 {
    body(0..<n)
  } else {
    parallelChunks(n) { _, r in body(r) }
  }
}

extension Tensor {
  /// A new tensor of the same shape with `f` applied to every element (no graph link).
  @inline(__always)
  func mapped<F: UnaryKernel>(_ f: F) -> Tensor {
    let out = Tensor(uninitializedShape: shape)
    let x = storage.pointer, y = out.storage.pointer
    elementwiseChunks(count) { r in for i in r { y[i] = f(x[i]) } }
    return out
  }

  /// A new tensor combining `self` and `other` (same shape) elementwise (no graph link).
  @inline(__always)
  func zipped<F: BinaryKernel>(_ other: Tensor, _ f: F) -> Tensor {
    precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
    let out = Tensor(uninitializedShape: shape)
    let a = storage.pointer, b = other.storage.pointer, y = out.storage.pointer
    elementwiseChunks(count) { r in for i in r { y[i] = f(a[i], b[i]) } }
    return out
  }

  /// self += other, in place (copy-on-write), detaching `self` from the graph.
  mutating func addInPlace(_ other: Tensor) {
    precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
    let b = other.storage.pointer, n = count
    withUnsafeMutableBufferPointer { a in
      let a = a.baseAddress!
      elementwiseChunks(n) { r in for i in r { a[i] += b[i] } }
    }
  }

  /// self += alpha · other, in place (copy-on-write), detaching `self` from the graph.
  mutating func addInPlace(_ other: Tensor, scaledBy alpha: Float) {
    precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
    let b = other.storage.pointer, n = count
    withUnsafeMutableBufferPointer { a in
      let a = a.baseAddress!
      elementwiseChunks(n) { r in for i in r { a[i] += alpha * b[i] } }
    }
  }
}

// MARK: - Differentiable elementwise arithmetic

/// Elementwise sum of two tensors of the same shape.
public func + (a: Tensor, b: Tensor) -> Tensor {
  var y = a.zipped(b, K.Add())
  y.record(.add, a, b)
  return y
}

/// Elementwise difference of two tensors of the same shape.
public func - (a: Tensor, b: Tensor) -> Tensor {
  var y = a.zipped(b, K.Sub())
  y.record(.sub, a, b)
  return y
}

/// Elementwise product of two tensors of the same shape.
public func * (a: Tensor, b: Tensor) -> Tensor {
  var y = a.zipped(b, K.Mul())
  y.record(.mul(a.detached(), b.detached()), a, b)
  return y
}

/// Every element multiplied by a constant.
public func * (a: Tensor, s: Float) -> Tensor {
  var y = a.mapped(K.Scale(s: s))
  y.record(.mulScalar(s), a)
  return y
}

/// Every element multiplied by a constant.
public func * (s: Float, a: Tensor) -> Tensor { a * s }

/// Elementwise negation.
public prefix func - (a: Tensor) -> Tensor { a * -1 }

extension Tensor {
  /// Every element multiplied by the single element of `s` (shape `[1]` or any one-element shape);
  /// the gradient flows into both (the DARTS `w_k · o_k(x)` and the GDAS `h_k · O_k(x)`).
  public func scaled(by s: Tensor) -> Tensor {
    precondition(s.count == 1, "scaled(by:) needs a one-element tensor, got \(s.shape)")
    let k = s.storage.pointer[0]
    // x · 1 is x exactly (a straight-through one-hot weight): share the storage instead of copying.
    var y = k == 1 ? Tensor(storage: storage, shape: shape) : mapped(K.Scale(s: k))
    y.record(.scaleBy(self.detached(), s.detached()), self, s)
    return y
  }

  /// `self + c` elementwise, for a constant `c`.
  public func adding(_ c: Float) -> Tensor {
    var y = mapped(K.AddScalar(c: c))
    y.record(.identity, self)
    return y
  }

  /// Elementwise e^x.
  public func exp() -> Tensor {
    var y = mapped(K.Exp())
    let saved = y.detached()
    y.record(.exp(saved), self)
    return y
  }

  /// Elementwise natural logarithm.
  public func log() -> Tensor {
    var y = mapped(K.Log())
    y.record(.log(self.detached()), self)
    return y
  }

  /// Elementwise square.
  public func squared() -> Tensor { self * self }
}

/// Σ_k weights[k] · tensors[k]: the DARTS mixed-op output. `weights` is a 1-D tensor with one entry per
/// tensor (e.g. a softmax row of α); gradients flow into every tensor and into `weights`.
public func weightedSum(_ tensors: [Tensor], weights: Tensor) -> Tensor {
  precondition(!tensors.isEmpty, "weightedSum of no tensors")
  precondition(weights.count == tensors.count, "\(weights.count) weights for \(tensors.count) tensors")
  let shape = tensors[0].shape
  for t in tensors { precondition(t.shape == shape, "weightedSum shapes differ: \(t.shape) vs \(shape)") }
  var y = Tensor(uninitializedShape: shape)
  let w = weights.storage.pointer
  let out = y.storage.pointer
  let srcs = tensors.map { SendablePointer($0.storage.pointer) }
  elementwiseChunks(y.count) { r in
    let w0 = w[0], s0 = srcs[0].p
    for i in r { out[i] = w0 * s0[i] }
    for k in 1..<srcs.count {
      let wk = w[k], sk = srcs[k].p
      if wk == 0 { continue }
      for i in r { out[i] += wk * sk[i] }
    }
  }
  y.record(.weightedSum(tensors.map { $0.detached() }, weights.detached()), inputs: tensors + [weights])
  return y
}

/// The sum of several tensors of one shape.
public func sum(_ tensors: [Tensor]) -> Tensor {
  precondition(!tensors.isEmpty, "sum of no tensors")
  var acc = tensors[0]
  for t in tensors.dropFirst() { acc = acc + t }
  return acc
}

// MARK: - Backward rules for this file

enum ElementwiseGrad {
  static func mul(_ a: Tensor, _ b: Tensor, _ g: Tensor) -> [Tensor?] {
    [g.zipped(b, K.Mul()), g.zipped(a, K.Mul())]
  }

  static func scaleBy(_ x: Tensor, _ s: Tensor, _ g: Tensor) -> [Tensor?] {
    let k = s.storage.pointer[0]
    let gx = k == 1 ? g : g.mapped(K.Scale(s: k))
    let dot = Reduce.dot(g.storage.pointer, x.storage.pointer, count: g.count)
    return [gx, Tensor(repeating: dot, shape: s.shape)]
  }

  /// One pass per candidate: its gradient w_k·g and the weight gradient Σ g·x_k together, split into
  /// fixed chunks whose partial dot products are combined in order (deterministic).
  static func weightedSum(_ xs: [Tensor], _ w: Tensor, _ g: Tensor, need: [Bool]) -> [Tensor?] {
    let n = g.count, kCount = xs.count
    let chunks = n < 65_536 ? 1 : Engine.workChunks(n)
    let outs: [Tensor?] = (0..<kCount).map { need[$0] ? Tensor(uninitializedShape: g.shape) : nil }
    var partial = [Double](repeating: 0, count: kCount * chunks)
    let needW = need[kCount]
    let gp = SendablePointer(g.storage.pointer), wp = w.storage.pointer
    let xps = xs.map { SendablePointer($0.storage.pointer) }
    let ops = outs.map { $0.map { SendablePointer($0.storage.pointer) } }
    let weights = (0..<kCount).map { wp[$0] }
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
    return outs + [needW ? Tensor(shape: w.shape, scalars: dw) : nil]
  }

}
