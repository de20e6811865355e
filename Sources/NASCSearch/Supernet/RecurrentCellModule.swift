import NASCSpace
import NASCTensor

/// A recurrent cell (DARTS' and ENAS' RNN cells, METHODS.md §1.7 and §11.2), run one time step at a
/// time: node 0 is the preprocessed `concat(x_t, h_{t-1})`, each later node reads earlier nodes through
/// a projection (one per node, DARTS' W_i, or one per edge, ENAS), and the output `h_t` combines the
/// output nodes.
///
/// Variational dropout masks the inputs of the cell's weight matrices only, with masks fixed for a
/// whole sequence window: `x_t` and `h_{t-1}` where the initial node's linear layer reads them, and
/// every state where a projection reads it (the highways see the unmasked states), as in DARTS.
public final class RecurrentCellModule: Module {
  /// The IR cell.
  public let cell: CellInstance
  /// Node 0's op on `concat(x_t, h_{t-1})`.
  let initial: PrimGraphModule
  /// Per intermediate node, its shared projection (DARTS' W_i), or nil.
  let nodeProjections: [PrimGraphModule?]
  /// Per intermediate node and edge, the edge's own projection (ENAS), or nil.
  let edgeProjections: [[PrimGraphModule?]]
  /// Per intermediate node, its edges in IR order.
  public let edges: [[MixedEdgeModule]]
  /// One batch norm without affine parameters, shared by node 0 (when it is a C-wide state) and
  /// every node (DARTS' search cell, whose sums over predecessors grow without it), or nil.
  let stateNorm: BatchNorm2d?

  /// The width of the hidden state (C).
  public var hiddenSize: Int { cell.c }

  /// Builds the cell's modules; `LoweringError` for a cell that is not a one-input recurrent cell.
  /// `normalizesStates` adds DARTS' search batch norm on node 0 and every node.
  public init(_ cell: CellInstance, normalizesStates: Bool = false, rng: inout RNG) throws {
    guard cell.recurrent, cell.inputs.count == 1 else {
      throw LoweringError(description: "cell \(cell.template) is not a one-input recurrent cell")
    }
    guard cell.postprocess == nil else {
      throw LoweringError(description: "recurrent cell \(cell.template) has a postprocess op, which is not lowered")
    }
    self.cell = cell
    initial = try PrimGraphModule(cell.inputs[0].preprocess, rng: &rng)
    var nodeProjections = [PrimGraphModule?](), edgeProjections = [[PrimGraphModule?]]()
    var all = [[MixedEdgeModule]]()
    for node in cell.nodes {
      nodeProjections.append(try node.project.map { try PrimGraphModule($0, rng: &rng) })
      var row = [MixedEdgeModule](), projections = [PrimGraphModule?]()
      for e in node.edges {
        projections.append(try e.project.map { try PrimGraphModule($0, rng: &rng) })
        row.append(
          try MixedEdgeModule(choice: e.choice, candidates: e.candidates, stride: 1, partialChannels: nil, rng: &rng))
      }
      all.append(row)
      edgeProjections.append(projections)
    }
    self.nodeProjections = nodeProjections
    self.edgeProjections = edgeProjections
    edges = all
    stateNorm = normalizesStates ? BatchNorm2d(cell.c, affine: false) : nil
    super.init()
    register("pre0", initial)
    if let stateNorm { register("state_bn", stateNorm) }
    for (n, node) in cell.nodes.enumerated() {
      if let p = nodeProjections[n] { register("node\(node.index)_project", p) }
      for (j, e) in all[n].enumerated() {
        let name = "node\(node.index)_edge\(j)_from\(node.edges[j].from)"
        if let p = edgeProjections[n][j] { register(name + "_project", p) }
        register(name, e)
      }
    }
  }

  /// One time step: `h_t` ([N, C]) from the input `x` ([N, E]) and the previous state `h` ([N, C]).
  /// `xMask` and `hMask` are the window's dropout masks (nil: none).
  public func step(
    _ x: Tensor, _ h: Tensor, plan: ForwardPlan, xMask: Tensor?, hMask: Tensor?, context: inout ForwardContext
  ) -> Tensor {
    let xh = concat([x, h], axis: 1)
    let maskedXH: Tensor? =
      xMask == nil && hMask == nil
      ? nil : concat([xMask.map { x.masked(by: $0) } ?? x, hMask.map { h.masked(by: $0) } ?? h], axis: 1)
    var states = [Tensor?](repeating: nil, count: 1 + cell.nodes.count)
    func normalized(_ s: Tensor) -> Tensor { stateNorm.map { $0(s) } ?? s }
    // Node 0 is a C-wide state only when an op computes it (DARTS' s0); ENAS' raw [x_t, h_{t-1}] stays as it is.
    let first = initial(xh, context: &context, linearInput: maskedXH)
    states[0] = first.shape[1] == cell.c ? normalized(first) : first
    // What a projection reads: a state under the h mask (node 0 under both masks when it is the raw input).
    func projected(_ j: Int) -> Tensor {
      if j == 0 && initial.isIdentity { return maskedXH ?? xh }
      return hMask.map { states[j]!.masked(by: $0) } ?? states[j]!
    }
    var read = [Bool](repeating: false, count: states.count)
    for (n, node) in cell.nodes.enumerated() {
      var outs = [Tensor]()
      var nodeProjection = [Int: Tensor]()
      for (j, edge) in node.edges.enumerated() {
        let module = edges[n][j]
        let p = module.choice.flatMap { plan.ops[$0] }
        if case .off? = p { continue }
        read[edge.from] = true
        let source = states[edge.from]!
        let input: Tensor
        if let proj = edgeProjections[n][j] {
          input = concat([source, proj(projected(edge.from), context: &context)], axis: 1)
        } else if let proj = nodeProjections[n] {
          if nodeProjection[edge.from] == nil {
            nodeProjection[edge.from] = proj(projected(edge.from), context: &context)
          }
          input = concat([source, nodeProjection[edge.from]!], axis: 1)
        } else {
          input = source
        }
        outs.append(module(input, plan: p, context: &context))
      }
      precondition(!outs.isEmpty, "node \(node.index) of \(cell.template) has every edge off")
      let combined: Tensor
      if let id = node.inputsChoice, let w = plan.inputs[id] {
        combined = weightedSum(outs, weights: w)
      } else if node.combine == .mean && outs.count > 1 {
        combined = sum(outs) * (1 / Float(outs.count))
      } else {
        combined = outs.count == 1 ? outs[0] : sum(outs)
      }
      states[node.index] = normalized(combined)
    }
    var picked = cell.outputNodes
    if cell.outputMode.hasSuffix("loose_ends") {
      let loose = picked.filter { !read[$0] }
      if !loose.isEmpty { picked = loose }
    }
    let outputs = picked.map { states[$0]! }
    if cell.outputMode == "last" { return outputs[outputs.count - 1] }
    return outputs.count == 1 ? outputs[0] : sum(outputs) * (1 / Float(outputs.count))
  }
}
