import NASCSpace
import NASCTensor

/// The network lowered from a `NetworkIR`: stem, body (cells, layers, fixed blocks), head and an
/// optional auxiliary head. One class serves search supernets and fixed architectures alike: a fixed
/// architecture is an IR whose edges have one candidate each.
public final class SupernetModel: Module {
  /// One lowered body item.
  enum Item {
    case cell(CellModule)
    case layer(MixedEdgeModule, LayerIR)
    case superkernel(SuperkernelModule, LayerIR)
    case fixed(PrimGraphModule, variants: [WidthVariant])
    case route(RouteModule)
    case memory(MemoryBlockModule)
  }

  /// The IR it was built from.
  public let network: NetworkIR
  let stem: PrimGraphModule
  let items: [Item]
  let head: PrimGraphModule
  let auxiliary: PrimGraphModule?
  /// For each body item, the last item that reads its output (so it can be released after that).
  let lastReader: [Int]

  /// Builds every module of `network`, drawing initial weights from `rng` in network order. With
  /// `superkernels`, every searchable layer is one Single-Path NAS superkernel (its candidates must
  /// be MBConvs over two kernel sizes × two expansions, plus optionally `none`).
  public init(_ network: NetworkIR, rng: inout RNG, superkernels: Bool = false) throws {
    self.network = network
    stem = try PrimGraphModule(network.stem, rng: &rng)
    var items = [Item]()
    for item in network.items {
      switch item {
      case .cell(let c): items.append(.cell(try CellModule(c, rng: &rng)))
      case .layer(let l) where superkernels && l.choice != nil:
        guard let grid = SuperkernelModule.grid(l.candidates), l.variants.isEmpty else {
          throw LoweringError(
            description:
              "layer \(l.layerIndex)'s candidates (\(l.candidates.map(\.name).joined(separator: ", "))) are not MBConvs over two kernel sizes × two expansions (plus none), which one superkernel covers"
          )
        }
        items.append(.superkernel(SuperkernelModule(choice: l.choice!, grid: grid, rng: &rng), l))
      case .layer(let l):
        let m = try MixedEdgeModule(
          choice: l.choice, candidates: l.candidates, stride: l.stride, partialChannels: nil, rng: &rng)
        items.append(.layer(m, l))
      case .fixed(_, let g):
        items.append(.fixed(try PrimGraphModule(g, rng: &rng), variants: network.widthVariants[items.count] ?? []))
      case .route(let r): items.append(.route(try RouteModule(r, rng: &rng)))
      case .memory(let m):
        let index = network.items[..<items.count].filter { if case .memory = $0 { true } else { false } }.count
        items.append(.memory(try MemoryBlockModule(m, index: index, rng: &rng)))
      }
    }
    self.items = items
    var last = network.items.indices.map { $0 + 1 }
    for (i, item) in network.items.enumerated() {
      if case .cell(let c) = item {
        for input in c.inputs where input.source >= 0 { last[input.source] = max(last[input.source], i) }
      }
    }
    lastReader = last
    head = try PrimGraphModule(network.head, rng: &rng)
    auxiliary = try network.auxiliary.map { try PrimGraphModule($0.graph, rng: &rng) }
    super.init()
    register("stem", stem)
    for (i, item) in items.enumerated() {
      switch item {
      case .cell(let c): register("cells\(i)", c)
      case .layer(let l, _): register("layers\(i)", l)
      case .superkernel(let k, _): register("layers\(i)", k)
      case .fixed(let f, _): register("blocks\(i)", f)
      case .route(let r): register("route\(i)", r)
      case .memory(let m): register("memory\(i)", m)
      }
    }
    register("head", head)
    if let auxiliary { register("auxiliary", auxiliary) }
  }

  /// The superkernel layers, in network order.
  public var superkernels: [SuperkernelModule] {
    items.compactMap { if case .superkernel(let k, _) = $0 { k } else { nil } }
  }

  /// Every mixed edge (cell edges and layer-wise choices).
  public var mixedEdges: [MixedEdgeModule] {
    items.flatMap { item -> [MixedEdgeModule] in
      switch item {
      case .cell(let c): return c.edges.flatMap { $0 }
      case .layer(let m, _): return [m]
      case .route(let r): return r.mixedEdges
      case .memory(let m): return m.layers.compactMap(\.rest)
      case .fixed, .superkernel: return []
      }
    }
  }

