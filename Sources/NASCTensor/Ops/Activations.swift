extension Tensor {
  /// max(x, 0) elementwise.
  public func relu() -> Tensor {
    var y = mapped(K.Relu())
    let saved = y.detached()
    y.record(.relu(saved), self)
    return y
  }

  /// min(max(x, 0), 6) elementwise.
  public func relu6() -> Tensor {
    var y = mapped(K.Relu6())
    y.record(.relu6(self.detached()), self)
    return y
  }

  /// Hyperbolic tangent elementwise.
  public func tanh() -> Tensor {
    var y = mapped(K.Tanh())
    let saved = y.detached()
    y.record(.tanh(saved), self)
    return y
  }

  /// Logistic sigmoid 1 / (1 + e^−x) elementwise.
  public func sigmoid() -> Tensor {
    var y = mapped(K.Sigmoid())
    let saved = y.detached()
    y.record(.sigmoid(saved), self)
    return y
  }

  /// The identity (a distinct graph node; useful as a named op).
  public func identity() -> Tensor {
    var y = self
    y.node = nil
    y.record(.identity, self)
    return y
  }
}

enum ActivationGrad {
  static func relu(_ y: Tensor, _ g: Tensor) -> Tensor { g.zipped(y, K.ReluGrad()) }
  static func relu6(_ x: Tensor, _ g: Tensor) -> Tensor { g.zipped(x, K.Relu6Grad()) }
  static func tanh(_ y: Tensor, _ g: Tensor) -> Tensor { g.zipped(y, K.TanhGrad()) }
  static func sigmoid(_ y: Tensor, _ g: Tensor) -> Tensor { g.zipped(y, K.SigmoidGrad()) }
}
