/// The architecture weights of one cell type, laid out by edge: what derivation rules and collapse
/// metrics read.
///
/// Nodes are numbered as in DARTS genotypes: `0..<inputs` are the cell inputs, the intermediate nodes
/// follow. Edge `e` goes from `edges[e].from` to `edges[e].to` and `probabilities[e][k]` is the weight
/// of candidate `ops[k]` on it (softmax(α), possibly multiplied by an edge weight).
public struct EdgeWeights: Equatable, Sendable {
  /// One edge of the cell DAG.
  public struct Edge: Equatable, Sendable {
    /// The source node.
    public var from: Int
    /// The destination (intermediate) node.
    public var to: Int
    /// Creates an edge.
    public init(from: Int, to: Int) {
      self.from = from
      self.to = to
    }
  }

  /// Candidate op names, in α column order.
  public var ops: [String]
  /// The edges, in α row order.
  public var edges: [Edge]
  /// One probability row per edge.
  public var probabilities: [[Double]]

  /// Creates the layout; every row must have one entry per op.
  public init(ops: [String], edges: [Edge], probabilities: [[Double]]) {
    precondition(edges.count == probabilities.count && probabilities.allSatisfy { $0.count == ops.count })
    self.ops = ops
    self.edges = edges
    self.probabilities = probabilities
  }

  /// The intermediate nodes, in increasing order.
  public var nodes: [Int] { Array(Set(edges.map(\.to))).sorted() }

  /// Softmax of each row of `alpha`.
  public static func softmaxRows(_ alpha: [[Double]]) -> [[Double]] {
    alpha.map { row in
      let m = row.max() ?? 0
      let e = row.map { ($0 - m).exp }
      let s = e.reduce(0, +)
      return e.map { $0 / s }
    }
  }

  /// Multiplies each edge's row by a per-edge weight (PC-DARTS edge normalisation).
  public func scaled(byEdge weights: [Double]) -> EdgeWeights {
    precondition(weights.count == edges.count)
    return EdgeWeights(
      ops: ops, edges: edges, probabilities: zip(probabilities, weights).map { row, w in row.map { $0 * w } })
  }

  /// Shannon entropy (nats) of each edge's distribution.
  public var entropyPerEdge: [Double] {
    probabilities.map { row in
      let s = row.reduce(0, +)
      return -row.reduce(0.0) { acc, p in
        let q = p / max(s, 1e-300)
        return q > 0 ? acc + q * q.log : acc
      }
    }
  }

  /// The mean over edges of the total weight on ops that `isParameterFree` says carry no weights
  /// (none, pooling, identity): DARTS' collapse signal.
  public func parameterFreeShare(isParameterFree: (_ edge: Int, _ op: Int) -> Bool) -> Double {
    guard !edges.isEmpty else { return 0 }
    var total = 0.0
    for (e, row) in probabilities.enumerated() {
      let s = row.reduce(0, +)
      var free = 0.0
      for (k, p) in row.enumerated() where isParameterFree(e, k) { free += p }
      total += free / max(s, 1e-300)
    }
    return total / Double(edges.count)
  }
}

extension Double {
  fileprivate var exp: Double { Foundation.exp(self) }
  fileprivate var log: Double { Foundation.log(self) }
}

import Foundation
