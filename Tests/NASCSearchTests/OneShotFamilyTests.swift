import Foundation
import NASCData
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// A one-shot method on `space` (a path under the repository) with synthetic data of `images` images.
func oneShotMethod(
  _ space: String, method: String? = nil, images: Int = 32, seed: UInt64 = 3, set: [String: HyperValue] = [:]
) throws -> any SharedWeightMethod {
  let result = Compiler.compile(path: repoRoot + "/" + space, options: CompileOptions(method: method))
  let ir = try #require(result.ir)
  var config = try #require(ir.method)
  for (k, v) in set { config.set(k, v) }
  let data = SearchBenchmark.syntheticData(shape: ir.network.input, classes: 10, batch: images / 2, seed: seed)
  let context = MethodContext(
    ir: ir, config: config, run: RunSettings(seed: seed, threads: 2, data: "synthetic"), data: data)
  return try #require(try MethodRegistry.make(context) as? any SharedWeightMethod)
}

@Suite struct OneShotFamilyTests {
  static let tinyLayers = "Tests/NASCSearchTests/Spaces/tiny-layers.yaml"

  @Test func fairnasTrainsEveryCandidateOfEveryLayerEquallyOftenPerStep() throws {
    // Layers of 2, 3 and 2 candidates: 6 paths per step (their lcm), each candidate 6 / c times.
    let m = try #require(try oneShotMethod(Self.tinyLayers, method: "fairnas") as? FairNAS)
    #expect(m.paths == 6)
    for _ in 0..<5 {
      let paths = m.fairPaths()
      #expect(paths.count == 6)
      for u in m.units {
        var counts = [String: Int]()
        for p in paths { counts[try #require(p.op(u.key)), default: 0] += 1 }
        #expect(Set(counts.keys) == Set(u.candidates), "\(u.key)")
        #expect(counts.values.allSatisfy { $0 == 6 / u.candidates.count }, "\(u.key): \(counts)")
      }
    }
    // One training step reaches every candidate's weights: all of them receive a gradient.
    try m.step(at: LoopPosition())
    let model = m.supernet.model
    for (name, p) in model.namedParameters() where name.hasPrefix("layers") {
      #expect(p.grad != nil, "\(name) got no gradient")
    }
    // ProxylessNAS' 7 and 6 candidates: lcm 42 is more than twice 7, so 7 paths, every candidate
    // of a 6-candidate layer once and one of them twice.
    let proxyless = try #require(
      try oneShotMethod(
        "spaces/proxylessnas-digits.yaml", method: "fairnas", images: 64,
        set: ["bn_batch_size": .int(4), "bn_recalibration_batches": .int(1)])
        as? FairNAS)
    #expect(proxyless.paths == 7 && proxyless.notes.contains { $0.contains("lcm 42") })
    let paths = proxyless.fairPaths()
    for u in proxyless.units {
      var counts = [String: Int]()
      for p in paths { counts[try #require(p.op(u.key)), default: 0] += 1 }
      #expect(Set(counts.keys) == Set(u.candidates), "\(u.key)")
      #expect(counts.values.max()! - counts.values.min()! <= (u.candidates.count == 7 ? 0 : 1), "\(u.key)")
    }
    // FairNAS' own space: 6 candidates everywhere, 6 paths.
    let digits = try #require(
      try oneShotMethod("spaces/fairnas-digits.yaml", images: 64, set: ["bn_batch_size": .int(4)]) as? FairNAS)
    #expect(digits.paths == 6)
  }

  @Test func fairnasRejectsSpacesWhoseNodesChooseInputs() throws {
    #expect(throws: RunError.self) {
      _ = try oneShotMethod("Tests/NASCSearchTests/Spaces/tiny-digits.yaml", method: "fairnas")
    }
  }

  @Test func sposLeavesTheWeightsOffThePathExactlyAsTheyWere() throws {
    let m = try #require(try oneShotMethod(Self.tinyLayers, images: 64) as? SPOS)
    let net = m.supernet
    // A few steps on random paths (of the 12 of the linear schedule), so that every candidate has
    // momentum buffers.
    for _ in 0..<8 { try m.step(at: LoopPosition()) }
    let a = Architecture(decisions: ["layer[0].op": .op("k3"), "layer[1].op": .op("k5_e2"), "layer[2].op": .op("k5")])
    #expect(net.space.problem(a) == nil)
    let named = net.model.namedParameters()
    let path = ["layers0.k3.", "layers1.k5_e2.", "layers2.k5."]
    let off = named.filter { n, _ in n.hasPrefix("layers") && !path.contains { n.hasPrefix($0) } }
    let on = named.filter { n, _ in path.contains { n.hasPrefix($0) } }
    #expect(!off.isEmpty && !on.isEmpty)
    func buffer(_ p: Parameter) -> [Float]? { net.optimizer.momentumBuffer(for: p)?.scalars }
    let before = off.map { ($0.parameter.value.scalars, buffer($0.parameter)) }
    let onBefore = on.map { $0.parameter.value.scalars }
    let stats = net.model.namedStats().filter { n, _ in n.hasPrefix("layers") && !path.contains { n.hasPrefix($0) } }
    let statsBefore = stats.map { ($0.stats.mean.scalars, $0.stats.variance.scalars) }
    #expect(off.allSatisfy { buffer($0.parameter) != nil })
    try net.step([(net.planner.plan(a), net.nextBatch())], epoch: 0)
    for ((name, p), (value, buf)) in zip(off, before) {
      #expect(p.value.scalars == value, "\(name) changed")
      #expect(buffer(p) == buf, "\(name)'s momentum changed")
    }
    for ((_, s), (mean, variance)) in zip(stats, statsBefore) {
      #expect(s.mean.scalars == mean && s.variance.scalars == variance)
    }
    #expect(zip(on, onBefore).contains { $0.0.parameter.value.scalars != $0.1 }, "the path's weights did not move")
  }

  @Test func cumulativeBatchNormAveragesTheBatchStatistics() throws {
    var rng = RNG(seed: 5)
    let bn = BatchNorm2d(3, affine: false)
    bn.cumulativeAverage = true
    let batches = (0..<4).map { _ in Tensor.randn([5, 3, 2, 2], rng: &rng) * Float(2) }
    for b in batches { _ = withNoGrad { bn(b) } }
    for c in 0..<3 {
      var means = [Double](), variances = [Double]()
      for b in batches {
        let v = (0..<5).flatMap { n in (0..<4).map { Double(b.scalars[(n * 3 + c) * 4 + $0]) } }
        let mu = v.reduce(0, +) / Double(v.count)
        means.append(mu)
        variances.append(v.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / Double(v.count - 1))
      }
      #expect(abs(Double(bn.stats.mean.scalars[c]) - means.reduce(0, +) / 4) < 1e-5)
      #expect(abs(Double(bn.stats.variance.scalars[c]) - variances.reduce(0, +) / 4) < 1e-5)
    }
    #expect(bn.stats.batchesTracked == 4)
  }

  @Test func recalibrationGivesEachBatchNormTheStatisticsOfTheCalibrationImages() throws {
    // Calibration images that make one batch: every recalibration batch holds the same images,
    // so the average over batches equals one train-mode pass with momentum 1 from reset stats.
    let m = try #require(try oneShotMethod(Self.tinyLayers, images: 64) as? SPOS)
    let net = m.supernet
    for _ in 0..<6 { try m.step(at: LoopPosition()) }
    let images = net.trainData.prefix(8)
    var rng = RNG(seed: 9)
    let a = net.space.sample(rng: &rng)
    let e = SupernetEvaluator(
      ir: net.ir, model: net.model, calibration: images, validation: net.valData, calibrationBatches: 3, batchSize: 8)
    let norms = net.model.modules().compactMap { $0 as? BatchNorm2d }
    let saved = norms.map { ($0.stats.mean, $0.stats.variance, $0.stats.batchesTracked) }
    e.recalibrate(e.plan(a), seed: 1)
    let recalibrated = norms.map { ($0.stats.mean.scalars, $0.stats.variance.scalars) }
    for (bn, s) in zip(norms, saved) {
      (bn.stats.mean, bn.stats.variance, bn.stats.batchesTracked) = (.zeros(s.0.shape), .ones(s.1.shape), 0)
      bn.momentum = 1
    }
    let x = Tensor(shape: [8, 1, 8, 8], scalars: images.batch(0..<8).pixels)
    var ctx = ForwardContext(rng: RNG(seed: 0))
    _ = withNoGrad { net.model(x, plan: e.plan(a), context: &ctx) }
    var compared = 0
    for (bn, r) in zip(norms, recalibrated) where bn.stats.batchesTracked > 0 {
      for (u, v) in zip(bn.stats.mean.scalars + bn.stats.variance.scalars, r.0 + r.1) {
        #expect(abs(u - v) <= 1e-4 * max(1, abs(u)))
      }
      compared += 1
    }
    #expect(compared >= 5)
    for bn in norms { bn.momentum = 0.1 }
    // Scoring leaves the supernet's own statistics as they were.
    for (bn, s) in zip(norms, saved) { (bn.stats.mean, bn.stats.variance, bn.stats.batchesTracked) = s }
    _ = try e.score(a)
    for (bn, s) in zip(norms, saved) { #expect(bn.stats.mean.scalars == s.0.scalars && !bn.cumulativeAverage) }
  }

  @Test func wholeNetworkCostsEqualTheCompiledArchitecture() throws {
    let small: [String: HyperValue] = ["bn_batch_size": .int(4), "bn_recalibration_batches": .int(1)]
    for (space, method) in [
      ("Tests/NASCSearchTests/Spaces/tiny-nb201.yaml", "fairnas"),
      ("Tests/NASCSearchTests/Spaces/tiny-digits.yaml", "spos"),
      (Self.tinyLayers, "spos"),
    ] {
      let net = try oneShotMethod(space, method: method, images: 64, set: small).supernet
      var rng = RNG(seed: 4)
      for _ in 0..<3 {
        let a = net.space.sample(rng: &rng)
        let text = net.space.nb201(a)?.description ?? net.space.genotype(a)?.description
        let fixed: SpaceIR
        if let text {
          fixed = try #require(Compiler.compile(path: repoRoot + "/" + space, options: CompileOptions(arch: text)).ir)
        } else {
          let doc = try TempDir()
          let path = doc.path + "/arch.yaml"
          try net.space.archDocument(a, spacePath: repoRoot + "/" + space, header: []).write(
            toFile: path, atomically: true, encoding: .utf8)
          fixed = try #require(Compiler.compile(path: repoRoot + "/" + space, options: CompileOptions(arch: path)).ir)
        }
        let c = net.costs(a)
        // DARTS' search ops put a BN after pooling that its stand-alone cells do not have: only the
        // MACs agree there (the params differ by those BNs' 2·C).
        let darts = space.hasSuffix("tiny-digits.yaml")
        #expect(
          c.macs == fixed.cost.macs && (darts || c.params == fixed.cost.params), "\(space): \(c) vs \(fixed.cost)")
        #expect(net.costRange.least.macs <= c.macs && c.macs <= net.costRange.most.macs)
      }
    }
  }

  @Test func aRestoredStateWithAForeignArchitectureIsRefused() throws {
    let small: [String: HyperValue] = ["bn_batch_size": .int(4), "bn_recalibration_batches": .int(1)]
    for method in ["spos", "fairnas", "oneshot", "random-ws"] {
      let m = try oneShotMethod(Self.tinyLayers, method: method, images: 64, set: small)
      try expectForeignArchitectureRefused(m, method)
    }
  }

  @Test func recalibrationLargerThanTheDataIsAnError() throws {
    do {
      _ = try oneShotMethod(Self.tinyLayers, images: 32, set: ["bn_recalibration_batches": .int(50)])
      Issue.record("no error")
    } catch let e as RunError {
      #expect(e.code == "E315" && e.help.contains("bn_recalibration_batches"))
    }
  }

  @Test func paretoFrontsAndCrowding() throws {
    // Minimise both: (1,5) (2,3) (4,1) are the front; (3,4) is dominated by (2,3); (5,5) by all.
    let points: [[Double]] = [[1, 5], [3, 4], [2, 3], [5, 5], [4, 1]]
    #expect(Pareto.fronts(points) == [[0, 2, 4], [1], [3]])
    #expect(
      Pareto.dominates([2, 3], [3, 4]) && !Pareto.dominates([1, 5], [4, 1]) && !Pareto.dominates([1, 1], [1, 1]))
    let c = Pareto.crowding(points, front: [0, 2, 4])
    #expect(c[0] == .infinity && c[2] == .infinity)
    #expect(abs(c[1] - ((4.0 - 1) / 3 + (5.0 - 1) / 4)) < 1e-12)
    #expect(Pareto.select(points, count: 4) == [0, 2, 4, 1])
    #expect(Set(Pareto.select(points, count: 2)).isSubset(of: [0, 2, 4]))
  }

