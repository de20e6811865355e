import NASCKernelSupport

/// The per-element update loops of the optimizers (the step bookkeeping stays in NASCTensor).
enum OptimizerSteps {
  /// SGD as `torch.optim.SGD`: g = ∇ + wd·w; with momentum μ, b ← g on the first step, else
  /// μ·b + (1 − dampening)·g, and w ← w − lr·(nesterov ? g + μ·b : b); without, w ← w − lr·g.
  static func sgd(
    _ w: UnsafeMutablePointer<Float>, grad gp: UnsafePointer<Float>, buffer bp: UnsafeMutablePointer<Float>?,
    count n: Int, learningRate lr: Float, momentum mu: Float, dampening damp: Float, weightDecay wd: Float,
    nesterov nest: Bool, first: Bool
  ) {
    let wp = w
    guard let bp else {
      for j in 0..<n { wp[j] -= lr * (gp[j] + wd * wp[j]) }
      return
    }
    for j in 0..<n {
      let g = gp[j] + wd * wp[j]
      let bj = first ? g : mu * bp[j] + (1 - damp) * g
      bp[j] = bj
      wp[j] -= lr * (nest ? g + mu * bj : bj)
    }
  }

  /// Adam's moment and weight update with bias corrections folded into `stepSize` = lr/(1 − β₁ᵗ) and
  /// `bc2Sqrt` = √(1 − β₂ᵗ).
  static func adam(
    _ w: UnsafeMutablePointer<Float>, grad gp: UnsafePointer<Float>, m mp: UnsafeMutablePointer<Float>,
    v vp: UnsafeMutablePointer<Float>, count n: Int, stepSize: Float, beta1 b1: Float, beta2 b2: Float,
    eps: Float, weightDecay wd: Float, bc2Sqrt: Float
  ) {
    let wp = w
    for j in 0..<n {
      let g = gp[j] + wd * wp[j]
      mp[j] = b1 * mp[j] + (1 - b1) * g
      vp[j] = b2 * vp[j] + (1 - b2) * g * g
      wp[j] -= stepSize * mp[j] / (vp[j].squareRoot() / bc2Sqrt + eps)
    }
  }

  /// RMSProp as `torch.optim.RMSprop` (not centred): v ← α·v + (1 − α)·g², step = g/(√v + ε); with
  /// momentum μ, b ← μ·b + step and w ← w − lr·b, else w ← w − lr·step.
  static func rmsprop(
    _ w: UnsafeMutablePointer<Float>, grad gp: UnsafePointer<Float>, squares vp: UnsafeMutablePointer<Float>,
    buffer bb: UnsafeMutablePointer<Float>, count n: Int, learningRate lr: Float, alpha a: Float, eps: Float,
    weightDecay wd: Float, momentum mu: Float
  ) {
    let wp = w
    for j in 0..<n {
      let g = gp[j] + wd * wp[j]
      vp[j] = a * vp[j] + (1 - a) * g * g
      let step = g / (vp[j].squareRoot() + eps)
      if mu != 0 {
        bb[j] = mu * bb[j] + step
        wp[j] -= lr * bb[j]
      } else {
        wp[j] -= lr * step
      }
    }
  }
}
