/// The kind of a choice point (DESIGN.md's vocabulary).
public enum ChoiceKind: String, Sendable, Codable {
  /// One op (or at most k summed ops) out of candidates on an edge or a layer.
  case op
  /// k inputs out of a node's earlier nodes.
  case inputs
  /// A number out of candidates (width scale, expansion, kernel).
  case value
  /// A route through a routing graph.
  case path
}

/// A choice point: a stable id that architecture parameters are keyed by. All cell instances of one
/// template share the ids of that template (`normal.edge[0→2].op`, `normal.node2.inputs`).
public struct ChoicePoint: Sendable, Hashable {
  /// The stable id.
  public var id: String
  /// op / inputs / value / path.
  public var kind: ChoiceKind
  /// Candidate names (ops), node indices (inputs, as strings) or values.
  public var candidates: [String]
  /// How many are kept (1 for op choices; 2 for DARTS inputs).
  public var k: Int
  /// Where it was declared.
  public var location: SourceLocation
  /// For a layer whose op is combined with value choices (a composite point, id `layer[i].op`): the
  /// ids of the user-facing choice points it combines (`layer[i].op` when the layer chooses its op,
  /// then `layer[i].scale`, …); its candidates are their combinations. Empty for other points.
  public var parts: [String] = []
}

/// One decision of an arch file: a choice point id and the value it takes.
public struct ChoiceDecision: Sendable, Hashable, Codable {
  /// The choice point id (`layer[3].op`, `layer[3].scale`).
  public var id: String
  /// The op name or value as arch files write it.
  public var value: String

  /// A decision.
  public init(id: String, value: String) {
    self.id = id
    self.value = value
  }
}

/// One candidate op of an edge or a layer, instantiated.
public struct Candidate: Sendable, Hashable {
  /// Its name (as in genotypes, arch files and `PRIMITIVES`).
  public var name: String
  /// The primitives it runs.
  public var graph: PrimGraph
  /// For a candidate of a composite layer choice (an op combined with value choices): the
  /// decisions of the user-facing choice points it stands for; empty otherwise.
  public var decisions: [ChoiceDecision] = []
  /// The candidate it was expanded from by value choices (its name in the candidate list or the
  /// layer's fixed op), or nil. Candidates of one family whose graphs differ only in channel counts
  /// share one set of weights at the largest width (see `PrimGraph.widthSignature`).
  public var family: String? = nil

  /// The name of the op it runs as a derivation rule's `exclude:` names it (its family, else its name).
  public var opName: String { family ?? name }
}

/// An edge of a cell instance: `from` → `to` with a stride and its candidates.
public struct CellEdge: Sendable, Hashable {
  /// The node it reads (0..<inputs are the cell inputs, after preprocessing).
  public var from: Int
  /// The node it feeds.
  public var to: Int
  /// 2 on edges leaving the inputs of a reduction cell, else 1.
  public var stride: Int
  /// The op choice point id, or nil when the edge is fixed (then `candidates.count == 1`).
  public var choice: String?
  /// The candidates in declaration order (the order of α's columns).
  public var candidates: [Candidate]
  /// PC-DARTS partial channels K: candidates are built on `C/K` channels; the other channels bypass
  /// (max-pooled 2×2 when `stride == 2`), then `concat(op, bypass)` is channel-shuffled with K groups.
  public var partialChannels: Int?
  /// A projection of this edge's source shared by its candidates (ENAS RNN: weights per (node,
  /// predecessor)), or nil. When set, the candidates read `concat(state_from, project(state_from))`.
  public var project: PrimGraph? = nil
}

/// How a node combines its incoming edges.
public enum Combine: String, Sendable, Hashable {
  /// Sum of edge outputs (DARTS, NB201).
  case sum
  /// Mean of edge outputs.
  case mean
}

