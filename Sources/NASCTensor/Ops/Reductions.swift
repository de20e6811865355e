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
