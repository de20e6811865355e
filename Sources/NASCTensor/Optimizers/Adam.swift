import NASCKernelSupport

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Adam as in `torch.optim.Adam` (weight decay is L2 added to the gradient, not AdamW):
/// m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).
public final class Adam: Optimizer {
  /// The parameters it updates.
  public let parameters: [Parameter]
  /// The learning rate.
  public var learningRate: Float
  /// β₁ (first moment decay).
  public var beta1: Float
  /// β₂ (second moment decay).
  public var beta2: Float
  /// Denominator epsilon.
  public var eps: Float
  /// L2 penalty added to the gradient.
  public var weightDecay: Float
  var m: SlotState, v: SlotState
  var steps: [Int]

  /// The most updates any parameter has had (the step count of the bias correction).
  public var stepCount: Int { steps.max() ?? 0 }

  /// An Adam optimizer over `parameters`.
  public init(
    _ parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
    eps: Float = 1e-8, weightDecay: Float = 0
  ) {
    self.parameters = parameters
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.eps = eps
    self.weightDecay = weightDecay
    m = SlotState(count: parameters.count)
    v = SlotState(count: parameters.count)
    steps = Array(repeating: 0, count: parameters.count)
  }

  /// Applies one update.
  public func step() {
    let lr = learningRate, b1 = beta1, b2 = beta2, eps = eps, wd = weightDecay
    for (i, p) in parameters.enumerated() {
      guard let grad = p.grad else { continue }
      steps[i] += 1
      let t = Float(steps[i])
      let bc1 = 1 - powf(b1, t), bc2 = 1 - powf(b2, t)
      let stepSize = lr / bc1, bc2Sqrt = bc2.squareRoot()
      var mt = m.slots[i] ?? Tensor.zeros(p.shape)
      var vt = v.slots[i] ?? Tensor.zeros(p.shape)
      m.slots[i] = nil
      v.slots[i] = nil
      let gp = grad.storage.pointer, n = p.data.count
      p.update { w in
        let wp = w.baseAddress!
        mt.withUnsafeMutableBufferPointer { mb in
          vt.withUnsafeMutableBufferPointer { vb in
            kernels.adamStep(
              wp, grad: gp, m: mb.baseAddress!, v: vb.baseAddress!, count: n, stepSize: stepSize, beta1: b1,
              beta2: b2, eps: eps, weightDecay: wd, bc2Sqrt: bc2Sqrt)
          }
        }
      }
      m.slots[i] = mt
      v.slots[i] = vt
    }
  }

  /// Moments and step counts as "exp_avg.<i>", "exp_avg_sq.<i>", "step.<i>".
  public func stateDict() -> [String: Tensor] {
    var d: [String: Tensor] = [:]
    m.save("exp_avg", into: &d)
    v.save("exp_avg_sq", into: &d)
    for (i, s) in steps.enumerated() where s > 0 { d["step.\(i)"] = Tensor(Float(s)) }
    return d
  }

  /// Restores moments and step counts.
  public func load(stateDict d: [String: Tensor]) throws {
    let shapes = parameters.map(\.shape)
    try m.load("exp_avg", from: d, shapes: shapes)
    try v.load("exp_avg_sq", from: d, shapes: shapes)
    for i in steps.indices {
      guard let t = d["step.\(i)"] else {
        steps[i] = 0
        continue
      }
      // A step count: one finite, whole, non-negative number (a float holds it exactly below 2^24).
      guard t.count == 1, let v = t.scalars.first, v.isFinite, v >= 0, v < 16_777_216 else {
        throw CheckpointError.shapeMismatch("step.\(i)", expected: [1], found: t.shape)
      }
      steps[i] = Int(v)
    }
  }
}
