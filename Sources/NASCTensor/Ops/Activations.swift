extension Tensor {
  /// max(x, 0) elementwise.
  public func relu() -> Tensor {
    var y = mapped(.relu)
    let saved = y.detached()
    y.record(.relu(saved), self)
    return y
  }

  /// min(max(x, 0), 6) elementwise.
  public func relu6() -> Tensor {
    var y = mapped(.relu6)
    y.record(.relu6(self.detached()), self)
    return y
  }

  /// Hyperbolic tangent elementwise.
  public func tanh() -> Tensor {
    var y = mapped(.tanh)
    let saved = y.detached()
    y.record(.tanh(saved), self)
    return y
  }

  /// Logistic sigmoid 1 / (1 + e^−x) elementwise.
  public func sigmoid() -> Tensor {
    var y = mapped(.sigmoid)
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
  static func relu(_ y: Tensor, _ g: Tensor) -> Tensor { g.zipped(y, .reluGrad) }
  static func relu6(_ x: Tensor, _ g: Tensor) -> Tensor { g.zipped(x, .relu6Grad) }
  static func tanh(_ y: Tensor, _ g: Tensor) -> Tensor { g.zipped(y, .tanhGrad) }
  static func sigmoid(_ y: Tensor, _ g: Tensor) -> Tensor { g.zipped(y, .sigmoidGrad) }
}
