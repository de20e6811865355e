/// One primitive application inside a `PrimGraph`.
public struct PrimNode: Sendable, Hashable {
  /// The primitive with all sizes resolved.
  public var op: Primitive
  /// Value ids it reads (0 = the graph input, k = the output of `nodes[k-1]`).
  public var inputs: [Int]
  /// The shape it produces.
  public var shape: Shape
}

/// A small DAG of primitives with channels and spatial sizes resolved: what one instantiated op
/// (an edge candidate, a preprocessing op, a stem, a head) is. Lowering walks `nodes` in order:
/// value 0 is the input tensor, node k produces value k+1, the result is value `output`.
public struct PrimGraph: Sendable, Hashable {
  /// The input shape.
  public var input: Shape
  /// Primitives in topological order.
  public var nodes: [PrimNode]
  /// The value id of the result.
  public var output: Int

  /// A graph that returns its input.
  public static func identity(_ s: Shape) -> PrimGraph { PrimGraph(input: s, nodes: [], output: 0) }

  /// The shape of value `id`.
  public func shape(of id: Int) -> Shape { id == 0 ? input : nodes[id - 1].shape }

  /// The output shape.
  public var outputShape: Shape { shape(of: output) }

  /// True when the graph has no parameters and no nodes other than `zero` (the `none` op).
  public var isZero: Bool {
    nodes.count == 1 && { if case .zero = nodes[0].op { return true } else { return false } }()
  }
}

/// Builds a `PrimGraph` step by step.
struct GraphBuilder {
  var graph: PrimGraph

  init(input: Shape) { graph = PrimGraph(input: input, nodes: [], output: 0) }

  func shape(_ v: Int) -> Shape { graph.shape(of: v) }

  mutating func add(_ op: Primitive, _ inputs: [Int], _ shape: Shape) -> Int {
    graph.nodes.append(PrimNode(op: op, inputs: inputs, shape: shape))
    return graph.nodes.count
  }

  func finish(_ out: Int) -> PrimGraph {
    var g = graph
    g.output = out
    return g
  }
}
