import NASCKernelSupport

extension Tensor {
  /// The sum of all elements, as a `[1]` tensor (accumulated in double precision).
  public func sum() -> Tensor {
    let p = storage.pointer
    var s: Double = 0
    for i in 0..<count { s += Double(p[i]) }
    var y = Tensor(Float(s))
    y.record(.sum(shape), self)
    return y
  }

  /// The mean of all elements, as a `[1]` tensor.
  public func mean() -> Tensor {
    precondition(count > 0, "mean of an empty tensor")
    return sum() * (1 / Float(count))
  }
}

extension Tensor {
  /// The sum along `axis`, which is removed from the shape (a 1-D input gives shape `[1]`).
  public func sum(axis: Int) -> Tensor {
    precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for \(shape)")
    let outer = shape[..<axis].reduce(1, *), dim = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
    var outShape = shape
    outShape.remove(at: axis)
    if outShape.isEmpty { outShape = [1] }
    var y = Tensor(repeating: 0, shape: outShape)
    kernels.sumAxis(storage.pointer, into: y.storage.pointer, outer: outer, dim: dim, inner: inner)
    y.record(.sumAxis(inShape: shape, axis: axis), self)
    return y
  }

  /// The mean along `axis`, which is removed from the shape.
  public func mean(axis: Int) -> Tensor {
    precondition(axis >= 0 && axis < rank && shape[axis] > 0, "mean along axis \(axis) of \(shape)")
    return sum(axis: axis) * (1 / Float(shape[axis]))
  }
}

enum ReductionGrad {
  /// Broadcasts `g` back along the summed axis.
  static func sumAxis(_ g: Tensor, inShape: [Int], axis: Int) -> Tensor {
    let outer = inShape[..<axis].reduce(1, *), dim = inShape[axis],
      inner = inShape[(axis + 1)...].reduce(1, *)
    let dx = Tensor(uninitializedShape: inShape)
    let gp = g.storage.pointer, dp = dx.storage.pointer
    for a in 0..<outer {
      for j in 0..<dim { (dp + (a * dim + j) * inner).update(from: gp + a * inner, count: inner) }
    }
    return dx
  }
}
