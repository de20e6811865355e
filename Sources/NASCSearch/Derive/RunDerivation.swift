import NASCSpace
import NASCTensor

/// The edge weights of one cell template, with which candidates carry no parameters.
public struct TemplateWeights: Sendable {
  /// The template name (`normal`, `reduce`).
  public var template: String
  /// The op choice ids of its edges, in edge order.
  public var choices: [String]
  /// Edge layout and probabilities.
  public var weights: EdgeWeights
  /// `parameterFree[edge][op]`.
  public var parameterFree: [[Bool]]
  /// The nodes whose outputs form the cell output.
  public var outputNodes: [Int]
}

/// A derived architecture: the kept (op, input) pairs of every node of every searched cell template
/// (top-k rules), or one op per op choice point (the argmax rule).
public struct DerivedArchitecture: Equatable, Sendable {
  /// Per template, per node, the kept inputs.
  public var cells: [(template: String, nodes: [(node: Int, inputs: [DerivedInput])], outputNodes: [Int])]
  /// Op decisions by choice id (argmax rule), in declaration order.
  public var ops: [(choice: String, op: String)] = []
  /// For argmax-derived one-input cells (NAS-Bench-201): per node, the (op, input) pairs.
  public var nb201: NB201Arch?

  /// Equality over all fields.
  public static func == (a: DerivedArchitecture, b: DerivedArchitecture) -> Bool {
    a.ops.map(\.choice) == b.ops.map(\.choice) && a.ops.map(\.op) == b.ops.map(\.op) && a.nb201 == b.nb201
      && a.cells.count == b.cells.count
      && zip(a.cells, b.cells).allSatisfy { x, y in
        x.template == y.template && x.outputNodes == y.outputNodes && x.nodes.count == y.nodes.count
          && zip(x.nodes, y.nodes).allSatisfy { $0.node == $1.node && $0.inputs == $1.inputs }
      }
  }

  /// The DARTS genotype, when the space has `normal` and `reduce` templates of two-input cells.
  public var genotype: DartsGenotype? {
    guard ops.isEmpty, let n = cells.first(where: { $0.template == "normal" }) else { return nil }
    let r = cells.first(where: { $0.template == "reduce" })
    func pairs(_ c: (template: String, nodes: [(node: Int, inputs: [DerivedInput])], outputNodes: [Int]))
      -> [DartsGenotype.Pair]
    {
      c.nodes.flatMap { $0.inputs.map { DartsGenotype.Pair($0.op, $0.input) } }
    }
    return DartsGenotype(
      normal: pairs(n), normalConcat: n.outputNodes, reduce: r.map(pairs) ?? [], reduceConcat: r?.outputNodes ?? [])
  }

  /// The `arch:` document (choices by `template.nodeN`), naming its space by `spacePath`.
  public func archDocument(spacePath: String, header: [String]) -> String {
    var s = header.map { "# " + $0 }.joined(separator: "\n")
    if !s.isEmpty { s += "\n" }
    s += "nasc: 1\narch:\n  space: \(spacePath)\n  choices:\n"
    for (choice, op) in ops { s += "    \(choice): \(op)\n" }
    for c in cells {
      for (node, inputs) in c.nodes {
        let list = inputs.map { "[\($0.op), \($0.input)]" }.joined(separator: ", ")
        s += "    \(c.template).node\(node): [\(list)]\n"
      }
    }
    return s
  }
}

extension SearchRun {
  /// Current edge weights of every searched cell template (from its first cell instance): softmax(α)
  /// per edge, multiplied by the node's softmax(β) edge weight under edge normalisation.
  public func templateWeights() -> [TemplateWeights] {
    var seen = Set<String>()
    var out = [TemplateWeights]()
    for cell in ir.cells where !seen.contains(cell.template) {
      let edgesWithChoice = cell.nodes.flatMap { n in n.edges.filter { $0.choice != nil }.map { (n, $0) } }
      guard !edgesWithChoice.isEmpty else { continue }
      seen.insert(cell.template)
      var edges = [EdgeWeights.Edge](), probs = [[Double]](), free = [[Bool]](), choices = [String]()
      var ops: [String] = edgesWithChoice[0].1.candidates.map(\.name)
      for node in cell.nodes {
        var nodeScale = [Double](repeating: 1, count: node.edges.count)
        if method.edgeNormalization, let id = node.inputsChoice, let beta = arch[id] {
          nodeScale = beta.value.detached().softmax().scalars.map(Double.init)
        }
        for (j, e) in node.edges.enumerated() {
          guard let id = e.choice, let alpha = arch[id] else { continue }
          if e.candidates.map(\.name) != ops { ops = e.candidates.map(\.name) }
          let p = alpha.value.detached().softmax().scalars.map { Double($0) * nodeScale[j] }
          edges.append(.init(from: e.from, to: node.index))
          probs.append(p)
          free.append(e.candidates.map { CostModel.cost($0.graph).params == 0 })
          choices.append(id)
        }
      }
      out.append(
        TemplateWeights(
          template: cell.template, choices: choices, weights: EdgeWeights(ops: ops, edges: edges, probabilities: probs),
          parameterFree: free, outputNodes: cell.outputNodes))
    }
    return out
  }

  /// Applies the space's derivation rule to the current architecture parameters.
  public func derive(rule: DeriveRule? = nil) throws -> DerivedArchitecture {
    let r = rule ?? ir.derive
    if r.kind == .argmax { return deriveArgmax(excluded: Set(r.exclude)) }
    var cells: [(template: String, nodes: [(node: Int, inputs: [DerivedInput])], outputNodes: [Int])] = []
    for t in templateWeights() {
      let picked: [Int: [DerivedInput]]
      switch r.kind {
      case .topKEdges: picked = DerivationRules.topKEdges(t.weights, k: r.k, excluded: Set(r.exclude))
      case .topKPairs: picked = DerivationRules.topKPairs(t.weights, k: r.k, excluded: Set(r.exclude))
      default:
        throw SearchError(
          "E311", "derivation rule '\(r.kind.rawValue)' is not supported for cell spaces yet",
          help: "use derive: {rule: top_k_edges}, {rule: top_k_pairs} or {rule: argmax}")
      }
      cells.append((t.template, picked.keys.sorted().map { ($0, picked[$0]!) }, t.outputNodes))
    }
    return DerivedArchitecture(cells: cells)
  }
}

extension SearchRun {
  /// The argmax rule: every op choice point takes its most probable op (other than `excluded`); all
  /// edges are kept (NAS-Bench-201, layer-wise spaces).
  func deriveArgmax(excluded: Set<String>) -> DerivedArchitecture {
    let layout = ChoiceLayout(ir)
    var ops = [(choice: String, op: String)]()
    var picked = [String: String]()
    for id in layout.opChoices {
      guard let alpha = arch[id], let names = layout.names[id] else { continue }
      let p = alpha.value.detached().softmax().scalars.map(Double.init)
      guard let k = DerivationRules.bestOp(p, ops: names, excluded: excluded) else { continue }
      ops.append((id, names[k]))
      picked[id] = names[k]
    }
    var nb201: NB201Arch?
    if let cell = ir.cells.first, cell.inputs.count == 1, ir.cells.allSatisfy({ $0.template == cell.template }) {
      nb201 = NB201Arch(
        nodes: cell.nodes.map { node in
          node.edges.sorted { $0.from < $1.from }.map { e in
            (op: e.choice.flatMap { picked[$0] } ?? e.candidates[0].name, from: e.from)
          }
        })
    }
    return DerivedArchitecture(cells: [], ops: ops, nb201: nb201)
  }
}
