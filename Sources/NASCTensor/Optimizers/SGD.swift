import NASCKernelSupport

/// Stochastic gradient descent with PyTorch semantics: g ← grad + wd·p; with momentum μ,
/// buf ← g (first step) or μ·buf + (1 − dampening)·g; g ← g + μ·buf (Nesterov) or buf; p ← p − lr·g.
public final class SGD: Optimizer {
  /// The parameters it updates.
  public let parameters: [Parameter]
  /// The learning rate.
  public var learningRate: Float
  /// Momentum factor μ (0 = none).
  public var momentum: Float
  /// Dampening of the momentum update.
  public var dampening: Float
  /// L2 penalty added to the gradient.
  public var weightDecay: Float
  /// Per parameter, whether `weightDecay` applies to it (all by default; SPOS decays only
  /// convolution and linear weights).
  public let decays: [Bool]
  /// Nesterov momentum.
  public var nesterov: Bool
  var buffers: SlotState

  /// An SGD optimizer over `parameters`.
  public init(
    _ parameters: [Parameter], learningRate: Float, momentum: Float = 0, dampening: Float = 0,
    weightDecay: Float = 0, nesterov: Bool = false, decays: ((Parameter) -> Bool)? = nil
  ) {
    precondition(
      !nesterov || (momentum > 0 && dampening == 0), "Nesterov needs momentum > 0 and no dampening")
    self.parameters = parameters
    self.learningRate = learningRate
    self.momentum = momentum
    self.dampening = dampening
    self.weightDecay = weightDecay
    self.nesterov = nesterov
    self.decays = parameters.map { decays?($0) ?? true }
    buffers = SlotState(count: parameters.count)
  }

  /// Applies one update.
  public func step() {
    let lr = learningRate, mu = momentum, damp = dampening, nest = nesterov
    for (i, p) in parameters.enumerated() {
      guard let grad = p.grad else { continue }
      let wd = decays[i] ? weightDecay : 0
      let gp = grad.storage.pointer
      var buf = buffers.slots[i]
      buffers.slots[i] = nil  // keep `buf` uniquely referenced so it is updated in place
      let first = buf == nil
      if mu != 0 && first { buf = Tensor(uninitializedShape: p.shape) }
      let n = p.data.count
      p.update { w in
        let wp = w.baseAddress!
        if mu == 0 {
          kernels.sgdStep(
            wp, grad: gp, buffer: nil, count: n, learningRate: lr, momentum: mu, dampening: damp, weightDecay: wd,
            nesterov: nest, first: first)
          return
        }
        buf!.withUnsafeMutableBufferPointer { b in
          kernels.sgdStep(
            wp, grad: gp, buffer: b.baseAddress!, count: n, learningRate: lr, momentum: mu, dampening: damp,
            weightDecay: wd, nesterov: nest, first: first)
        }
      }
      buffers.slots[i] = buf
    }
  }

  /// The momentum buffer of `parameter` (nil before its first step or without momentum) — what the
  /// second-order DARTS virtual step w − η·(μ·m + ∇w + λ·w) reads.
  public func momentumBuffer(for parameter: Parameter) -> Tensor? {
    guard let i = parameters.firstIndex(where: { $0 === parameter }) else { return nil }
    return buffers.slots[i]
  }

  /// Momentum buffers as "momentum_buffer.<index>".
  public func stateDict() -> [String: Tensor] {
    var d: [String: Tensor] = [:]
    buffers.save("momentum_buffer", into: &d)
    return d
  }

  /// Restores the momentum buffers.
  public func load(stateDict d: [String: Tensor]) throws {
    try buffers.load("momentum_buffer", from: d, shapes: parameters.map(\.shape))
  }
}
