import Foundation
import NASCTensor
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

@Suite struct PDARTSTests {
  static let ops = [
    "none", "max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3",
    "dil_conv_5x5",
  ]

  /// A normal cell whose top-2 edges would all but two run skip_connect (4 of them), with a
  /// runner-up op on every edge.
  static func skipHeavy() -> EdgeWeights {
    var edges = [EdgeWeights.Edge](), probs = [[Double]]()
    for node in 2..<6 {
      for from in 0..<node {
        edges.append(.init(from: from, to: node))
        var row = [Double](repeating: 0, count: ops.count)
        // Sources 0 and 1 run skip_connect, a bit stronger on later nodes; the others sep_conv_3x3.
        if from < 2 {
          row[3] = 0.5 + 0.01 * Double(node) + 0.001 * Double(from)
          row[6] = 0.3 + 0.001 * Double(from)  // dil_conv_3x3 is the runner-up
        } else {
          row[4] = 0.4
        }
        probs.append(row)
      }
    }
    return EdgeWeights(ops: ops, edges: edges, probabilities: probs)
  }

  @Test func theSkipCapRepicksTheWeakestSkipEdges() {
    let w = Self.skipHeavy()
    let plain = DerivationRules.topKEdges(w, k: 2)
    #expect(plain.values.flatMap { $0 }.filter { $0.op == "skip_connect" }.count == 8)
    let capped = DerivationRules.topKEdges(w, k: 2, cap: 2, of: "skip_connect")
    let skips = capped.values.flatMap { $0 }.filter { $0.op == "skip_connect" }
    #expect(skips.count == 2)
    // The two strongest skip edges stay (node 5 from 1 and from 0); weaker skip edges lost their
    // skip weight and were re-picked: either to their runner-up op or replaced by a stronger edge.
    #expect(capped[5] == [DerivedInput(op: "skip_connect", input: 0), DerivedInput(op: "skip_connect", input: 1)])
    #expect(capped[2] == [DerivedInput(op: "dil_conv_3x3", input: 0), DerivedInput(op: "dil_conv_3x3", input: 1)])
    #expect(
      capped[3]
        == [DerivedInput(op: "sep_conv_3x3", input: 2), DerivedInput(op: "dil_conv_3x3", input: 1)].sorted {
          $0.input < $1.input
        })
    // Without a cap the rule is DARTS'.
    #expect(DerivationRules.topKEdges(w, k: 2, cap: 8, of: "skip_connect") == plain)
  }

  @Test func pruningKeepsTheStrongestLiveOps() {
    let alpha = Tensor([0.1, 2.0, -1, 0.5, 3.0, 0.0, 1.0, -2])
    let pruned = PDARTS.prune(alive: ["e": Array(0..<8)], logits: ["e": alpha], keep: 5)
    #expect(pruned["e"] == [0, 1, 3, 4, 6])
    let again = PDARTS.prune(alive: pruned, logits: ["e": alpha], keep: 3)
    #expect(again["e"] == [1, 4, 6])
    // Keeping one op never keeps only `none` (index 0 here, the strongest).
    let noneFirst = Tensor([5, 2.0, -1, 0.5, 3.0, 0.0, 1.0, -2])
    #expect(PDARTS.prune(alive: ["e": Array(0..<8)], logits: ["e": noneFirst], keep: 1)["e"] == [0])
    #expect(
      PDARTS.prune(alive: ["e": Array(0..<8)], logits: ["e": noneFirst], keep: 1, nonZero: ["e": Array(1..<8)])["e"]
        == [4])
  }

  @Test func skipDropoutFollowsThePaperSchedule() {
    // E = 25, E0 = 10, rate 0.4: linear decay during the warm-up, then exponential.
    #expect(PDARTS.skipDropout(rate: 0.4, epoch: 0, epochs: 25, warmup: 10) == 0.4 * 24 / 25)
    #expect(abs(PDARTS.skipDropout(rate: 0.4, epoch: 12, epochs: 25, warmup: 10) - 0.4 * Float(exp(-0.4))) < 1e-7)
    #expect(PDARTS.skipDropout(rate: 0, epoch: 3, epochs: 25, warmup: 10) == 0)
  }
}
