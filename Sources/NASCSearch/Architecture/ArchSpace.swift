import NASCSpace
import NASCTensor

/// Parameters and multiply-accumulates of one candidate (at its place in the network).
public struct ChoiceCosts: Codable, Hashable, Sendable {
  /// Weights.
  public var params: Int
  /// Multiply-accumulates per image.
  public var macs: Int
}

/// A space's decisions as data: what an `Architecture` decides, one unit at a time, in the
/// shape the space's derivation rule produces (DARTS: per node, 2 distinct inputs each with an op
/// other than `none`; GDAS: 2 (op, input) pairs, repeats allowed; NAS-Bench-201 and layer-wise
/// spaces: one op per edge or layer).
public struct ArchSpace: Sendable {
  /// One decision unit.
  public enum Unit: Sendable {
    /// One op out of `candidates` (an edge or a layer decided by argmax).
    case op(OpUnit)
    /// `k` (op, input) pairs of a cell node.
    case node(NodeUnit)
    /// A routing graph's path and the ops on it.
    case route(RouteUnit)

    /// The key in arch documents (`layer[3].op`, `normal.node2`).
    public var key: String {
      switch self {
      case .op(let u): return u.key
      case .node(let u): return u.key
      case .route(let u): return u.key
      }
    }
  }

  /// An op decision.
  public struct OpUnit: Sendable {
    /// The choice point id.
    public var key: String
    /// The candidate names that a derivation can pick (the excluded ones left out).
    public var candidates: [String]
    /// Per candidate, its costs.
    public var costs: [ChoiceCosts]
    /// For a composite layer choice (an op combined with value choices), per candidate name the
    /// decisions of the user-facing choice points it stands for (what arch files write); else empty.
    public var decisions: [String: [ChoiceDecision]] = [:]
  }

  /// A cell node's inputs decision.
  public struct NodeUnit: Sendable {
    /// `template.nodeN`.
    public var key: String
    /// The cell template.
    public var template: String
    /// The node index.
    public var node: Int
    /// The nodes it may read (its edges' sources).
    public var inputs: [Int]
    /// The ops each kept input may run (the excluded ones left out).
    public var ops: [String]
    /// Pairs kept.
    public var k: Int
    /// Whether the kept inputs are distinct (top-k edges) or may repeat (top-k pairs).
    public var distinct: Bool
    /// `costs[input position][op]`.
    public var costs: [[ChoiceCosts]]
  }

  /// A searched cell template's layout (for genotypes and pictures).
  public struct CellLayout: Sendable {
    /// The template name.
    public var template: String
    /// Number of cell inputs (2 in DARTS, 1 in NAS-Bench-201).
    public var inputs: Int
    /// The intermediate nodes.
    public var nodes: [Int]
    /// The nodes whose outputs form the cell output.
    public var outputNodes: [Int]
    /// Whether it is a recurrent cell.
    public var recurrent = false
    /// Whether its output is its loose ends (ENAS): the nodes an architecture does not read.
    public var looseEnds = false
  }

  /// The units in declaration order.
  public var units: [Unit]
  /// The searched cell templates.
  public var cells: [CellLayout]
  /// Per op unit key, whether it sits on a cell edge (`edge[a→b]` of the NB201 string) and where.
  var edgeOf: [String: (template: String, from: Int, to: Int)] = [:]

