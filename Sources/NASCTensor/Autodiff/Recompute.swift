/// Activation recomputation ("gradient checkpointing") for a block of operations.
///
/// `recomputed(inputs) { xs, again in … }` runs the block once without recording anything, so none
/// of its intermediate activations stay alive; only the (detached) inputs are kept. When backward
/// reaches the block's output it runs the block a second time with gradients enabled on fresh leaves
/// for the inputs, back-propagates the incoming gradient through that short-lived local graph (which
/// also accumulates into every `Parameter` the block reads) and hands the inputs' gradients on. The
/// local graph is released as it is consumed, so at most one block's activations are alive at a time.
///
/// The block must compute the same values both times: it should be deterministic, must not draw
/// random numbers, and must not change the parameters it reads between forward and backward. The
/// `again` flag is true on the second run, so the block can skip side effects such as updating
/// batch-norm running statistics.
///
/// With `serial`, both runs and the block's backward keep their kernels on the calling thread
/// (`Engine.serially`): for small tensors, waking other threads costs more than it saves.
public func recomputed(
  _ inputs: [Tensor], serial: Bool = false, _ body: @escaping ([Tensor], _ again: Bool) -> Tensor
) -> Tensor {
  guard GradMode.isEnabled, inputs.contains(where: { $0.node != nil }) else {
    return serial ? Engine.serially { body(inputs, false) } : body(inputs, false)
  }
  let plain = inputs.map { $0.detached() }
  var y = withNoGrad { serial ? Engine.serially { body(plain, false) } : body(plain, false) }
  y.record(.recompute(RecomputeBlock(inputs: plain, serial: serial, body: body)), inputs: inputs)
  return y
}

/// Runs `body` with gradients recorded even inside `withNoGrad` (for example during backward).
func withGradEnabled<R>(_ body: () throws -> R) rethrows -> R {
  let d = GradMode.depth
  let saved = d.pointee
  d.pointee = 0
  defer { d.pointee = saved }
  return try body()
}

/// What backward needs to rerun a recomputed block.
final class RecomputeBlock {
  let inputs: [Tensor]
  let body: ([Tensor], Bool) -> Tensor
  let serial: Bool

  init(inputs: [Tensor], serial: Bool, body: @escaping ([Tensor], Bool) -> Tensor) {
    self.inputs = inputs
    self.serial = serial
    self.body = body
  }

  /// Reruns the block with gradients on and returns the gradients of the inputs that need one.
  func backward(_ g: Tensor, need: [Bool]) -> [Tensor?] {
    serial ? Engine.serially { run(g, need: need) } : run(g, need: need)
  }

  private func run(_ g: Tensor, need: [Bool]) -> [Tensor?] {
    let leaves: [Node?] = need.map { $0 ? Node(op: .leaf, inputs: []) : nil }
    var xs = inputs
    for i in xs.indices { xs[i].node = leaves[i] }
    let y = withGradEnabled { body(xs, true) }
    precondition(y.shape == g.shape, "recomputed block changed its output shape: \(y.shape) vs \(g.shape)")
    y.backward(seed: g)
    return leaves.enumerated().map { i, leaf in
      guard let leaf else { return nil }
      return leaf.grad ?? Tensor.zeros(inputs[i].shape)
    }
  }
}
