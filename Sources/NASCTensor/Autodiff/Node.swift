/// One recorded operation in the autodiff graph (the tape).
///
/// Nodes are created in execution order with increasing `id`, so sorting the nodes reachable from a
/// loss by decreasing id is a reverse-topological order. After backward has applied a node's rule, the
/// node drops its saved tensors, its inputs and its gradient, so activations are freed as soon as they
/// are consumed.
final class Node {
  nonisolated(unsafe) static var nextID = 0

  /// Creation order; larger ids were recorded later.
  let id: Int
  /// What was computed, with whatever the backward rule needs.
  var op: Op
  /// The nodes of the inputs that need gradients, positionally (nil for constants).
  var inputs: [Node?]
  /// The gradient accumulated so far (for leaves: until `zeroGrad`).
  var grad: Tensor?
  /// Visit stamp used while collecting the graph.
  var mark = 0

  init(op: Op, inputs: [Node?]) {
    Node.nextID &+= 1
    id = Node.nextID
    self.op = op
    self.inputs = inputs
  }

  /// Whether this node is a leaf (a parameter); leaves keep their gradient after backward.
  var isLeaf: Bool {
    if case .leaf = op { return true }
    return false
  }

  /// Adds `g` into this node's gradient.
  func accumulate(_ g: Tensor) {
    if grad == nil {
      grad = g.detached()
    } else {
      grad!.addInPlace(g)
    }
  }
}

/// Whether operations are currently recorded for backward.
public enum GradMode {
  nonisolated(unsafe) static var depthDisabled = 0

  /// True unless inside `withNoGrad`.
  public static var isEnabled: Bool { depthDisabled == 0 }
}

/// Runs `body` without recording anything for backward (evaluation, optimizer updates, data prep).
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
  GradMode.depthDisabled += 1
  defer { GradMode.depthDisabled -= 1 }
  return try body()
}

extension Tensor {
  /// Attaches a node recording `op` to `self` when gradients are enabled and some input needs one.
  @inline(__always)
  mutating func record(_ op: @autoclosure () -> Op, _ a: Tensor) {
    guard GradMode.depthDisabled == 0, let na = a.node else { return }
    node = Node(op: op(), inputs: [na])
  }

  /// Attaches a node for a two-input op (either input may be a constant).
  @inline(__always)
  mutating func record(_ op: @autoclosure () -> Op, _ a: Tensor, _ b: Tensor) {
    guard GradMode.depthDisabled == 0, a.node != nil || b.node != nil else { return }
    node = Node(op: op(), inputs: [a.node, b.node])
  }

  /// Attaches a node for an op with many inputs.
  mutating func record(_ op: @autoclosure () -> Op, inputs: [Tensor]) {
    guard GradMode.depthDisabled == 0, inputs.contains(where: { $0.node != nil }) else { return }
    node = Node(op: op(), inputs: inputs.map(\.node))
  }
}
