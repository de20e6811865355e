import NASCSpace
import NASCTensor

/// A routing graph (DenseNAS, METHODS.md §5.2) lowered to modules: per connection i→j its head
/// layer (a mixed op over the head candidates, or the final block's fixed op), per block its stacked
/// layers (mixed ops over the stack candidates).
///
/// The head of block j sums its incoming branches, branch i→j weighted by the path weight that
/// block i gives j (`PathPlan`): these come from the source blocks' distributions and need not sum
/// to 1 at the target. Then the stacked layers run in order. A block that no running connection
/// reaches is not run.
public final class RouteModule: Module {
  /// The IR it was built from.
  public let route: RouteIR
  /// Head layers, in `route.edges` order.
  public let heads: [MixedEdgeModule]
  /// Per block (in `route.blocks` order), its stacked layers.
  public let stacks: [[MixedEdgeModule]]
  /// Per block (in `route.blocks` order), its incoming connections: the edge index and the source
  /// block's position.
  let incoming: [[(edge: Int, source: Int)]]
  /// Per block position, the last block index that reads its output.
  let lastReader: [Int]

  /// Builds every head and stacked layer, drawing weights from `rng` in block order (each block's
  /// incoming heads, then its stacked layers).
  public init(_ route: RouteIR, rng: inout RNG) throws {
    self.route = route
    var heads = [MixedEdgeModule?](repeating: nil, count: route.edges.count)
    var stacks = [[MixedEdgeModule]]()
    for b in route.blocks {
      for (e, edge) in route.edges.enumerated() where edge.to == b.index {
        heads[e] = try MixedEdgeModule(
          choice: edge.head.choice, candidates: edge.head.candidates, stride: edge.stride, partialChannels: nil,
          rng: &rng)
      }
      stacks.append(
        try b.layers.map {
          try MixedEdgeModule(choice: $0.choice, candidates: $0.candidates, stride: 1, partialChannels: nil, rng: &rng)
        })
    }
    self.heads = heads.map { $0! }
    self.stacks = stacks
    let position = Dictionary(uniqueKeysWithValues: route.blocks.enumerated().map { ($1.index, $0) })
    incoming = route.blocks.map { b in
      route.edges.enumerated().compactMap { e, edge in
        edge.to == b.index ? position[edge.from].map { (e, $0) } : nil
      }
    }
    lastReader = route.blocks.map { b in route.edges.filter { $0.from == b.index }.map(\.to).max() ?? b.index }
    super.init()
    for (e, edge) in route.edges.enumerated() { register("head\(edge.from)_\(edge.to)", self.heads[e]) }
    for (k, b) in route.blocks.enumerated() {
      for (l, m) in stacks[k].enumerated() { register("block\(b.index)_layer\(l)", m) }
    }
  }

  /// Every mixed op: the heads, then the stacked layers.
  public var mixedEdges: [MixedEdgeModule] { heads + stacks.joined() }

  /// Runs the route on block 0's output `x`; returns the final block's output.
  public func callAsFunction(_ x: Tensor, plan: ForwardPlan, context: inout ForwardContext) -> Tensor {
    var outputs = [Tensor?](repeating: nil, count: route.blocks.count)
    outputs[0] = x
    for (k, b) in route.blocks.enumerated() where k > 0 {
      var outs = [Tensor]()
      var weights = [Tensor]()
      var weighted = false
      for (e, sb) in incoming[k] {
        guard let source = outputs[sb] else { continue }
        let block = route.blocks[sb]
        var w: Tensor? = nil
        if let id = block.next, let p = plan.paths[id] {
          switch p {
          case .single(let target): if target != b.index { continue }
          case .weights(let t):
            guard let i = block.targets.firstIndex(of: b.index) else { continue }
            w = t.slice(axis: 0, start: i, end: i + 1)
          }
        }
        let head = heads[e]
        outs.append(head(source, plan: head.choice.flatMap { plan.ops[$0] }, context: &context))
        weights.append(w ?? Tensor([1]))
        weighted = weighted || w != nil
      }
      guard !outs.isEmpty else { continue }
      var y = weighted ? weightedSum(outs, weights: concat(weights, axis: 0)) : (outs.count == 1 ? outs[0] : sum(outs))
      for m in stacks[k] { y = m(y, plan: m.choice.flatMap { plan.ops[$0] }, context: &context) }
      outputs[k] = y
      // Release the outputs no later block reads.
      for i in 0..<k where lastReader[i] <= b.index { outputs[i] = nil }
    }
    guard let out = outputs[route.blocks.count - 1] else {
      preconditionFailure("the plan runs no connection into the final block \(route.final)")
    }
    return out
  }
}
