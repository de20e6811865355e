import Testing

@testable import NASCSearch

@Suite struct DerivationRuleTests {
  static let ops = [
    "none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3",
    "dil_conv_5x5",
  ]

  /// The 14 DARTS edges in α row order: node 2 from 0,1; node 3 from 0,1,2; …
  static var dartsEdges: [EdgeWeights.Edge] {
    (2...5).flatMap { node in (0..<node).map { EdgeWeights.Edge(from: $0, to: node) } }
  }

  @Test func dartsRuleRecoversAPlantedGenotype() {
    // DARTS_V2 normal cell.
    let planted: [Int: [DerivedInput]] = [
      2: [.init(op: "sep_conv_3x3", input: 0), .init(op: "sep_conv_3x3", input: 1)],
      3: [.init(op: "sep_conv_3x3", input: 0), .init(op: "sep_conv_3x3", input: 1)],
      4: [.init(op: "skip_connect", input: 0), .init(op: "sep_conv_3x3", input: 1)],
      5: [.init(op: "skip_connect", input: 0), .init(op: "dil_conv_3x3", input: 2)],
    ]
    let edges = Self.dartsEdges
    var alpha = [[Double]]()
    for edge in edges {
      var row = [Double](repeating: 0, count: 8)
      row[0] = 3  // `none` is the largest everywhere and must be ignored.
      if let pick = planted[edge.to]!.first(where: { $0.input == edge.from }) {
        row[Self.ops.firstIndex(of: pick.op)!] = 2
      } else {
        row[5] = 0.5
      }
      alpha.append(row)
    }
    let w = EdgeWeights(ops: Self.ops, edges: edges, probabilities: EdgeWeights.softmaxRows(alpha))
    #expect(DerivationRules.topKEdges(w, k: 2) == planted)
  }

  @Test func gdasPairsMayShareAnInput() {
    let edges = [EdgeWeights.Edge(from: 0, to: 2), EdgeWeights.Edge(from: 1, to: 2)]
    let p: [[Double]] = [[0.5, 0, 0, 0.2, 0.25, 0.05, 0, 0], [0.9, 0, 0, 0, 0.1, 0, 0, 0]]
    let w = EdgeWeights(ops: Self.ops, edges: edges, probabilities: p)
    #expect(
      DerivationRules.topKPairs(w, k: 2)[2] == [
        .init(op: "sep_conv_3x3", input: 0), .init(op: "skip_connect", input: 0),
      ])
    // The edge rule instead takes one op from each edge.
    #expect(DerivationRules.topKEdges(w, k: 2)[2]?.map(\.input) == [0, 1])
  }

  @Test func edgeNormalisationIsASoftmaxPerNode() {
    let edges = Self.dartsEdges
    let beta = (0..<14).map { Double($0) * 0.1 }
    let w = DerivationRules.edgeNormalization(beta: beta, edges: edges)
    for node in 2...5 {
      let s = edges.indices.filter { edges[$0].to == node }.map { w[$0] }.reduce(0, +)
      #expect(abs(s - 1) < 1e-12)
    }
    #expect(w[1] > w[0])
  }

  @Test func entropyAndParameterFreeShare() {
    let edges = [EdgeWeights.Edge(from: 0, to: 2)]
    let uniform = EdgeWeights(ops: Self.ops, edges: edges, probabilities: [[Double](repeating: 0.125, count: 8)])
    #expect(abs(uniform.entropyPerEdge[0] - log(8.0)) < 1e-12)
    #expect(abs(uniform.parameterFreeShare { _, k in k < 4 } - 0.5) < 1e-12)
  }
}

import Foundation
