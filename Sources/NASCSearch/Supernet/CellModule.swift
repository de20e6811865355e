import NASCSpace
import NASCTensor

/// One cell instance: preprocessing of its inputs, its nodes' incoming edges and its output.
public final class CellModule: Module {
  /// The IR cell.
  public let cell: CellInstance
  /// One preprocessing module per cell input.
  public let preprocess: [PrimGraphModule]
  /// Per intermediate node, its edges in IR order.
  public let edges: [[MixedEdgeModule]]
  /// The op applied to the combined output (ENAS), or nil.
  public let postprocess: PrimGraphModule?

  /// Builds the cell's modules.
  public init(_ cell: CellInstance, rng: inout RNG) throws {
    if cell.recurrent || cell.nodes.contains(where: { $0.project != nil || $0.edges.contains { $0.project != nil } }) {
      throw LoweringError(description: "recurrent cells are not lowered to the engine yet")
    }
    self.cell = cell
    var pre = [PrimGraphModule]()
    for input in cell.inputs { pre.append(try PrimGraphModule(input.preprocess, rng: &rng)) }
    preprocess = pre
    var all = [[MixedEdgeModule]]()
    for node in cell.nodes {
      var row = [MixedEdgeModule]()
      for e in node.edges {
        row.append(
          try MixedEdgeModule(
            choice: e.choice, candidates: e.candidates, stride: e.stride, partialChannels: e.partialChannels,
            rng: &rng))
      }
      all.append(row)
    }
    edges = all
    postprocess = try cell.postprocess.map { try PrimGraphModule($0, rng: &rng) }
    super.init()
    if let postprocess { register("post", postprocess) }
    for (i, p) in pre.enumerated() { register("pre\(i)", p) }
    for (n, row) in all.enumerated() {
      for (j, e) in row.enumerated() {
        register("node\(cell.nodes[n].index)_edge\(j)_from\(cell.nodes[n].edges[j].from)", e)
      }
    }
  }

  /// Runs the cell on its inputs (one tensor per cell input).
  public func callAsFunction(_ inputs: [Tensor], plan: ForwardPlan, context: inout ForwardContext) -> Tensor {
    var states = [Tensor?](repeating: nil, count: cell.inputs.count + cell.nodes.count)
    for (i, x) in inputs.enumerated() { states[i] = preprocess[i](x, context: &context) }
    var read = [Bool](repeating: false, count: states.count)
    for (n, node) in cell.nodes.enumerated() {
      var outs = [Tensor]()
      outs.reserveCapacity(node.edges.count)
      for (j, edge) in node.edges.enumerated() {
        let module = edges[n][j]
        let p = module.choice.flatMap { plan.ops[$0] }
        if case .off? = p { continue }
        read[edge.from] = true
        outs.append(module(states[edge.from]!, plan: p, context: &context))
      }
      precondition(!outs.isEmpty, "node \(node.index) of \(cell.template) has every edge off")
      let value: Tensor
      if let id = node.inputsChoice, let w = plan.inputs[id] {
        value = weightedSum(outs, weights: w)
      } else if node.combine == .mean && outs.count > 1 {
        value = sum(outs) * (1 / Float(outs.count))
      } else {
        value = outs.count == 1 ? outs[0] : sum(outs)
      }
      states[node.index] = value
    }
    var picked = cell.outputNodes.map { states[$0]! }
    if cell.outputMode.hasSuffix("loose_ends") {
      // The loose ends of the architecture the plan runs (ENAS): the nodes no running edge reads.
      // A concatenation keeps every node's place (zeros for the read ones), so the postprocess'
      // 1×1 convolution uses exactly the weight rows of the loose ends, as ENAS gathers them.
      let loose = cell.outputNodes.filter { !read[$0] }
      if cell.outputMode == "loose_ends" {
        picked = cell.outputNodes.map { read[$0] ? .zeros(states[$0]!.shape) : states[$0]! }
      } else if !loose.isEmpty {
        picked = loose.map { states[$0]! }
      }
    }
    let combined: Tensor
    switch cell.outputMode {
    case "mean", "mean_loose_ends": combined = picked.count == 1 ? picked[0] : sum(picked) * (1 / Float(picked.count))
    case "last": combined = picked[picked.count - 1]
    default: combined = picked.count == 1 ? picked[0] : concat(picked, axis: 1)  // concat, loose_ends
    }
    return postprocess.map { $0(combined, context: &context) } ?? combined
  }
}