  /// Reads the decisions of `ir` under `rule`: cells whose nodes select inputs become node units
  /// (repeats allowed under `top_k_pairs`), every other op choice (cell edges of nodes that keep
  /// all edges, layers) an op unit.
  public init(ir: SpaceIR, rule: DeriveRule? = nil) {
    let rule = rule ?? ir.derive
    let excluded = Set(rule.exclude)
    var units = [Unit]()
    var cells = [CellLayout]()
    var seen = Set<String>()
    var edgeOf = [String: (template: String, from: Int, to: Int)]()
    // A sampled population keeps the picks the cell's `select` asks for; a rule its own k.
    func k(_ node: CellNode) -> Int {
      if rule.kind == .bestOfPopulation, let id = node.inputsChoice, let cp = ir.choicePoint(id) {
        return node.repeats ? cp.k : min(cp.k, node.edges.count)
      }
      return node.repeats ? rule.k : min(rule.k, node.edges.count)
    }
    for cell in ir.cells where !seen.contains(cell.template) {
      guard cell.edges.contains(where: { $0.choice != nil }) else { continue }
      seen.insert(cell.template)
      cells.append(
        CellLayout(
          template: cell.template, inputs: cell.inputs.count, nodes: cell.nodes.map(\.index),
          outputNodes: cell.outputNodes, recurrent: cell.recurrent, looseEnds: cell.outputMode.hasSuffix("loose_ends")))
      for node in cell.nodes {
        if node.inputsChoice != nil, let first = node.edges.first {
          let ops = first.candidates.map(\.name).filter { !excluded.contains($0) }
          let costs = node.edges.map { e in
            e.candidates.filter { !excluded.contains($0.name) }.map { Self.cost($0) }
          }
          units.append(
            .node(
              NodeUnit(
                key: "\(cell.template).node\(node.index)", template: cell.template, node: node.index,
                inputs: node.edges.map(\.from), ops: ops, k: k(node),
                distinct: rule.kind != .topKPairs && !node.repeats, costs: costs)))
        } else {
          for e in node.edges {
            guard let id = e.choice else { continue }
            let kept = e.candidates.filter { !excluded.contains($0.name) }
            units.append(.op(OpUnit(key: id, candidates: kept.map(\.name), costs: kept.map { Self.cost($0) })))
            edgeOf[id] = (cell.template, e.from, node.index)
          }
        }
      }
    }
    for layer in ir.layers {
      // A width decision (a layer's, a stage's or a tied one) is a unit of its own, before the
      // first layer that follows it; its candidates are the values as written.
      if let w = layer.widthChoice, !seen.contains(w), let cp = ir.choicePoint(w) {
        seen.insert(w)
        let zero = ChoiceCosts(params: 0, macs: 0)
        units.append(.op(OpUnit(key: w, candidates: cp.candidates, costs: cp.candidates.map { _ in zero })))
      }
      guard let id = layer.choice, !seen.contains(id) else { continue }
      seen.insert(id)
      let kept = layer.candidates.filter { !excluded.contains($0.opName) }
      var unit = OpUnit(key: id, candidates: kept.map(\.name), costs: kept.map { Self.cost($0) })
      for c in kept where !c.decisions.isEmpty { unit.decisions[c.name] = c.decisions }
      units.append(.op(unit))
    }
    for case .route(let r) in ir.network.items where r.pathChoice != nil {
      units.append(.route(RouteUnit(r, excluded: excluded)))
    }
    units += Self.memoryUnits(ir, excluded: excluded)
    self.units = units
    self.cells = cells
    self.edgeOf = edgeOf
  }

  static func cost(_ c: Candidate) -> ChoiceCosts {
    let k = CostModel.cost(c.graph)
    return ChoiceCosts(params: k.params, macs: k.macs)
  }

  /// The unit with `key`.
  public func unit(_ key: String) -> Unit? { units.first { $0.key == key } }

  /// The number of single decisions an architecture makes: one per op unit, an input and an op
  /// per kept pair of a node, and for a route its path and every head and stacked layer it can decide.
  public var decisionCount: Int {
    units.reduce(0) { n, u in
      switch u {
      case .op: return n + 1
      case .node(let v): return n + 2 * v.k
      case .route(let r): return n + 1 + r.connections.compactMap(\.head).count + r.stacks.values.joined().count
      }
    }
  }

  /// Whether the space has anything to decide.
  public var isEmpty: Bool { units.isEmpty }

  /// `E310` when some unit leaves nothing to pick (its derivation rule excludes every candidate, or
  /// a node keeps no input), so that no architecture can be drawn.
  public func checkSampleable() throws {
    for u in units {
      let empty: Bool
      switch u {
      case .op(let o): empty = o.candidates.isEmpty
      case .node(let n): empty = n.ops.isEmpty || n.inputs.isEmpty || n.k < 1
      case .route(let r):
        empty =
          r.connections.contains { $0.head?.candidates.isEmpty ?? false }
          || r.stacks.values.joined().contains {
            $0.candidates.isEmpty
          }
      }
      if empty {
        throw RunError(
          "E310", "\(u.key) has no candidate left to choose from under the space's derivation rule",
          help: "remove some ops from derive: {exclude: [...]}")
      }
    }
  }
}