  /// Per mixed edge: the elements of its input and of the tensors its candidates produce, per
  /// sample (what it keeps for backward when it is not recomputed; an activation fused into the
  /// batch norm before it makes none of its own, and the `none` op, which mixtures skip, none).
  public var mixedEdgeFootprints: [(input: Int, kept: Int)] { footprints(singlePath: false) }

  /// The footprints of `mixedEdgeFootprints`; with `singlePath`, of the largest candidate alone (a
  /// sampled path runs one candidate per edge).
  public func footprints(singlePath: Bool) -> [(input: Int, kept: Int)] {
    mixedEdges.map { e in
      let kept = e.candidates.map { c in
        c.isZero
          ? 0
          : c.graph.nodes.indices.reduce(0) { sum, k in
            k > 0 && c.fusedActivation[k - 1] != nil ? sum : sum + c.graph.nodes[k].shape.elements
          }
      }
      return (e.candidates.first?.graph.input.elements ?? 0, singlePath ? kept.max() ?? 0 : kept.reduce(0, +))
    }
  }

  /// Turns recomputation of mixed edges on or off, for edges whose input has at least `from`
  /// elements (see `MixedEdgeModule.recompute`).
  public func setRecompute(_ on: Bool, from: Int = 0) {
    for e in mixedEdges {
      e.recompute = on
      e.recomputeFrom = from
    }
  }

  /// The weights (everything but architecture parameters).
  public var weights: [Parameter] { parameters(in: .weights) }

  /// Runs the network on a batch `x` (NCHW). Returns the logits and, in training mode when the
  /// network has an auxiliary head, the auxiliary logits.
  public func callAsFunction(_ x: Tensor, plan: ForwardPlan, context: inout ForwardContext) -> (
    logits: Tensor, auxiliary: Tensor?
  ) {
    let s = stem(x, context: &context)
    var outputs = [Tensor?](repeating: nil, count: items.count)
    var aux: Tensor?
    var previous = s
    for (i, item) in items.enumerated() {
      let y: Tensor
      switch item {
      case .cell(let c):
        let ins = c.cell.inputs.map { $0.source < 0 ? s : outputs[$0.source]! }
        y = c(ins, plan: plan, context: &context)
      case .layer(let m, let l):
        let p = m.choice.flatMap { plan.ops[$0] }
        if l.residual && l.variants.isEmpty && m.runsOnlyZero(p) {
          y = previous  // x + 0: the layer is removed, nothing runs
        } else if l.variants.isEmpty {
          let out = m(previous, plan: p, context: &context)
          y = l.residual ? out + previous : out
        } else {
          let v = Self.variant(l, input: previous.shape[1], plan: plan)
          let out = m(previous, plan: p, context: &context, widths: v.graphs)
          y = v.residual ? out + previous : out
        }
      case .superkernel(let k, let l):
        let out = k(previous, context: &context)
        y = l.residual ? out + previous : out
      case .route(let r):
        y = r(previous, plan: plan, context: &context)
      case .memory(let m):
        y = m(previous, plan: plan, context: &context)
      case .fixed(let f, let variants):
        y = f(
          previous, context: &context, narrower: variants.first { $0.inputChannels == previous.shape[1] }?.graphs[0])
      }
      outputs[i] = y
      for j in 0..<i where outputs[j] != nil && lastReader[j] <= i { outputs[j] = nil }
      previous = y
      if let a = auxiliary, let spec = network.auxiliary, spec.after == i, isTraining {
        aux = a(y, context: &context)
      }
    }
    let headVariant = network.widthVariants[items.count]?.first { $0.inputChannels == previous.shape[1] }
    return (head(previous, context: &context, narrower: headVariant?.graphs[0]), aux)
  }

  /// The width variant layer `l` runs at: the one reading `input` channels and writing the width
  /// `plan` chose for the layer's width decision (the widest when the plan has none).
  static func variant(_ l: LayerIR, input: Int, plan: ForwardPlan) -> WidthVariant {
    var output: Int? = nil
    if let w = l.widthChoice {
      let i = plan.widths[w] ?? l.widthChannels.indices.max { l.widthChannels[$0] < l.widthChannels[$1] }!
      output = l.widthChannels[i]
    }
    guard
      let v = l.variants.first(where: { $0.inputChannels == input && (output == nil || $0.outputChannels == output) })
    else { preconditionFailure("layer \(l.layerIndex) has no variant \(input) -> \(output.map(String.init) ?? "?")") }
    return v
  }
}
