import Foundation
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

  /// The edge weights of every searched cell template of `ir` (from its first cell instance):
  /// softmax(α) per edge, multiplied by the node's softmax(β) edge weight under edge
  /// normalisation. `logits` holds α and β by choice point id. With `alive` (P-DARTS' switches),
  /// the softmax of a choice runs over its live candidates only; the others weigh 0.
  public static func all(
    ir: SpaceIR, logits: [String: Tensor], edgeNormalization: Bool, alive: [String: [Int]] = [:]
  ) -> [TemplateWeights] {
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
        if edgeNormalization, let id = node.inputsChoice, let beta = logits[id] {
          nodeScale = beta.softmax().scalars.map(Double.init)
        }
        for (j, e) in node.edges.enumerated() {
          guard let id = e.choice, let alpha = logits[id] else { continue }
          if e.candidates.map(\.name) != ops { ops = e.candidates.map(\.name) }
          var p: [Double]
          if let live = alive[id] {
            let q = alpha.gathered(live).softmax().scalars
            p = [Double](repeating: 0, count: alpha.count)
            for (i, c) in live.enumerated() { p[c] = Double(q[i]) * nodeScale[j] }
          } else {
            p = alpha.softmax().scalars.map { Double($0) * nodeScale[j] }
          }
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
}

/// Derivation rules as pure functions of architecture weights: α (and β) in, an `Architecture` out.
public enum Derivation {
  /// The rules these functions execute.
  public static let supported: [DeriveRuleKind] = [.topKEdges, .topKPairs, .argmax]

  /// `E311` unless `rule` is one of `supported`.
  public static func check(_ rule: DeriveRule) throws {
    guard supported.contains(rule.kind) else {
      throw RunError(
        "E311", "derivation rule '\(rule.kind.rawValue)' is not supported by this method yet",
        help: "use derive: {rule: top_k_edges}, {rule: top_k_pairs} or {rule: argmax}")
    }
  }

  /// Applies `rule` to the logits: top-k edges or pairs per node of every searched cell template
  /// (with the rule's skip-connect cap in the normal cell), or the argmax op of every op choice
  /// point (all edges kept). `alive` restricts each choice to its live candidates (P-DARTS).
  public static func derive(
    ir: SpaceIR, logits: [String: Tensor], edgeNormalization: Bool, rule: DeriveRule, alive: [String: [Int]] = [:]
  ) throws -> Architecture {
    try check(rule)
    let excluded = Set(rule.exclude)
    var d = [String: Architecture.Value]()
    if rule.kind == .argmax {
      if ir.cells.contains(where: { $0.nodes.contains { $0.inputsChoice != nil } }) {
        throw RunError(
          "E311", "the argmax rule keeps every edge, but the cells of \(ir.name) select their inputs",
          help: "use top_k_edges or top_k_pairs for this space")
      }
      for u in ArchSpace(ir: ir, rule: rule).units {
        guard case .op(let o) = u, let alpha = logits[o.key], let names = ir.choicePoint(o.key)?.candidates else {
          continue
        }
        let p = alpha.softmax().scalars.map(Double.init)
        if let k = DerivationRules.bestOp(p, ops: names, excluded: excluded) { d[o.key] = .op(names[k]) }
      }
      return Architecture(decisions: d)
    }
    for t in ruleWeights(ir: ir, logits: logits, edgeNormalization: edgeNormalization, alive: alive) {
      let picked: [Int: [DerivedInput]]
      if rule.kind == .topKPairs {
        picked = DerivationRules.topKPairs(t.weights, k: rule.k, excluded: excluded)
      } else if let cap = rule.skipCap, t.template == "normal" {
        picked = DerivationRules.topKEdges(t.weights, k: rule.k, excluded: excluded, cap: cap, of: "skip_connect")
      } else {
        picked = DerivationRules.topKEdges(t.weights, k: rule.k, excluded: excluded)
      }
      for (node, inputs) in picked { d["\(t.template).node\(node)"] = .pairs(inputs) }
    }
    return Architecture(decisions: d)
  }

  /// The weights the top-k rules read: `TemplateWeights.all`, with pruned ops (P-DARTS) at −2,
  /// below every live op, so no rule picks them.
  public static func ruleWeights(
    ir: SpaceIR, logits: [String: Tensor], edgeNormalization: Bool, alive: [String: [Int]] = [:]
  ) -> [TemplateWeights] {
    TemplateWeights.all(ir: ir, logits: logits, edgeNormalization: edgeNormalization, alive: alive).map { t in
      var t = t
      for (e, id) in t.choices.enumerated() {
        guard let live = alive[id] else { continue }
        for k in t.weights.probabilities[e].indices where !live.contains(k) { t.weights.probabilities[e][k] = -2 }
      }
      return t
    }
  }
}
