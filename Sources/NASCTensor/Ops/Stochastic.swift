extension Tensor {
  /// Standard Gumbel noise of `shape` (−log E, E ~ Exponential(1)).
  public static func gumbel(_ shape: [Int], rng: inout RNG) -> Tensor {
    let t = Tensor(uninitializedShape: shape)
    let p = t.storage.pointer
    for i in 0..<t.count { p[i] = rng.nextGumbel() }
    return t
  }

  /// Multiplies by a constant mask of the same shape (gradient = mask · upstream).
  public func masked(by mask: Tensor) -> Tensor {
    var y = zipped(mask, .mul)
    y.record(.mask(mask.detached()), self)
    return y
  }

  /// Inverted dropout: in training, zeroes each element with probability `p` and scales the rest by
  /// 1/(1 − p); the identity otherwise.
  public func dropout(_ p: Float, training: Bool, rng: inout RNG) -> Tensor {
    precondition(p >= 0 && p < 1, "dropout probability \(p) must be in [0, 1)")
    if !training || p == 0 { return self }
    let keep = 1 - p
    let mask = Tensor(uninitializedShape: shape)
    let mp = mask.storage.pointer
    for i in 0..<count { mp[i] = rng.nextFloat() < keep ? 1 / keep : 0 }
    return masked(by: mask)
  }

  /// Drop path (DARTS `drop_path`): per sample (axis 0), keeps the whole sample with probability
  /// 1 − p (scaled by 1/(1 − p)) or zeroes it. The identity when not training or p == 0.
  public func dropPath(_ p: Float, training: Bool, rng: inout RNG) -> Tensor {
    precondition(p >= 0 && p < 1, "drop-path probability \(p) must be in [0, 1)")
    if !training || p == 0 { return self }
    let keep = 1 - p, n = shape[0], per = count / max(n, 1)
    let mask = Tensor(uninitializedShape: shape)
    let mp = mask.storage.pointer
    for b in 0..<n {
      let v: Float = rng.nextFloat() < keep ? 1 / keep : 0
      (mp + b * per).update(repeating: v, count: per)
    }
    return masked(by: mask)
  }

  /// The one-hot of each row's argmax (last axis) in value, with the gradient of `self` passed straight
  /// through: `onehot(argmax p) − stopGrad(p) + p` (GDAS hard sampling).
  public func hardOneHotStraightThrough() -> Tensor {
    let k = shape.last!, am = argmaxRows()
    var y = Tensor.zeros(shape)
    let yp = y.storage.pointer
    for (r, i) in am.enumerated() { yp[r * k + i] = 1 }
    y.record(.identity, self)
    return y
  }

  /// An indicator `1[self > threshold]` in value whose gradient passes straight through to `self`
  /// (Single-Path NAS superkernel thresholds).
  public func indicatorStraightThrough(threshold: Float = 0) -> Tensor {
    var y = mapped(.indicator(threshold: threshold))
    y.record(.identity, self)
    return y
  }

  /// A soft Gumbel sample of 1-D logits (FBNet): softmax((self + g) / τ), g ~ Gumbel(0, 1), with
  /// gradient into `self`; resampled while g or the sample is not finite, at most 100 times (logits
  /// that are not finite give a sample that is not: the caller's loss check reports it).
  public func gumbelSoftSample(tau: Float, rng: inout RNG) -> Tensor {
    precondition(tau > 0, "Gumbel temperature must be positive")
    var m = self
    for _ in 0..<100 {
      let g = Tensor.gumbel(shape, rng: &rng)
      m = ((self + g) * (1 / tau)).softmax()
      if m.scalars.allSatisfy({ $0.isFinite }) && g.scalars.allSatisfy({ $0.isFinite }) { return m }
    }
    return m
  }

  /// GDAS sampling of one edge's logits `alpha` (1-D): p = softmax((log_softmax(α) + g)/τ), resampled
  /// while g or p is not finite, at most 100 times (logits that are not finite give a sample that is
  /// not: the caller's loss check reports it); returns the hard one-hot `h` (straight-through), `p` and the index.
  public func gumbelHardSample(tau: Float, rng: inout RNG) -> (hard: Tensor, soft: Tensor, index: Int) {
    precondition(tau > 0, "Gumbel temperature must be positive")
    var p = self
    for _ in 0..<100 {
      let g = Tensor.gumbel(shape, rng: &rng)
      p = ((logSoftmax() + g) * (1 / tau)).softmax()
      if p.scalars.allSatisfy({ $0.isFinite }) && g.scalars.allSatisfy({ $0.isFinite }) { break }
    }
    return (p.hardOneHotStraightThrough(), p, p.argmaxRows()[0])
  }
}
