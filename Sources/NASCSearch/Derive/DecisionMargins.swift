import NASCSpace
import NASCTensor

/// One decision a derivation rule made, with the best alternative it passed over, both in the
/// rule's own weights: softmax(α) for an op (over the edge's live candidates), and for a node's
/// inputs or pairs the weights the rule ranks, times softmax(β) under edge normalisation.
public struct DecisionMargin: Codable, Equatable, Sendable {
  /// What was decided.
  public enum Kind: String, Codable, Sendable {
    /// The op of a kept edge (top-k edges) or of a choice point (argmax).
    case op
    /// Which inputs a node keeps (top-k edges): its weakest kept edge against its strongest dropped one.
    case inputs
    /// Which (op, input) pairs a node keeps (top-k pairs): the weakest kept pair against the strongest dropped one.
    case pairs
  }

  /// The unit: `normal.node3`, or the choice point id under argmax.
  public var unit: String
  /// The kind.
  public var kind: Kind
  /// The chosen candidate (`sep_conv_3x3 ← 1`, `inputs 0, 1`, `dil_conv_5x5`).
  public var chosen: String
  /// The best candidate not chosen.
  public var runnerUp: String
  /// The chosen candidate's weight (for inputs and pairs: the weakest kept one's).
  public var weight: Double
  /// The runner-up's weight.
  public var runnerUpWeight: Double
  /// `weight − runnerUpWeight`; negative where a cap overrode the weights (P-DARTS' skip cap).
  public var margin: Double { weight - runnerUpWeight }
  /// The key that pools this decision with its counterparts in other derivations (the noise
  /// level is per key): the unit and the kind.
  public var key: String { "\(unit) \(kind.rawValue)" }
}

/// The margins of every decision a rule made in deriving `architecture` from `logits`.
public enum DecisionMargins {
  /// The margins of `architecture`, derived from `logits` by `rule` (top-k edges, top-k pairs or
  /// argmax); nodes with no more inputs than they keep have no inputs decision, choices with a
  /// single candidate none at all.
  public static func of(
    _ architecture: Architecture, ir: SpaceIR, logits: [String: Tensor], edgeNormalization: Bool, rule: DeriveRule,
    alive: [String: [Int]] = [:]
  ) -> [DecisionMargin] {
    let excluded = Set(rule.exclude)
    if rule.kind == .argmax {
      var out = [DecisionMargin]()
      for case .op(let o) in ArchSpace(ir: ir, rule: rule).units {
        guard let alpha = logits[o.key], let names = ir.choicePoint(o.key)?.candidates,
          let chosen = architecture.op(o.key), let c = names.firstIndex(of: chosen)
        else { continue }
        let p = alpha.softmax().scalars.map(Double.init)
        guard let r = best(p, names: names, excluded: excluded.union([chosen])) else { continue }
        out.append(
          .init(unit: o.key, kind: .op, chosen: chosen, runnerUp: names[r], weight: p[c], runnerUpWeight: p[r]))
      }
      return out
    }
    var out = [DecisionMargin]()
    for t in Derivation.ruleWeights(ir: ir, logits: logits, edgeNormalization: edgeNormalization, alive: alive) {
      let w = t.weights
      for node in w.nodes {
        let unit = "\(t.template).node\(node)"
        guard let kept = architecture.pairs(unit) else { continue }
        let incoming = w.edges.indices.filter { w.edges[$0].to == node }
        if rule.kind == .topKPairs {
          out += pairsMargin(unit, kept, w, incoming, excluded).map { [$0] } ?? []
        } else {
          out += edgesMargins(unit, kept, w, incoming, excluded, k: rule.k)
        }
      }
    }
    return out
  }

  static func edgesMargins(
    _ unit: String, _ kept: [DerivedInput], _ w: EdgeWeights, _ incoming: [Int], _ excluded: Set<String>, k: Int
  ) -> [DecisionMargin] {
    var out = [DecisionMargin]()
    var keptScores = [(input: Int, score: Double)](), dropped = [(input: Int, score: Double)]()
    for e in incoming {
      let row = w.probabilities[e]
      let score = best(row, names: w.ops, excluded: excluded).map { row[$0] } ?? 0
      if let pick = kept.first(where: { $0.input == w.edges[e].from }), let c = w.ops.firstIndex(of: pick.op) {
        keptScores.append((w.edges[e].from, score))
        if let r = best(row, names: w.ops, excluded: excluded.union([pick.op])) {
          // The op is the edge's own decision: its weights without the node's β share (PC-DARTS).
          let share = row.filter { $0 >= 0 }.reduce(0, +)
          let s = share > 0 ? share : 1
          out.append(
            .init(
              unit: unit, kind: .op, chosen: "\(pick.op) ← \(pick.input)", runnerUp: "\(w.ops[r]) ← \(pick.input)",
              weight: row[c] / s, runnerUpWeight: row[r] / s))
        }
      } else {
        dropped.append((w.edges[e].from, score))
      }
    }
    if let weakest = keptScores.min(by: { $0.score < $1.score }),
      let strongest = dropped.max(by: { $0.score < $1.score })
    {
      let inputs = keptScores.map(\.input).sorted().map(String.init).joined(separator: ", ")
      out.insert(
        .init(
          unit: unit, kind: .inputs, chosen: "inputs \(inputs)", runnerUp: "input \(strongest.input)",
          weight: weakest.score, runnerUpWeight: strongest.score), at: 0)
    }
    return out
  }

  static func pairsMargin(
    _ unit: String, _ kept: [DerivedInput], _ w: EdgeWeights, _ incoming: [Int], _ excluded: Set<String>
  ) -> DecisionMargin? {
    var weakest: (DerivedInput, Double)?, strongest: (DerivedInput, Double)?
    for e in incoming {
      for (k, name) in w.ops.enumerated() where !excluded.contains(name) && w.probabilities[e][k] >= 0 {
        let pair = DerivedInput(op: name, input: w.edges[e].from), p = w.probabilities[e][k]
        if kept.contains(pair) {
          if weakest == nil || p < weakest!.1 { weakest = (pair, p) }
        } else if strongest == nil || p > strongest!.1 {
          strongest = (pair, p)
        }
      }
    }
    guard let (_, pa) = weakest, let (b, pb) = strongest else { return nil }
    let list = kept.map { "\($0.op) ← \($0.input)" }.joined(separator: ", ")
    return .init(
      unit: unit, kind: .pairs, chosen: list, runnerUp: "\(b.op) ← \(b.input)", weight: pa, runnerUpWeight: pb)
  }

  /// The index of the largest weight among the live (≥ 0) candidates not in `excluded`.
  static func best(_ row: [Double], names: [String], excluded: Set<String>) -> Int? {
    var b: Int?
    for (k, n) in names.enumerated() where !excluded.contains(n) && row[k] >= 0 {
      if b == nil || row[k] > row[b!] { b = k }
    }
    return b
  }
}