/// An intermediate node of a cell instance.
public struct CellNode: Sendable, Hashable {
  /// Its index in the cell (inputs come first).
  public var index: Int
  /// Its incoming edges (in a decided architecture: only the kept ones, possibly two from one input).
  public var edges: [CellEdge]
  /// The inputs choice point id (keep k of the edges' sources), or nil.
  public var inputsChoice: String?
  /// How edges are combined.
  public var combine: Combine
  /// A projection shared by all edges into this node (recurrent cells: DARTS' W_i), or nil. When set,
  /// each edge's candidates read `concat(state_from, project(state_from))`.
  public var project: PrimGraph? = nil
  /// Whether its k input picks may repeat an input (`select: {repeats: true}`, ENAS).
  public var repeats = false
  /// Its output shape.
  public var shape: Shape
}

/// One input of a cell instance.
public struct CellInput: Sendable, Hashable {
  /// The body item whose output it reads (-1 = the stem).
  public var source: Int
  /// The shape it reads.
  public var sourceShape: Shape
  /// The preprocessing op (FactorizedReduce, ReLUConvBN 1×1, or identity).
  public var preprocess: PrimGraph
}

/// An expanded cell.
public struct CellInstance: Sendable, Hashable {
  /// The template name (the prefix of its choice ids).
  public var template: String
  /// Its position among the network's cells.
  public var cellIndex: Int
  /// Whether it is a reduction cell.
  public var reduction: Bool
  /// The variable `reduction_prev`: whether the item before was a reduction cell, or another item
  /// (an op, layer, route or memory block) that lowered the resolution.
  public var reductionPrev: Bool
  /// Channels of the item two back (`C_prev_prev`; read only by two-input cells).
  public var cPrevPrev: Int
  /// Channels of the previous cell (`C_prev`).
  public var cPrev: Int
  /// The node width C.
  public var c: Int
  /// The inputs with their preprocessing.
  public var inputs: [CellInput]
  /// The intermediate nodes in order.
  public var nodes: [CellNode]
  /// The nodes concatenated (or averaged / last) into the output.
  public var outputNodes: [Int]
  /// concat, mean, last, loose_ends or mean_loose_ends. With the loose-end modes in a search
  /// supernet, `outputNodes` lists every intermediate node and the lowering combines those the
  /// sampled architecture does not read (ENAS); in a decided cell `outputNodes` is exactly those.
  public var outputMode: String
  /// An op applied to the combined output (ENAS: ReLU, 1×1 conv to C, BN), or nil.
  public var postprocess: PrimGraph?
  /// A recurrent cell: its single input is `concat(x_t, h_{t-1})` where h is the cell's own output
  /// at the previous time step (C channels), and its output is h_t.
  public var recurrent = false
  /// The output shape.
  public var shape: Shape

  /// Every edge, node by node (the order of the template's α rows).
  public var edges: [CellEdge] { nodes.flatMap(\.edges) }
}

/// One layer of a layer-wise space (MobileNet family): fixed or a choice over candidates.
public struct LayerIR: Sendable, Hashable {
  /// Its index among the network's layers.
  public var layerIndex: Int
  /// The op choice point id, or nil when fixed.
  public var choice: String?
  /// The candidates (one when fixed). With value choices: every combination of their values, in
  /// row-major order (the last value choice varies fastest).
  public var candidates: [Candidate]
  /// Value choices of the layer's op arguments (`with: {k: {choice: [3, 5]}}`), in argument order.
  public var valueChoices: [ValueChoice] = []
  /// The stride of the layer.
  public var stride: Int
  /// Whether an identity shortcut is added around the (chosen) op.
  public var residual: Bool
  /// Input shape.
  public var inputShape: Shape
  /// Output shape.
  public var shape: Shape
  /// The width decision its output width follows (its own `out:` choice, a stage's or a `tied:`
  /// one), or nil when the output width is fixed or follows the input.
  public var widthChoice: String? = nil
  /// With `widthChoice`: the output channels each of the decision's values gives.
  public var widthChannels: [Int] = []
  /// When the layer's input or output width varies: every (input, output) width pair it can run
  /// at, each with its candidates' graphs at those widths. `candidates` then hold the widest
  /// graphs, the shape the shared weights are built at; `inputShape` and `shape` are the widest.
  public var variants: [WidthVariant] = []

