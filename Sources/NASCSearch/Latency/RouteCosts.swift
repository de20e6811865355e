import Foundation
import NASCSpace
import NASCTensor

/// The cost of every head and stacked-layer candidate of a routing space (DenseNAS) and of its fixed
/// parts (stem with block 0, classifier): a latency table's medians in milliseconds, or MACs in
/// `macUnit` without one; and the chained latency of METHODS.md §5.2 over them.
///
/// ```
/// mixed-op latency  = Σ_k w_k · LAT(op_k)             (w: the pass's op weights)
/// D(final) = 0
/// D(b)     = Σ_{j ∈ out(b)} p_b[j] · (LAT_head(b→j) + Σ_{layers of j} LAT_stack + D(j))
/// LAT      = fixed parts + D(0)                        (p_b = softmax(β_b / T))
/// ```
public struct RouteCosts: Sendable {
  /// One head or stacked layer: its choice id (nil when fixed) and each candidate's cost.
  public struct Layer: Sendable {
    /// The choice id, or nil for a fixed head (the final block's).
    public var id: String?
    /// Per candidate, its cost (0 for the `none` op).
    public var costs: [Double]
  }

  /// The routing graph.
  public let route: RouteIR
  /// Per connection (in `route.edges` order), its head.
  public var heads: [Layer]
  /// Per block index, its stacked layers.
  public var stacks: [Int: [Layer]]
  /// Stem (with block 0), fixed layers and blocks, and the classifier.
  public var fixed: Double
  /// `ms` with a table; otherwise the MAC unit's name.
  public var unit: String
  /// Whether the costs are measured latencies.
  public let measured: Bool
  /// Per source block and target block, the connection's index in `route.edges`.
  let edgeIndex: [Int: [Int: Int]]
  /// Per searched layer's choice id, its candidate names (in `costs` order).
  let names: [String: [String]]

  /// Reads the costs of `ir` (a space whose body is one route, with fixed items around it) from the
  /// table at `tablePath` (none when empty) or from MACs; `E320` for a table of other conditions
  /// unless `anyConditions`, `E319` for a block the table lacks, `E310` for a space without a route.
  public init(ir: SpaceIR, tablePath: String, anyConditions: Bool, macUnit: LayerCosts.MACUnit, method: String)
    throws
  {
    let table = try LatencyTable.forSearch(tablePath, anyConditions: anyConditions)
    guard let route = ir.network.route, ir.cells.isEmpty else {
      throw RunError(
        "E310", "\(method) searches routing spaces (a route: of blocks); \(ir.name) has none",
        help: "use a routing space such as spaces/densenas-digits.yaml")
    }
    self.route = route
    var edgeIndex = [Int: [Int: Int]]()
    var names = [String: [String]]()
    for (e, edge) in route.edges.enumerated() {
      edgeIndex[edge.from, default: [:]][edge.to] = e
      if let id = edge.head.choice { names[id] = edge.head.candidates.map(\.name) }
    }
    for l in route.blocks.flatMap(\.layers) { if let id = l.choice { names[id] = l.candidates.map(\.name) } }
    self.edgeIndex = edgeIndex
    self.names = names
    unit = table == nil ? macUnit.name : "ms"
    measured = table != nil
    func cost(_ g: PrimGraph, residual: Bool, name: String) throws -> Double {
      guard let table else { return g.isZero ? 0 : Double(SharedWeightSupernet.standalone(g).macs) / macUnit.macs }
      return try table.ms(of: g, residual: residual, name: name, path: tablePath)
    }
    func layer(_ l: LayerIR, _ label: String) throws -> Layer {
      Layer(
        id: l.choice,
        costs: try l.candidates.map {
          try cost($0.graph, residual: l.residual, name: "\(l.choice ?? label) = \($0.name)")
        })
    }
    var fixed = try cost(ir.network.stem, residual: false, name: "stem")
    fixed += try cost(ir.network.head, residual: false, name: "head")
    for item in ir.network.items {
      switch item {
      case .route: continue
      case .fixed(let name, let g): fixed += try cost(g, residual: false, name: name)
      case .layer(let l) where l.choice == nil:
        fixed += try cost(l.candidates[0].graph, residual: l.residual, name: "layer[\(l.layerIndex)]")
      default:
        throw RunError(
          "E310", "\(method) searches one route with fixed layers and blocks around it",
          help: "move the searched layers into the route's blocks")
      }
    }
    self.fixed = fixed
    heads = try route.edges.map { try layer($0.head, "route.edge[\($0.from)→\($0.to)]") }
    var stacks = [Int: [Layer]]()
    for b in route.blocks {
      stacks[b.index] = try b.layers.enumerated().map { try layer($1, "route.block[\(b.index)].layer[\($0)]") }
    }
    self.stacks = stacks
  }

