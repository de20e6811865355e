/// One input of a derived node: which op reads which earlier node.
public struct DerivedInput: Equatable, Hashable, Sendable, Codable {
  /// The op name.
  public var op: String
  /// The source node (0 and 1 are the cell inputs).
  public var input: Int
  /// Creates a pair.
  public init(op: String, input: Int) {
    self.op = op
    self.input = input
  }
}

/// Derivation rules that turn edge weights into a discrete cell (METHODS.md §1.4, §2.4).
public enum DerivationRules {
  /// DARTS: per node, score each incoming edge by its best op other than `excluded`, keep the `k`
  /// best edges (ties go to the earlier edge), and on each take that best op.
  public static func topKEdges(_ w: EdgeWeights, k: Int, excluded: Set<String> = ["none"]) -> [Int: [DerivedInput]] {
    var result = [Int: [DerivedInput]]()
    for node in w.nodes {
      var scored: [(score: Double, from: Int, op: Int)] = []
      for (e, edge) in w.edges.enumerated() where edge.to == node {
        guard let best = bestOp(w.probabilities[e], ops: w.ops, excluded: excluded) else { continue }
        scored.append((w.probabilities[e][best], edge.from, best))
      }
      let kept = scored.enumerated().sorted { a, b in
        a.element.score != b.element.score ? a.element.score > b.element.score : a.offset < b.offset
      }.prefix(k).map(\.element)
      result[node] = kept.sorted { $0.from < $1.from }.map { DerivedInput(op: w.ops[$0.op], input: $0.from) }
    }
    return result
  }

  /// P-DARTS (METHODS.md §4.4): `topKEdges`, then, while more than `cap` kept edges run `op`, the
  /// kept edge with the smallest weight on `op` loses it (its weight is set below every live op's)
  /// and both its op and the kept edges of every node are picked again. Weights below 0 mark ops
  /// that are not alive (P-DARTS' pruned ops): they are never picked while a live op remains, so an
  /// edge whose only live op was `op` drops out of its node's ranking instead of running a pruned op.
  /// Where the cap cannot be met (a node must keep such an edge), `op` stays.
  public static func topKEdges(
    _ w: EdgeWeights, k: Int, excluded: Set<String> = ["none"], cap: Int, of op: String
  ) -> [Int: [DerivedInput]] {
    guard let column = w.ops.firstIndex(of: op) else { return topKEdges(w, k: k, excluded: excluded) }
    var w = w
    var banned = Set<Int>()
    while true {
      let picked = topKEdges(w, k: k, excluded: excluded)
      var kept = [(edge: Int, weight: Double)]()
      for (node, inputs) in picked {
        for x in inputs where x.op == op {
          if let e = w.edges.firstIndex(where: { $0.from == x.input && $0.to == node }) {
            kept.append((e, w.probabilities[e][column]))
          }
        }
      }
      let candidates = kept.filter { !banned.contains($0.edge) }
      guard kept.count > cap, !candidates.isEmpty else { return picked }
      let weakest = candidates.sorted { $0.weight != $1.weight ? $0.weight < $1.weight : $0.edge < $1.edge }[0]
      banned.insert(weakest.edge)
      // Below every live op (≥ 0), above the pruned ones (−2).
      w.probabilities[weakest.edge][column] = -1
    }
  }

  /// GDAS: per node, rank every (op ≠ excluded, input) pair over all incoming edges by weight and keep
  /// the `k` best; both may come from the same input.
  public static func topKPairs(_ w: EdgeWeights, k: Int, excluded: Set<String> = ["none"]) -> [Int: [DerivedInput]] {
    var result = [Int: [DerivedInput]]()
    for node in w.nodes {
      var pairs: [(p: Double, order: Int, pick: DerivedInput)] = []
      for (e, edge) in w.edges.enumerated() where edge.to == node {
        for (o, name) in w.ops.enumerated() where !excluded.contains(name) && w.probabilities[e][o] >= 0 {
          pairs.append((w.probabilities[e][o], pairs.count, DerivedInput(op: name, input: edge.from)))
        }
      }
      result[node] = pairs.sorted { a, b in a.p != b.p ? a.p > b.p : a.order < b.order }.prefix(k).map(\.pick)
    }
    return result
  }

  /// The index of the most probable op other than `excluded` (the first on ties), nil if none remain.
  public static func bestOp(_ row: [Double], ops: [String], excluded: Set<String>) -> Int? {
    var best: Int?
    for (k, name) in ops.enumerated() where !excluded.contains(name) {
      if best == nil || row[k] > row[best!] { best = k }
    }
    return best
  }

  /// Softmax of `beta` within each node's incoming edges (PC-DARTS edge normalisation).
  public static func edgeNormalization(beta: [Double], edges: [EdgeWeights.Edge]) -> [Double] {
    precondition(beta.count == edges.count)
    var out = [Double](repeating: 0, count: beta.count)
    for node in Set(edges.map(\.to)) {
      let idx = edges.indices.filter { edges[$0].to == node }
      let m = idx.map { beta[$0] }.max() ?? 0
      let e = idx.map { Foundation.exp(beta[$0] - m) }
      let s = e.reduce(0, +)
      for (i, v) in zip(idx, e) { out[i] = v / s }
    }
    return out
  }
}

import Foundation
