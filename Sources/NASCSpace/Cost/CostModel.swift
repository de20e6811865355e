/// Parameters and multiply-accumulates, counted the way the DARTS/MobileNet papers and PyTorch do:
/// conv weights (+bias), BN scale+shift only when affine, linear weights+bias; MACs of conv and
/// linear layers only.
public struct Cost: Sendable, Hashable {
  /// Learnable parameters.
  public var params: Int = 0
  /// Multiply-accumulates per image.
  public var macs: Int = 0

  /// Creates a cost.
  public init(params: Int = 0, macs: Int = 0) {
    self.params = params
    self.macs = macs
  }

  /// Sum (saturating at Int.max).
  public static func + (a: Cost, b: Cost) -> Cost { Cost(params: sat(a.params, b.params), macs: sat(a.macs, b.macs)) }

  static func sat(_ a: Int, _ b: Int) -> Int {
    let (r, o) = a.addingReportingOverflow(b)
    return o ? Int.max : r
  }

  /// Saturating product of positive factors.
  static func mul(_ xs: Int...) -> Int {
    var r = 1
    for x in xs {
      let (p, o) = r.multipliedReportingOverflow(by: x)
      if o { return Int.max }
      r = p
    }
    return r
  }
  /// In-place sum.
  public static func += (a: inout Cost, b: Cost) { a = a + b }
}

/// The cost model over the IR.
public enum CostModel {
  /// The cost of one primitive node.
  public static func cost(_ n: PrimNode) -> Cost {
    switch n.op {
    case .conv(let c):
      let w = Cost.mul(c.cout, c.cin / c.groups, c.kh, c.kw)
      return Cost(params: Cost.sat(w, c.bias ? c.cout : 0), macs: Cost.mul(w, n.shape.height, n.shape.width))
    case .batchNorm(let ch, let affine):
      return Cost(params: affine ? 2 * ch : 0)
    case .embedding(let t, let d):
      return Cost(params: Cost.mul(t, d))
    case .tiedLinear(let i, let o, let bias):
      return Cost(params: bias ? o : 0, macs: Cost.mul(i, o))
    case .linear(let i, let o, let bias):
      return Cost(params: Cost.sat(Cost.mul(i, o), bias ? o : 0), macs: Cost.mul(i, o))
    default:
      return Cost()
    }
  }

  /// The cost of a primitive graph.
  public static func cost(_ g: PrimGraph) -> Cost { g.nodes.reduce(Cost()) { $0 + cost($1) } }

  /// The cost of a cell instance: preprocessing plus every candidate of every edge.
  public static func cost(_ c: CellInstance) -> Cost {
    var total = c.inputs.reduce(Cost()) { $0 + cost($1.preprocess) }
    if let p = c.postprocess { total += cost(p) }
    for n in c.nodes {
      if let p = n.project { total += cost(p) }
      for e in n.edges {
        if let p = e.project { total += cost(p) }
        for cand in e.candidates { total += cost(cand.graph) }
      }
    }
    return total
  }

  /// The cost of a body item.
  public static func cost(_ item: NetworkItem) -> Cost {
    switch item {
    case .cell(let c): return cost(c)
    case .layer(let l):
      // Weight-shared widths count once, at their widest.
      return Candidate.sharingGroups(l.candidates).reduce(Cost()) { $0 + cost($1.widest) }
    case .fixed(_, let g): return cost(g)
    case .memory(let m):
      // As the engine lowers it: the prefix and reading conv once, then the shared chain or each
      // candidate's remainder.
      return m.layers.enumerated().reduce(Cost()) { total, e in
        guard case .success(let l) = e.element.lowering(key: "memory.layer[\(e.offset)]") else {
          return total + cost(.layer(e.element.layer))
        }
        let rest = l.shared.map(cost) ?? Candidate.sharingGroups(l.rest).reduce(Cost()) { $0 + cost($1.widest) }
        return total + cost(l.reader) + rest
      }
    case .route(let r):
      var total = Cost()
      for b in r.blocks { for l in b.layers { total += cost(.layer(l)) } }
      for e in r.edges { total += cost(.layer(e.head)) }
      return total
    }
  }

  /// The cost of the network without the auxiliary head (a supernet counts all candidates).
  public static func cost(_ n: NetworkIR) -> Cost {
    n.items.reduce(cost(n.stem) + cost(n.head)) { $0 + cost($1) }
  }
}
