import NASCData
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

@Suite struct SupernetEvaluatorTests {
  @Test func inheritedWeightsRunExactlyTheArchitecturesOps() throws {
    let ir = try compileSpace("nas-bench-201-digits.yaml")
    let method = try supernetMethod(ir, batch: 8, seed: 4, dataBatch: 16)
    try SearchLoop(method: method).run()
    let net = method.supernet
    let e = SupernetEvaluator(
      ir: ir, model: net.model, calibration: net.trainData, validation: net.valData, calibrationBatches: 2,
      batchSize: 8)
    var rng = RNG(seed: 1)
    let a = e.space.sample(rng: &rng)
    // The plan gives the logits of a mixture whose weights are one-hot on the chosen ops.
    var oneHot = ForwardPlan()
    for cp in ir.choicePoints where cp.kind == .op {
      let active = ChoiceLayout(ir).nonZero[cp.id] ?? []
      let chosen = try #require(a.op(cp.id))
      oneHot.ops[cp.id] = .mixture(active: active, weights: Tensor(active.map { cp.candidates[$0] == chosen ? 1 : 0 }))
    }
    let x = Tensor.randn([4, 1, 8, 8], rng: &rng)
    net.model.eval()
    var c1 = ForwardContext(rng: RNG(seed: 0)), c2 = ForwardContext(rng: RNG(seed: 0))
    let y1 = withNoGrad { net.model(x, plan: e.plan(a), context: &c1).logits }
    let y2 = withNoGrad { net.model(x, plan: oneHot, context: &c2).logits }
    net.model.train()
    for (u, v) in zip(y1.scalars, y2.scalars) { #expect(abs(u - v) <= 1e-5 * max(1, abs(v))) }
    // Scoring recalibrates BN for the architecture but leaves the supernet as it was, and repeats.
    let before = net.model.stateDict()
    let s1 = try e.score(a), s2 = try e.score(a)
    #expect(s1 == s2 && (0...100).contains(s1.signal))
    let after = net.model.stateDict()
    #expect(before.keys.sorted() == after.keys.sorted())
    for (k, t) in before { #expect(after[k]?.scalars == t.scalars, "\(k)") }
    #expect(e.queries == 2)
  }

  @Test func cellNodesKeepOnlyTheirChosenEdges() throws {
    let ir = try #require(Compiler.compile(path: repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml").ir)
    var rng = RNG(seed: 2)
    let model = try SupernetModel(ir.network, rng: &rng)
    let data = SearchBenchmark.syntheticData(shape: ir.network.input, classes: 10, batch: 8, seed: 2)
    let e = SupernetEvaluator(ir: ir, model: model, calibration: data, validation: data, calibrationBatches: 1)
    let a = e.space.sample(rng: &rng)
    let plan = e.plan(a)
    for cell in ir.cells {
      for node in cell.nodes {
        let kept = try #require(a.pairs("\(cell.template).node\(node.index)"))
        for edge in node.edges {
          let id = try #require(edge.choice)
          let pick = kept.first { $0.input == edge.from }
          switch plan.ops[id] {
          case .single(let i, nil)?: #expect(edge.candidates[i].name == pick?.op)
          case .off?: #expect(pick == nil, "edge \(id) is off but its node reads it")
          default: Issue.record("edge \(id) is neither one op nor off")
          }
        }
      }
    }
  }
}
