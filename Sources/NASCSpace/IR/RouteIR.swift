/// A candidate block of a routing space (DenseNAS): width, resolution, stage and stacked layers.
public struct RouteBlock: Sendable, Hashable {
  /// Its index (0 = the route's input, the last = the final block).
  public var index: Int
  /// Its output shape.
  public var shape: Shape
  /// Its stage (a connection may advance at most `maxStageStep` stages).
  public var stage: Int
  /// Its stacked layers (each a choice over the stack candidates, stride 1).
  public var layers: [LayerIR]
  /// The choice point of its path weights β (`route.block[k].next`, one logit per outgoing
  /// connection, in `targets` order); nil in a decided route and for the final block.
  public var next: String?
  /// The blocks its connections lead to, in order (in a decided route, the next block of the path).
  public var targets: [Int]
}

/// A connection of a routing space: block `from` → block `to` through a head layer.
public struct RouteEdge: Sendable, Hashable {
  /// Source block.
  public var from: Int
  /// Target block.
  public var to: Int
  /// 1 or 2 (the resolution ratio).
  public var stride: Int
  /// The head layer of this connection (a choice `route.edge[i→j].op`, or the final block's fixed op).
  public var head: LayerIR
}

/// An expanded routing graph: the supernet holds every block and connection; a decided
/// architecture holds the blocks and connections of one path. Each block's β choice point
/// (`route.block[k].next`) weights its outgoing connections; an architecture decides the whole path
/// as `route.path` (DenseNAS derives it by Viterbi over the products of softmax(β)).
public struct RouteIR: Sendable, Hashable {
  /// The path decision id (`route.path`), or nil when decided.
  public var pathChoice: String?
  /// Blocks in topological order.
  public var blocks: [RouteBlock]
  /// Connections.
  public var edges: [RouteEdge]
  /// The route's input shape (block 0).
  public var inputShape: Shape
  /// The final block's output shape.
  public var shape: Shape

  /// The block with index `k`.
  public func block(_ k: Int) -> RouteBlock? { blocks.first { $0.index == k } }

  /// The connections into block `k`, in order.
  public func incoming(_ k: Int) -> [RouteEdge] { edges.filter { $0.to == k } }

  /// The index of the final block.
  public var final: Int { blocks.last?.index ?? 0 }
}
