import NASCData
import NASCTensor

/// DARTS' second-order architecture gradient (METHODS.md §1.3), with no double backward:
///
/// 1. virtual step `w' = w − η · (μ·m + ∇_w L_train(w, α) + λ·w)`;
/// 2. `g1 = ∇_α L_val(w', α)`, `v = ∇_{w'} L_val(w', α)`;
/// 3. `HVP ≈ [∇_α L_train(w + R·v, α) − ∇_α L_train(w − R·v, α)] / 2R` with `R = 0.01 / ‖v‖`;
/// 4. `∇_α = g1 − η · HVP`; the weights are restored.
public enum SecondOrder {
  /// Finite-difference Hessian-vector product `∂²L/∂α∂w · v` of `loss` at the current weights:
  /// perturbs `weights` by ±R·v (R = `scale` / ‖v‖), returns the α-gradient difference / 2R, and
  /// restores the weights. Gradients of `arch` are overwritten.
  public static func hessianVectorProduct(
    weights: [Parameter], arch: [Parameter], v: [Tensor], scale: Float = 0.01, loss: () -> Tensor
  ) -> [Tensor] {
    let norm = v.reduce(Float(0)) { $0 + $1.scalars.reduce(0) { $0 + $1 * $1 } }.squareRoot()
    let r = scale / max(norm, 1e-12)
    let saved = weights.map { $0.value.detached() }
    func gradAt(_ sign: Float) -> [Tensor] {
      for (p, (w, d)) in zip(weights, zip(saved, v)) { p.value = w + d * (sign * r) }
      for p in arch { p.zeroGrad() }
      for p in weights { p.zeroGrad() }
      loss().backward()
      return arch.map { $0.grad ?? .zeros($0.shape) }
    }
    let plus = gradAt(1)
    let minus = gradAt(-1)
    for (p, w) in zip(weights, saved) { p.value = w }
    for p in weights { p.zeroGrad() }
    return zip(plus, minus).map { ($0 - $1) * (1 / (2 * r)) }
  }

  /// Sets the α gradients of `run` to the second-order estimate for one validation batch, with the
  /// iteration's training batch in the virtual step and the Hessian-vector product (as DARTS'
  /// `architect.step` does).
  static func architectureGradient(_ run: BilevelSupernet, train: Batch, val: Batch, epoch: Int) throws {
    try unrolledGradient(
      weights: run.model.weights, arch: run.arch.parameters, optimizer: run.weightOptimizer,
      stats: run.model.namedStats().map(\.stats), zeroWeights: { run.model.zeroGrad() },
      trainLoss: {
        let (lt, _) = run.forward(train, epoch: epoch)
        try run.checkFinite(lt.scalar, what: "training", epoch: epoch)
        return lt
      },
      valLoss: {
        let (lv, _) = run.forward(val, epoch: epoch)
        try run.checkFinite(lv.scalar, what: "architecture", epoch: epoch)
        return lv
      })
  }

  /// Steps 1–4 for any bilevel model: `trainLoss` and `valLoss` run it at its current weights
  /// (the training loss is evaluated three times: the virtual step and the two sides of the
  /// Hessian-vector product). The virtual step follows `optimizer` (its rate, momentum buffers and
  /// weight decay). With `clip`, as DARTS' recurrent architect does, the virtual step's gradient
  /// and `v` are clipped to that norm and the implicit term is `η · c · HVP` with
  /// c = clip / (‖∇_w L_train‖ + 1e−6), unclamped. The pass at w′ runs on a copy in DARTS, so the
  /// running statistics `stats` are restored after it. Leaves the weights as they were and their
  /// gradients zero; sets the α gradients.
  static func unrolledGradient(
    weights: [Parameter], arch archParams: [Parameter], optimizer: SGD, clip: Float? = nil,
    stats: [BatchNormStats] = [], zeroWeights: () -> Void, trainLoss: () throws -> Tensor,
    valLoss: () throws -> Tensor
  ) throws {
    let eta = optimizer.learningRate
    let mu = optimizer.momentum
    let wd = optimizer.weightDecay
    let saved = weights.map { $0.value.detached() }
    let momentum = optimizer.stateDict()
    // 1. Virtual step.
    zeroWeights()
    try trainLoss().backward()
    var implicitScale = eta
    if let clip { implicitScale = eta * clip / (clipGradNorm(weights, maxNorm: clip) + 1e-6) }
    for (i, p) in weights.enumerated() {
      let g = p.grad ?? .zeros(p.shape)
      var d = g + saved[i] * wd
      if let m = momentum["momentum_buffer.\(i)"], m.shape == p.shape { d = d + m * mu }
      p.value = saved[i] - d * eta
    }
    // 2. Gradients at w'.
    zeroWeights()
    for p in archParams { p.zeroGrad() }
    let saved0 = stats.map { ($0.mean, $0.variance, $0.batchesTracked) }
    let lv = try valLoss()
    for (st, v) in zip(stats, saved0) { (st.mean, st.variance, st.batchesTracked) = v }
    lv.backward()
    if let clip { _ = clipGradNorm(weights, maxNorm: clip) }
    let g1 = archParams.map { $0.grad ?? .zeros($0.shape) }
    let v = weights.map { $0.grad ?? .zeros($0.shape) }
    // 3. Hessian-vector product at the original weights.
    for (p, w) in zip(weights, saved) { p.value = w }
    var failure: Error? = nil
    let hvp = hessianVectorProduct(weights: weights, arch: archParams, v: v) {
      do { return try trainLoss() } catch {
        failure = error
        return Tensor.zeros([])
      }
    }
    if let failure { throw failure }
    // 4. Combine.
    for (i, p) in archParams.enumerated() { p.grad = g1[i] - hvp[i] * implicitScale }
    zeroWeights()
  }
}
