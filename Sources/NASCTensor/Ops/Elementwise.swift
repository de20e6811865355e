import NASCKernelSupport

extension Tensor {
  /// A new tensor of the same shape with `op` applied to every element (no graph link).
  func mapped(_ op: UnaryOp) -> Tensor {
    let out = Tensor(uninitializedShape: shape)
    kernels.map(op, storage.pointer, into: out.storage.pointer, count: count)
    return out
  }

  /// A new tensor combining `self` and `other` (same shape) elementwise (no graph link).
  func zipped(_ other: Tensor, _ op: BinaryOp) -> Tensor {
    precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
    let out = Tensor(uninitializedShape: shape)
    kernels.zip(op, storage.pointer, other.storage.pointer, into: out.storage.pointer, count: count)
    return out
  }

  /// self += other, in place (copy-on-write), detaching `self` from the graph.
  mutating func addInPlace(_ other: Tensor) {
    precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
    let b = other.storage.pointer, n = count
    withUnsafeMutableBufferPointer { a in kernels.add(b, scaledBy: nil, into: a.baseAddress!, count: n) }
  }

  /// self += alpha · other, in place (copy-on-write), detaching `self` from the graph.
  mutating func addInPlace(_ other: Tensor, scaledBy alpha: Float) {
    precondition(shape == other.shape, "shapes \(shape) and \(other.shape) differ")
    let b = other.storage.pointer, n = count
    withUnsafeMutableBufferPointer { a in kernels.add(b, scaledBy: alpha, into: a.baseAddress!, count: n) }
  }
}

// MARK: - Differentiable elementwise arithmetic

/// Elementwise sum of two tensors of the same shape.
public func + (a: Tensor, b: Tensor) -> Tensor {
  var y = a.zipped(b, .add)
  y.record(.add, a, b)
  return y
}

/// Elementwise difference of two tensors of the same shape.
public func - (a: Tensor, b: Tensor) -> Tensor {
  var y = a.zipped(b, .sub)
  y.record(.sub, a, b)
  return y
}

/// Elementwise product of two tensors of the same shape.
public func * (a: Tensor, b: Tensor) -> Tensor {
  var y = a.zipped(b, .mul)
  y.record(.mul(a.detached(), b.detached()), a, b)
  return y
}

/// Every element multiplied by a constant.
public func * (a: Tensor, s: Float) -> Tensor {
  var y = a.mapped(.scale(s))
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
    var y = k == 1 ? Tensor(storage: storage, shape: shape) : mapped(.scale(k))
    y.record(.scaleBy(self.detached(), s.detached()), self, s)
    return y
  }

  /// `self + c` elementwise, for a constant `c`.
  public func adding(_ c: Float) -> Tensor {
    var y = mapped(.addScalar(c))
    y.record(.identity, self)
    return y
  }

  /// Elementwise e^x.
  public func exp() -> Tensor {
    var y = mapped(.exp)
    let saved = y.detached()
    y.record(.exp(saved), self)
    return y
  }

  /// Elementwise natural logarithm.
  public func log() -> Tensor {
    var y = mapped(.log)
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
  kernels.weightedSum(
    tensors.map { UnsafePointer($0.storage.pointer) }, weights: weights.storage.pointer, into: y.storage.pointer,
    count: y.count)
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
    [g.zipped(b, .mul), g.zipped(a, .mul)]
  }

  static func scaleBy(_ x: Tensor, _ s: Tensor, _ g: Tensor) -> [Tensor?] {
    let k = s.storage.pointer[0]
    let gx = k == 1 ? g : g.mapped(.scale(k))
    let dot = kernels.dot(g.storage.pointer, x.storage.pointer, count: g.count)
    return [gx, Tensor(repeating: dot, shape: s.shape)]
  }

  /// One pass per candidate: its gradient w_k·g and the weight gradient Σ g·x_k together, split into
  /// fixed chunks whose partial dot products are combined in order (deterministic).
  static func weightedSum(_ xs: [Tensor], _ w: Tensor, _ g: Tensor, need: [Bool]) -> [Tensor?] {
    let kCount = xs.count, needW = need[kCount]
    let outs: [Tensor?] = (0..<kCount).map { need[$0] ? Tensor(uninitializedShape: g.shape) : nil }
    let wp = w.storage.pointer
    let dw = kernels.weightedSumBackward(
      g.storage.pointer, sources: xs.map { UnsafePointer($0.storage.pointer) }, weights: (0..<kCount).map { wp[$0] },
      into: outs.map { $0?.storage.pointer }, needW: needW, count: g.count)
    return outs + [needW ? Tensor(shape: w.shape, scalars: dw) : nil]
  }

}
