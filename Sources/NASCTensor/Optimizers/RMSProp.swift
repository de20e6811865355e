import NASCKernelSupport

/// RMSProp as in `torch.optim.RMSprop` (not centered): g ← grad + wd·p; v ← α·v + (1 − α)·g²;
/// with momentum μ: buf ← μ·buf + g/(√v + ε), p ← p − lr·buf; otherwise p ← p − lr·g/(√v + ε).
public final class RMSProp: Optimizer {
  /// The parameters it updates.
  public let parameters: [Parameter]
  /// The learning rate.
  public var learningRate: Float
  /// Smoothing constant α.
  public var alpha: Float
  /// Denominator epsilon.
  public var eps: Float
  /// L2 penalty added to the gradient.
  public var weightDecay: Float
  /// Momentum factor (0 = none).
  public var momentum: Float
  var squares: SlotState, buffers: SlotState

  /// An RMSProp optimizer over `parameters`.
  public init(
    _ parameters: [Parameter], learningRate: Float = 1e-2, alpha: Float = 0.99, eps: Float = 1e-8,
    weightDecay: Float = 0, momentum: Float = 0
  ) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.alpha = alpha
    self.eps = eps
    self.weightDecay = weightDecay
    self.momentum = momentum
    squares = SlotState(count: parameters.count)
    buffers = SlotState(count: parameters.count)
  }

  /// Applies one update.
  public func step() {
    let lr = learningRate, a = alpha, eps = eps, wd = weightDecay, mu = momentum
    for (i, p) in parameters.enumerated() {
      guard let grad = p.grad else { continue }
      var v = squares.slots[i] ?? Tensor.zeros(p.shape)
      var buf = mu != 0 ? (buffers.slots[i] ?? Tensor.zeros(p.shape)) : Tensor.zeros([0])
      squares.slots[i] = nil
      buffers.slots[i] = nil
      let gp = grad.storage.pointer, n = p.data.count
      p.update { w in
        let wp = w.baseAddress!
        v.withUnsafeMutableBufferPointer { vb in
          buf.withUnsafeMutableBufferPointer { bb in
            kernels.rmspropStep(
              wp, grad: gp, squares: vb.baseAddress!, buffer: bb.baseAddress!, count: n, learningRate: lr, alpha: a,
              eps: eps, weightDecay: wd, momentum: mu)
          }
        }
      }
      squares.slots[i] = v
      if mu != 0 { buffers.slots[i] = buf }
    }
  }

  /// Square averages and momentum buffers as "square_avg.<i>", "momentum_buffer.<i>".
  public func stateDict() -> [String: Tensor] {
    var d: [String: Tensor] = [:]
    squares.save("square_avg", into: &d)
    buffers.save("momentum_buffer", into: &d)
    return d
  }

  /// Restores the state.
  public func load(stateDict d: [String: Tensor]) throws {
    let shapes = parameters.map(\.shape)
    try squares.load("square_avg", from: d, shapes: shapes)
    try buffers.load("momentum_buffer", from: d, shapes: shapes)
  }
}
