extension Tensor {
  /// Softmax over the last axis.
  public func softmax() -> Tensor {
    var y = Tensor.softmaxRows(self, log: false)
    let saved = y.detached()
    y.record(.softmax(saved), self)
    return y
  }

  /// log(softmax(x)) over the last axis, computed stably.
  public func logSoftmax() -> Tensor {
    var y = Tensor.softmaxRows(self, log: true)
    let saved = y.detached()
    y.record(.logSoftmax(saved), self)
    return y
  }

  static func softmaxRows(_ x: Tensor, log: Bool) -> Tensor {
    precondition(x.rank >= 1 && x.shape.last! > 0, "softmax of \(x.shape)")
    let k = x.shape.last!, rows = x.count / k
    let y = Tensor(uninitializedShape: x.shape)
    let xp = x.storage.pointer, yp = y.storage.pointer
    for r in 0..<rows {
      let a = xp + r * k, o = yp + r * k
      var mx = -Float.infinity
      for i in 0..<k { mx = max(mx, a[i]) }
      var s: Float = 0
      for i in 0..<k {
        o[i] = _expf(a[i] - mx)
        s += o[i]
      }
      if log {
        let ls = _logf(s) + mx
        for i in 0..<k { o[i] = a[i] - ls }
      } else {
        let inv = 1 / s
        for i in 0..<k { o[i] *= inv }
      }
    }
    return y
  }
}

enum SoftmaxGrad {
  static func softmax(_ y: Tensor, _ g: Tensor) -> Tensor {
    let k = y.shape.last!, rows = y.count / k
    let dx = Tensor(uninitializedShape: y.shape)
    let yp = y.storage.pointer, gp = g.storage.pointer, dp = dx.storage.pointer
    for r in 0..<rows {
      var dot: Float = 0
      for i in 0..<k { dot += gp[r * k + i] * yp[r * k + i] }
      for i in 0..<k { dp[r * k + i] = yp[r * k + i] * (gp[r * k + i] - dot) }
    }
    return dx
  }

  static func logSoftmax(_ y: Tensor, _ g: Tensor) -> Tensor {
    let k = y.shape.last!, rows = y.count / k
    let dx = Tensor(uninitializedShape: y.shape)
    let yp = y.storage.pointer, gp = g.storage.pointer, dp = dx.storage.pointer
    for r in 0..<rows {
      var s: Float = 0
      for i in 0..<k { s += gp[r * k + i] }
      for i in 0..<k { dp[r * k + i] = gp[r * k + i] - _expf(yp[r * k + i]) * s }
    }
    return dx
  }
}
