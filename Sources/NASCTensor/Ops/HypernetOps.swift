/// The two ops SMASH's hypernetwork needs beyond the common vocabulary: LeakyReLU and the
/// whole-tensor weight normalisation `w / ‖w‖` (Brock et al.'s `wn2d`).
extension Tensor {
  /// `x` where `x > 0`, else `slope · x`, elementwise.
  public func leakyRelu(slope: Float) -> Tensor {
    var y = Tensor(uninitializedShape: shape)
    let xp = storage.pointer, yp = y.storage.pointer
    for i in 0..<count {
      let v = xp[i]
      yp[i] = v > 0 ? v : slope * v
    }
    y.record(.leakyRelu(detached(), slope), self)
    return y
  }

  /// The tensor divided by its Frobenius norm (every element at once, not row by row), so the
  /// result has norm 1; a zero tensor stays zero.
  public func frobeniusNormalized() -> Tensor {
    let xp = storage.pointer
    var squares = 0.0
    for i in 0..<count { squares += Double(xp[i]) * Double(xp[i]) }
    let norm = Float(squares.squareRoot())
    let scale: Float = norm > 0 ? 1 / norm : 0
    var y = Tensor(uninitializedShape: shape)
    let yp = y.storage.pointer
    for i in 0..<count { yp[i] = xp[i] * scale }
    let saved = y.detached()
    y.record(.frobeniusNormalized(saved, norm), self)
    return y
  }
}

enum HypernetGrad {
  static func leakyRelu(_ x: Tensor, _ slope: Float, _ g: Tensor) -> Tensor {
    let dx = Tensor(uninitializedShape: x.shape)
    let xp = x.storage.pointer, gp = g.storage.pointer, dp = dx.storage.pointer
    for i in 0..<x.count { dp[i] = xp[i] > 0 ? gp[i] : slope * gp[i] }
    return dx
  }

  /// d(x/‖x‖) = (g − y·⟨g, y⟩) / ‖x‖.
  static func frobeniusNormalized(_ y: Tensor, _ norm: Float, _ g: Tensor) -> Tensor {
    let dx = Tensor(uninitializedShape: y.shape)
    let yp = y.storage.pointer, gp = g.storage.pointer, dp = dx.storage.pointer
    guard norm > 0 else {
      for i in 0..<y.count { dp[i] = 0 }
      return dx
    }
    var dot = 0.0
    for i in 0..<y.count { dot += Double(gp[i]) * Double(yp[i]) }
    let d = Float(dot), inv = 1 / norm
    for i in 0..<y.count { dp[i] = (gp[i] - yp[i] * d) * inv }
    return dx
  }
}