  @Test func rankCorrelationsWithAndWithoutTies() throws {
    let plain = RankCorrelation([1, 2, 3, 4], [1, 3, 2, 4], k: 2)
    #expect(abs(plain.kendallTau - 4.0 / 6) < 1e-12 && abs(plain.spearmanRho - 0.8) < 1e-12)
    #expect(plain.topKOverlap == 0.5 && plain.count == 4)
    // τ-b and ρ with ties (scipy.stats.kendalltau and spearmanr give 0.8 and 0.8333).
    let tied = RankCorrelation([1, 2, 2, 3], [1, 2, 3, 3], k: 1)
    #expect(abs(tied.kendallTau - 0.8) < 1e-12 && abs(tied.spearmanRho - 3.75 / 4.5) < 1e-12)
    let reversed = RankCorrelation([1, 2, 3], [3, 2, 1], k: 1)
    #expect(reversed.kendallTau == -1 && abs(reversed.spearmanRho + 1) < 1e-12 && reversed.topKOverlap == 0)
    #expect(RankCorrelation([1, 1, 1], [1, 2, 3], k: 1).kendallTau.isNaN)
  }

  @Test func everyOneShotMethodRunsOnCellsAndLayers() throws {
    let cells = "Tests/NASCSearchTests/Spaces/tiny-digits.yaml"
    let cases: [(String, String, [String: HyperValue])] = [
      ("spos", Self.tinyLayers, [:]),
      ("fairnas", Self.tinyLayers, ["epochs": .int(1), "population": .int(4), "generations": .int(2)]),
      ("oneshot", cells, ["epochs": .int(2), "samples": .int(6), "ghost_batch": .int(4)]),
      ("oneshot", Self.tinyLayers, ["epochs": .int(1), "samples": .int(4), "ghost_batch": .int(4)]),
      ("random-ws", cells, ["epochs": .int(1), "samples": .int(6), "top": .int(2), "eval_batches": .int(1)]),
    ]
    for (method, space, set) in cases {
      var all = set
      all["bn_recalibration_batches"] = .int(1)
      all["bn_batch_size"] = .int(4)
      all["batch_size"] = .int(8)
      let m = try oneShotMethod(space, method: method, images: 48, set: all)
      let loop = try SearchLoop(method: m)
      try loop.run()
      let r = try m.result()
      #expect(m.supernet.space.problem(r.architecture) == nil, "\(method)")
      #expect((r.signal ?? -1) >= 0 && !r.scored.isEmpty, "\(method)")
      #expect(loop.history.count == m.phases.reduce(0) { $0 + $1.units }, "\(method)")
    }
  }
}
