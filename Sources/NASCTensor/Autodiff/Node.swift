import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// One recorded operation in the autodiff graph (the tape).
///
/// Nodes are created in execution order with increasing `id`, so sorting the nodes reachable from a
/// loss by decreasing id is a reverse-topological order. After backward has applied a node's rule, the
/// node drops its saved tensors, its inputs and its gradient, so activations are freed as soon as they
/// are consumed.
final class Node {
  /// Source of ids and visit stamps; atomic so that graphs built on several threads never see ids go
  /// backwards (their order is what makes the sort topological).
  static let counter = Atomic<Int>(0)

  /// A fresh, strictly increasing number.
  @inline(__always)
  static func nextNumber() -> Int { counter.wrappingAdd(1, ordering: .relaxed).newValue }

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
    id = Node.nextNumber()
    self.op = op
    self.inputs = inputs
  }

  /// Releases the graph behind this node iteratively: a node that only this chain still holds gives
  /// up its inputs before it dies, so a 100,000-op chain does not recurse 100,000 deinits deep.
  deinit {
    guard !inputs.isEmpty else { return }
    var stack: [Node] = []
    for case let i? in inputs { stack.append(i) }
    inputs = []
    while var n = stack.popLast() {
      if isKnownUniquelyReferenced(&n) {
        for case let i? in n.inputs { stack.append(i) }
        n.inputs = []
      }
    }
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

/// Whether operations are currently recorded for backward (per thread).
public enum GradMode {
  static let key: pthread_key_t = {
    var k = pthread_key_t()
    pthread_key_create(&k) { free($0) }
    return k
  }()

  /// This thread's no-grad nesting depth.
  static var depth: UnsafeMutablePointer<Int> {
    @inline(__always) get {
      if let p = pthread_getspecific(key) { return p.assumingMemoryBound(to: Int.self) }
      let p = UnsafeMutablePointer<Int>.allocate(capacity: 1)
      p.initialize(to: 0)
      pthread_setspecific(key, p)
      return p
    }
  }

  /// True unless this thread is inside `withNoGrad`.
  public static var isEnabled: Bool { depth.pointee == 0 }
}

/// Runs `body` without recording anything for backward (evaluation, optimizer updates, data prep).
/// The setting is per thread.
public func withNoGrad<R>(_ body: () throws -> R) rethrows -> R {
  let d = GradMode.depth
  d.pointee += 1
  defer { d.pointee -= 1 }
  return try body()
}

extension Tensor {
  /// Attaches a node recording `op` to `self` when gradients are enabled and some input needs one.
  @inline(__always)
  mutating func record(_ op: @autoclosure () -> Op, _ a: Tensor) {
    guard GradMode.isEnabled, let na = a.node else { return }
    let o = op()
    if let p = Profiler.current { Profiler.forward(p, o, elements: count, inputs: 1) }
    node = Node(op: o, inputs: [na])
  }

  /// Attaches a node for a two-input op (either input may be a constant).
  @inline(__always)
  mutating func record(_ op: @autoclosure () -> Op, _ a: Tensor, _ b: Tensor) {
    guard GradMode.isEnabled, a.node != nil || b.node != nil else { return }
    let o = op()
    if let p = Profiler.current { Profiler.forward(p, o, elements: count, inputs: 2) }
    node = Node(op: o, inputs: [a.node, b.node])
  }

  /// Attaches a node for an op with many inputs.
  mutating func record(_ op: @autoclosure () -> Op, inputs: [Tensor]) {
    guard GradMode.isEnabled, inputs.contains(where: { $0.node != nil }) else { return }
    let o = op()
    if let p = Profiler.current { Profiler.forward(p, o, elements: count, inputs: inputs.count) }
    node = Node(op: o, inputs: inputs.map(\.node))
  }
}