  /// The chained latency with gradient: `ops(id)` gives a searched layer's active candidates and
  /// their weights (nil: the mean of its candidates' costs, no gradient), `paths(k)` block k's
  /// weights over its connections (nil: 1 each, as in a decided route).
  public func chained(ops: (String) -> (active: [Int], weights: Tensor)?, paths: (Int) -> Tensor?) -> Tensor {
    func latency(_ l: Layer) -> Tensor {
      guard let id = l.id else { return Tensor([Float(l.costs.first ?? 0)]) }
      if let (active, w) = ops(id) { return (w * Tensor(active.map { Float(l.costs[$0]) })).sum().reshaped([1]) }
      return Tensor([Float(l.costs.reduce(0, +) / Double(max(1, l.costs.count)))])
    }
    // Per block, D(j) plus its stacked layers' latency: what every connection into j adds after its head.
    var d = [Int: Tensor]()
    d[route.final] = (stacks[route.final] ?? []).reduce(Tensor([0])) { $0 + latency($1) }
    for b in route.blocks.reversed() where b.index != route.final {
      var terms = [Tensor]()
      let p = paths(b.index)
      for (k, j) in b.targets.enumerated() {
        guard let e = edgeIndex[b.index]?[j], let onward = d[j] else { continue }
        let t = latency(heads[e]) + onward
        terms.append(p.map { t * $0.slice(axis: 0, start: k, end: k + 1) } ?? t)
      }
      if !terms.isEmpty {
        let onward = terms.count == 1 ? terms[0] : sum(terms)
        d[b.index] = (stacks[b.index] ?? []).reduce(onward) { $0 + latency($1) }
      }
    }
    return (d[route.blocks[0].index] ?? Tensor([0])).adding(Float(fixed))
  }

  /// The expected latency (no gradient) with every searched layer's candidates weighted by
  /// softmax(α) and every block's connections by softmax(β / T), from `arch`.
  public func expected(_ arch: ArchitectureParameters, temperature: Float) -> Double {
    let t = chained(
      ops: { id in
        guard let a = arch[id] else { return nil }
        let w = a.value.detached().softmax()
        return (Array(0..<w.count), w)
      },
      paths: { k in
        guard let id = route.block(k)?.next, let b = arch[id] else { return nil }
        return (b.value.detached() * (1 / temperature)).softmax()
      })
    return Double(t.scalars[0])
  }

  /// The cost of one decision: its path's heads and stacked layers with the ops it names, plus the
  /// fixed parts.
  public func cost(of d: RouteDecision) -> Double {
    var total = fixed
    for (i, j) in zip(d.path, d.path.dropFirst()) {
      if let e = edgeIndex[i]?[j] { total += pick(heads[e], d) }
      for s in stacks[j] ?? [] { total += pick(s, d) }
    }
    return total
  }

  func pick(_ l: Layer, _ d: RouteDecision) -> Double {
    guard let id = l.id else { return l.costs.first ?? 0 }
    guard let op = d.ops[id], let i = names[id]?.firstIndex(of: op) else { return 0 }
    return l.costs[i]
  }

  /// The largest and the smallest cost of any decision (the costliest and cheapest path with the
  /// costliest and cheapest ops).
  public var extremes: (cheapest: Double, largest: Double) {
    var lo = [route.final: 0.0], hi = [route.final: 0.0]
    for b in route.blocks.reversed() where b.index != route.final {
      for j in b.targets {
        guard let e = edgeIndex[b.index]?[j], let l = lo[j], let h = hi[j] else { continue }
        let stack = stacks[j] ?? []
        let cheap = (heads[e].costs.min() ?? 0) + stack.reduce(0) { $0 + ($1.costs.min() ?? 0) } + l
        let dear = (heads[e].costs.max() ?? 0) + stack.reduce(0) { $0 + ($1.costs.max() ?? 0) } + h
        lo[b.index] = min(lo[b.index] ?? .infinity, cheap)
        hi[b.index] = max(hi[b.index] ?? -.infinity, dear)
      }
    }
    let start = route.blocks[0].index
    return (fixed + (lo[start] ?? 0), fixed + (hi[start] ?? 0))
  }
}
