import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// A DARTS-family method of `ir` on synthetic data (`dataBatch` images per half), one epoch.
func supernetMethod(
  _ ir: SpaceIR, batch: Int, seed: UInt64, dataBatch: Int? = nil, set: [String: HyperValue] = [:]
) throws -> any SupernetMethod {
  var config = try SearchBenchmark.config(ir: ir, batch: batch)
  for (k, v) in set { config.set(k, v) }
  let data = SearchBenchmark.syntheticData(
    shape: ir.network.input, classes: 10, batch: dataBatch ?? batch, seed: seed)
  let context = MethodContext(
    ir: ir, config: config, run: RunSettings(seed: seed, threads: 2, data: "synthetic"), data: data)
  return try #require(try MethodRegistry.make(context) as? any SupernetMethod)
}

@Suite struct SearchRunTests {
  @Test func benchAndSearchComputeTheSameFirstStepLoss() throws {
    let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml"
    let ir = try #require(Compiler.compile(path: space).ir)
    // `nasc bench search`'s first step...
    let r = try SearchBenchmark.run(ir: ir, input: 8, batch: 8, threads: 2, seed: 11, warmup: 0, steps: 1, minSteps: 1)
    // ...and `nasc search`'s first step on the same data and seed: the same bits.
    let method = try supernetMethod(ir, batch: 8, seed: 11)
    #expect(method.supernet.stepsPerEpoch == 1)
    let loop = try SearchLoop(method: method)
    try loop.run()
    let lossSearch = try #require(loop.history.first?["train_loss"]?.number.map { Float($0) })
    #expect(r.firstLoss == lossSearch)
  }