  /// The variant that reads `inputChannels` and writes `outputChannels`, if the layer has variants.
  public func variant(input inputChannels: Int, output outputChannels: Int) -> WidthVariant? {
    variants.first { $0.inputChannels == inputChannels && $0.outputChannels == outputChannels }
  }
}

/// An item or layer rebuilt at one width pair an earlier width choice leads to: its graphs (per
/// candidate of a layer; one for a fixed block or the head) share the widest graph's weights.
public struct WidthVariant: Sendable, Hashable {
  /// Input channels.
  public var inputChannels: Int
  /// Output channels.
  public var outputChannels: Int
  /// The graphs at these widths (a layer: one per candidate, in candidate order).
  public var graphs: [PrimGraph]
  /// Whether the identity shortcut applies at these widths (a layer whose residual is `auto`).
  public var residual: Bool

  /// A variant.
  public init(inputChannels: Int, outputChannels: Int, graphs: [PrimGraph], residual: Bool) {
    self.inputChannels = inputChannels
    self.outputChannels = outputChannels
    self.graphs = graphs
    self.residual = residual
  }
}

/// A value choice of a layer: one op argument chosen among numbers.
public struct ValueChoice: Sendable, Hashable {
  /// The choice point id (`layer[3].k`).
  public var id: String
  /// The op parameter it sets.
  public var parameter: String
  /// The candidate values as written.
  public var values: [String]
}

/// One item of the expanded network body.
public enum NetworkItem: Sendable, Hashable {
  /// A cell.
  case cell(CellInstance)
  /// A layer.
  case layer(LayerIR)
  /// A fixed block (e.g. NB201's ResNet block, MobileNet's last conv).
  case fixed(name: String, graph: PrimGraph)
  /// A routing graph (DenseNAS).
  case route(RouteIR)
  /// A block of memory banks (SMASH).
  case memory(MemoryBlockIR)

  /// The output shape.
  public var shape: Shape {
    switch self {
    case .cell(let c): return c.shape
    case .layer(let l): return l.shape
    case .fixed(_, let g): return g.outputShape
    case .route(let r): return r.shape
    case .memory(let m): return m.shape
    }
  }
}

/// The auxiliary head of an evaluation skeleton.
public struct AuxiliaryHead: Sendable, Hashable {
  /// The body item whose output it reads.
  public var after: Int
  /// Its primitives (ending in the classifier).
  public var graph: PrimGraph
  /// Its loss weight.
  public var weight: Double
}

/// The expanded macro skeleton.
public struct NetworkIR: Sendable, Hashable {
  /// The input shape.
  public var input: Shape
  /// Number of classes.
  public var classes: Int
  /// The stem (its output feeds the first item; two-input cells see it twice).
  public var stem: PrimGraph
  /// The body in order.
  public var items: [NetworkItem]
  /// Global pooling and classifier, applied to the last item's output.
  public var head: PrimGraph
  /// The auxiliary head, in evaluation skeletons that declare one.
  public var auxiliary: AuxiliaryHead?
  /// Drop-path probability of the evaluation skeleton (0 when none).
  public var dropPath: Double
  /// The vocabulary of a token-sequence input (the input shape is then a token id, 1×1×1), or nil.
  public var tokens: Int? = nil
  /// Tokens per training window of a token-sequence input (`input.sequence`, the bptt), or nil.
  public var sequence: Int? = nil
  /// Fixed blocks whose input width follows a width choice: per body item index (the head at
  /// `items.count`), the graphs at each input width it can see. The item's own graph is the
  /// widest, the shape its weights are built at.
  public var widthVariants: [Int: [WidthVariant]] = [:]

  /// Whether some width choice changes the widths the network runs at.
  public var hasWidthChoices: Bool {
    !widthVariants.isEmpty || items.contains { if case .layer(let l) = $0 { !l.variants.isEmpty } else { false } }
  }

  /// The body's routing graph (DenseNAS), if it has one.
  public var route: RouteIR? {
    for case .route(let r) in items { return r }
    return nil
  }
}