  @Test func secondOrderHessianVectorProductMatchesTheExactOne() {
    // L(w, α) = (c·w)² · α0 + (c·w) · α1 + ½‖w‖²: ∂²L/∂α∂w · v = [2(c·w)(c·v), c·v].
    let c: [Float] = [0.5, -1.25, 2]
    let w = Parameter(Tensor([0.3, 0.7, -0.2]), name: "w")
    let a = Parameter(Tensor([0.4, -0.9]), name: "a", group: .architecture)
    let ct = Tensor(c)
    func loss() -> Tensor {
      let cw = (w.value * ct).sum()
      let av = a.value
      let a0 = av.slice(axis: 0, start: 0, end: 1), a1 = av.slice(axis: 0, start: 1, end: 2)
      return (cw * cw * a0 + cw * a1 + (w.value * w.value).sum() * 0.5).sum()
    }
    let v = Tensor([1.0, -0.5, 0.25])
    let hvp = SecondOrder.hessianVectorProduct(weights: [w], arch: [a], v: [v], loss: loss)
    let cw = zip(c, w.value.scalars).reduce(0) { $0 + $1.0 * $1.1 }
    let cv = zip(c, v.scalars).reduce(0) { $0 + $1.0 * $1.1 }
    let exact: [Float] = [2 * cw * cv, cv]
    for (got, want) in zip(hvp[0].scalars, exact) { #expect(abs(got - want) < 2e-3 * max(1, abs(want))) }
    // The weights are restored exactly.
    #expect(w.value.scalars == [0.3, 0.7, -0.2])
  }

  @Test func secondOrderDartsRunsAndMovesAlpha() throws {
    let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml"
    let ir = try #require(Compiler.compile(path: space).ir)
    let method = try supernetMethod(ir, batch: 8, seed: 3, dataBatch: 16, set: ["order": .string("second")])
    let before = method.supernet.arch.parameters.map { $0.value.scalars }
    try SearchLoop(method: method).run()
    let after = method.supernet.arch.parameters.map { $0.value.scalars }
    #expect(before != after)
    #expect(after.allSatisfy { $0.allSatisfy(\.isFinite) })
  }

  @Test func gdasAndPcDartsSearchAndDerive() throws {
    for (method, rule) in [("gdas", DeriveRuleKind.topKPairs), ("pc-darts", .topKEdges)] {
      let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml"
      let ir = try #require(Compiler.compile(path: space, options: CompileOptions(method: method)).ir)
      #expect(ir.derive.kind == rule)
      let method = try supernetMethod(ir, batch: 8, seed: 5, dataBatch: 16)
      let loop = try SearchLoop(method: method)
      try loop.run()
      let cells = ArchSpace(ir: ir).decidedCells(try method.result().architecture)
      #expect(cells.map(\.template) == ["normal", "reduce"])
      for cell in cells {
        #expect(cell.nodes.count == 4)
        #expect(cell.nodes.allSatisfy { $0.inputs.count == 2 && !$0.inputs.contains { $0.op == "none" } })
      }
      if type(of: method).name == "pc-darts" {
        #expect(method.supernet.arch.entries.count == 36)
        #expect(ir.cells[0].nodes[0].edges[0].partialChannels == 4)
      }
      if type(of: method).name == "gdas" { #expect(loop.history[0]["tau"] == .number(10)) }
    }
  }

  @Test func gdasOnNASBench201AddsTheOtherHardWeightsAndDerivesByArgmax() throws {
    let ir = try compileSpace("nas-bench-201-digits.yaml")
    #expect(ir.derive.kind == .argmax)
    let method = try supernetMethod(ir, batch: 8, seed: 9)
    // The NAS-Bench-201 form adds the other hard weights: 0 in value, but each receives the summed
    // upstream gradient.
    let edge = ir.cells[0].nodes[0].edges[0]
    var rng = RNG(seed: 2)
    let module = try MixedEdgeModule(
      choice: edge.choice, candidates: edge.candidates, stride: edge.stride, partialChannels: nil, rng: &rng)
    let x = Tensor.randn([2, ir.cells[0].c, 8, 8], rng: &rng)
    let w = Parameter(Tensor([1]), group: .architecture)
    let others = Parameter(Tensor([0, 0, 0, 0]), group: .architecture)
    var ctx = ForwardContext(rng: RNG(seed: 1))
    let plain = module(x, plan: .single(index: 3, weight: w.value), context: &ctx)
    let extended = module(x, plan: .singleWithOthers(index: 3, weight: w.value, others: others.value), context: &ctx)
    #expect(plain.scalars == extended.scalars)
    extended.sum().backward()
    #expect(others.grad?.scalars == [Float](repeating: Float(extended.count), count: 4))
    try SearchLoop(method: method).run()
    let derived = try method.result().architecture
    let space = ArchSpace(ir: ir)
    #expect(derived.decisions.count == 6)
    let nb = try #require(space.nb201(derived))
    #expect(nb.nodes.map(\.count) == [1, 2, 3])
    #expect(space.archDocument(derived, spacePath: "x.yaml", header: []).contains("cell.edge[0→1].op: "))
  }

  @Test func commandLineSettingsWinOverTheSpaceAndAreChecked() throws {
    let path = repoRoot + "/spaces/darts-digits.yaml"
    let ok = Compiler.compile(
      path: path, options: CompileOptions(settings: ["order=second", "epochs = 3", "arch_lr=6e-4"]))
    let ir = try #require(ok.ir)
    #expect(ir.method?["order"] == .string("second"))
    #expect(ir.method?["epochs"] == .int(3))
    #expect(ir.method?["arch_lr"] == .real(6e-4))
    let bad = Compiler.compile(path: path, options: CompileOptions(settings: ["epochs=3", "tau_max=2"]))
    #expect(bad.ir == nil)
    let d = try #require(bad.diagnostics.first)
    #expect(d.code == .unknownHyperparameter)
    #expect(d.location.file == "<command line>" && d.location.line == 2)
    // With another method, its own hyperparameters are accepted.
    let gdas = Compiler.compile(path: path, options: CompileOptions(method: "gdas", settings: ["tau_max=2"]))
    #expect(gdas.ir?.method?["tau_max"] == .real(2))
  }
}

@Suite struct RecomputedEdgeTests {
  /// Two steps of a run on the tiny space with edge recomputation on or off.
  static func twoSteps(_ method: String, recompute: Bool) throws -> (
    losses: [Float], arch: [[Float]], weights: [[Float]], stats: [[Float]], tracked: [Int]
  ) {
    let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml"
    let ir = try #require(Compiler.compile(path: space, options: CompileOptions(method: method)).ir)
    let method = try supernetMethod(ir, batch: 8, seed: 7)
    let run = method.supernet
    run.recomputeFrom = 0  // the tiny space's edges are far below the default size
    run.recomputeEdges = recompute
    var losses = [Float]()
    for _ in 0..<2 {
      try method.step(at: LoopPosition())
      losses.append(run.lastWeightLoss)
    }
    let stats = run.model.namedStats().map(\.stats)
    return (
      losses, run.arch.parameters.map { $0.value.scalars }, run.model.weights.map { $0.value.scalars },
      stats.map { $0.mean.scalars + $0.variance.scalars }, stats.map(\.batchesTracked)
    )
  }

  @Test(arguments: ["darts", "gdas", "pc-darts"])
  func recomputedEdgesGiveTheSameSteps(_ method: String) throws {
    let a = try Self.twoSteps(method, recompute: true)
    let b = try Self.twoSteps(method, recompute: false)
    // Only the summation order of gradients differs, so everything agrees up to rounding...
    for (x, y) in zip(a.losses, b.losses) { #expect(abs(x - y) <= 1e-5 * abs(y)) }
    func close(_ p: [[Float]], _ q: [[Float]], _ tol: Float) -> Bool {
      zip(p, q).allSatisfy { zip($0, $1).allSatisfy { abs($0 - $1) <= tol * max(1, abs($1)) } }
    }
    #expect(close(a.arch, b.arch, 1e-5))
    #expect(close(a.weights, b.weights, 1e-5))
    // ...and BN running statistics are updated once per forward pass, not again in backward.
    #expect(close(a.stats, b.stats, 1e-5))
    #expect(a.tracked == b.tracked)
    // Same seed and threads: the same bits.
    let c = try Self.twoSteps(method, recompute: true)
    #expect(a.losses == c.losses && a.arch == c.arch && a.weights == c.weights && a.stats == c.stats)
  }
}

@Suite struct RecomputePolicyTests {
  /// The layer-wise budget: nothing is recomputed while every edge's activations fit; past it, the
  /// edges with the largest inputs go first, a whole input size at a time, until the rest fits.
  @Test func recomputesTheLargestEdgesUntilTheRestFits() {
    let edges = [(input: 100, kept: 1000), (input: 100, kept: 1000), (input: 50, kept: 500)]
    // At batch 2: 8,000 + 8,000 + 4,000 bytes.
    #expect(RecomputePolicy.overBudget(bytes: 20_000).decide(edges, batch: 2) == (false, 0))
    let some = RecomputePolicy.overBudget(bytes: 15_000).decide(edges, batch: 2)
    #expect(some.on && some.from == 200)  // the two 100-element edges (200 with the batch)
    let all = RecomputePolicy.overBudget(bytes: 1_000).decide(edges, batch: 2)
    #expect(all.on && all.from == 100)
    let always = RecomputePolicy.always.decide(edges, batch: 2)
    #expect(always.on && always.from == MixedEdgeModule.defaultRecomputeFrom)
  }

  /// GDAS runs one candidate per edge: its footprint is the largest candidate's, not the sum, and
  /// it decides by that against its own budget.
  @Test func sampledPathsCountTheirLargestCandidate() throws {
    let ir = try compileSpace("darts-digits.yaml")
    var rng = RNG(seed: 1)
    let model = try SupernetModel(ir.network, rng: &rng)
    let all = model.footprints(singlePath: false), one = model.footprints(singlePath: true)
    #expect(all.count == one.count && !all.isEmpty)
    for (a, o) in zip(all, one) { #expect(a.input == o.input && o.kept > 0 && o.kept * 2 < a.kept) }
    #expect(RecomputePolicy.sampledOverBudget(bytes: 1 << 40).decide(one, batch: 64) == (false, 0))
    #expect(RecomputePolicy.sampled.singlePath && !RecomputePolicy.layerwise.singlePath)
  }

  /// The footprint counts each candidate's tensors once: a ReLU6 fused into the batch norm before it
  /// adds nothing (proxylessnas-digits' first layer: six MBConvs at 16 channels and 8 × 8).
  @Test func footprintsSkipFusedActivations() throws {
    let ir = try compileSpace("proxylessnas-digits.yaml")
    var rng = RNG(seed: 1)
    let model = try SupernetModel(ir.network, rng: &rng)
    let first = try #require(model.mixedEdgeFootprints.first)
    #expect(first.input == 16 * 8 * 8)
    // Per MBConv(k, e): expand conv + BN(+ReLU6) + dw conv + BN(+ReLU6) at 16e channels, project
    // conv + BN at 16: 4 · 16e · 64 + 2 · 16 · 64; over e ∈ {3, 6} and three kernels.
    let perKernel = [3, 6].reduce(0) { $0 + 4 * 16 * $1 * 64 + 2 * 16 * 64 }
    #expect(first.kept == 3 * perKernel, "\(first)")
  }
}
