import Foundation
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// The ENAS controller (sampling, log-probabilities, REINFORCE) and the ENAS search end to end.
@Suite struct ENASTests {
  static let tiny = "Tests/NASCSearchTests/Spaces/tiny-enas.yaml"

  /// The tiny ENAS space's controller with its hyperparameters (overridden by `set`).
  func controller(space path: String = tiny, seed: UInt64 = 5, set: [String: HyperValue] = [:]) throws
    -> (ArchitectureController, ArchSpace, Hyperparameters)
  {
    let ir = try #require(Compiler.compile(path: repoRoot + "/" + path).ir)
    var config = try #require(ir.method)
    for (k, v) in set { config.set(k, v) }
    let h = Hyperparameters(config)
    let space = ArchSpace(ir: ir)
    var rng = RNG(seed: seed)
    let c = ArchitectureController(
      try ControllerProgram(space, method: "enas"), settings: try ControllerLoop.settings(h), rng: &rng)
    return (c, space, h)
  }

  @Test func aSampleIsAnArchitectureOfTheSpaceAndItsLogProbabilityIsTheSumOfItsDecisions() throws {
    let (c, space, _) = try controller()
    var rng = RNG(seed: 11)
    for _ in 0..<20 {
      let s = c.sample(rng: &rng)
      #expect(space.problem(s.architecture) == nil)
      #expect(s.decisions.count == c.program.decisionCount)
      #expect(s.decisionLogProbabilities.count == s.decisions.count)
      let sum = s.decisionLogProbabilities.reduce(0, +)
      #expect(abs(Double(s.logProbability.scalar) - sum) < 1e-4 * max(1, abs(sum)))
      #expect(s.decisionLogProbabilities.allSatisfy { $0 <= 0 })
      // Replaying the decisions gives the same architecture and the same log-probability.
      var other = RNG(seed: 99)
      let replay = c.sample(rng: &other, forced: s.decisions)
      #expect(replay.architecture == s.architecture)
      #expect(replay.decisions == s.decisions)
      #expect(abs(replay.logProbability.scalar - s.logProbability.scalar) < 1e-5)
      #expect(s.entropy > 0)
    }
  }

  @Test func theLogProbabilityGradientMatchesFiniteDifferences() throws {
    let (c, _, _) = try controller(set: ["controller_hidden": .int(6)])
    var rng = RNG(seed: 3)
    let decisions = c.sample(rng: &rng).decisions
    c.zeroGrad()
    var r = RNG(seed: 0)
    c.sample(rng: &r, forced: decisions).logProbability.backward()
    var checked = 0
    for (name, p) in c.namedParameters() {
      let grad = try #require(p.grad, "\(name) has no gradient")
      for i in stride(from: 0, to: p.shape.reduce(1, *), by: max(1, p.shape.reduce(1, *) / 3)) {
        let base = p.value.detached()
        var values = base.scalars
        let eps: Float = 1e-2
        func logp(_ delta: Float) -> Double {
          var v = values
          v[i] += delta
          p.value = Tensor(shape: base.shape, scalars: v)
          var rr = RNG(seed: 0)
          return withNoGrad { Double(c.sample(rng: &rr, forced: decisions).logProbability.scalar) }
        }
        let numeric = (logp(eps) - logp(-eps)) / (2 * Double(eps))
        values = base.scalars
        p.value = base
        let analytic = Double(grad.scalars[i])
        #expect(abs(numeric - analytic) <= 5e-3 + 3e-2 * abs(numeric), "\(name)[\(i)]: \(analytic) vs \(numeric)")
        checked += 1
      }
    }
    #expect(checked >= 20)
  }

  @Test func reinforceLearnsAFixedBestArchitecture() throws {
    let (c, space, h) = try controller(
      space: "Tests/NASCSearchTests/Spaces/tiny-enas-cell.yaml",
      set: [
        "controller_lr": .real(0.01), "entropy_weight": .real(0), "controller_samples": .int(10),
        "controller_aggregate": .int(10), "baseline_decay": .real(0.9), "controller_hidden": .int(32),
        // ENAS' RNN shaping (2.5 · tanh on every logit): bounded logits keep the policy exploring,
        // and still allow a decision to become 97% sure.
        "tanh_constant": .real(2.5), "op_tanh_reduce": .real(1), "op_bias": .real(0), "first_cell_bias": .real(0),
      ])
    var rng = RNG(seed: 21)
    let target = space.sample(rng: &rng)
    // The share of the target's (op, input) picks the sample makes: a dense reward.
    func reward(_ a: Architecture) -> Double {
      var hits = 0, total = 0
      for u in space.units {
        let want = target.pairs(u.key) ?? []
        var have = a.pairs(u.key) ?? []
        total += want.count
        for w in want { if let i = have.firstIndex(of: w) { hits += 1; have.remove(at: i) } }
      }
      return Double(hits) / Double(max(total, 1))
    }
    func meanReward() -> Double {
      var r = RNG(seed: 1234)
      return withNoGrad { (0..<40).map { _ in reward(c.sample(rng: &r).architecture) }.reduce(0, +) / 40 }
    }
    let loop = try ControllerLoop(h, rewardName: "toy")
    let adam = loop.optimizer(c)
    var state = ControllerLoop.State()
    let before = meanReward()
    for _ in 0..<200 { try loop.update(c, adam, state: &state, rng: &rng) { a, _ in reward(a) } }
    let after = meanReward()

    print("reinforce toy: mean reward \(before) → \(after)")
    #expect(before < 0.4)
    #expect(after > 0.85, "mean reward \(before) → \(after)")
    #expect(state.updates == 200)
  }

  @Test func theSearchRunsAndDerivesTheBestOfItsSamples() throws {
    let m = try oneShotMethod(
      Self.tiny, images: 64,
      set: [
        "batch_size": .int(8), "controller_samples": .int(4),
        "controller_aggregate": .int(2), "derive_samples": .int(5),
      ])
    let loop = try SearchLoop(method: m)
    try loop.run()
    let r = try m.result()
    #expect(m.supernet.space.problem(r.architecture) == nil)
    #expect(r.readOffWeights == false)
    #expect(m.state.history.count == 5)
    #expect(r.signal == m.state.history.map(\.score.signal).max())
    let epochs = loop.history.filter { $0["controller_entropy"] != nil }
    #expect(epochs.count == 2)
    #expect(epochs.allSatisfy { ($0["controller_reward"]?.number ?? -1) >= 0 && $0["controller_baseline"] != nil })
    #expect(epochs.last?["controller_updates"] == .int(4))
  }

  @Test func aLayerWiseSpaceIsRefused() throws {
    #expect(throws: RunError.self) {
      _ = try oneShotMethod("Tests/NASCSearchTests/Spaces/tiny-layers.yaml", method: "enas")
    }
  }

  @Test func killedAndResumedSearchEndsAsAnUninterruptedOne() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasc-enas-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let args = ["search", repoRoot + "/" + Self.tiny, "--limit", "200", "--epochs", "3"]
    #expect(try runNasc(args + ["--out", dir.path + "/whole"]).status == 0)
    #expect(try killAndResume(args, out: dir.path + "/cut", unit: 1) == 0)
    #expect(try metrics(dir.path + "/whole") == metrics(dir.path + "/cut"))
    #expect(try text(dir.path + "/whole/arch.yaml") == text(dir.path + "/cut/arch.yaml"))
  }
}

/// ENAS on a recurrent cell, on the synthetic corpus of `LanguageModelTests`.
@Suite(.serialized) struct ENASRecurrentTests {
  static let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-enas-rnn.yaml"

  @Test func searchDerivesARecurrentCellAndReportsTheController() throws {
    let data = try RecurrentSearchTests.corpus()
    let run = data.path + "/run"
    let r = try runNasc(["search", Self.space, "--data", "ptb:\(data.path)", "--seed", "2", "--out", run])
    #expect(r.status == 0, "\(r.stderr)")
    let genotype = try text(run + "/genotype.txt")
    #expect(genotype.hasPrefix("Genotype(recurrent=["), "\(genotype)")
    // One (activation, predecessor) per node, and the loose ends as the output.
    #expect(genotype.components(separatedBy: "), (").count == 4, "\(genotype)")
    let lines = try text(run + "/metrics.jsonl").split(separator: "\n")
    let epochs = try lines.map { try JSONDecoder().decode(Metrics.self, from: Data($0.utf8)) }.filter {
      $0["controller_entropy"] != nil
    }
    #expect(epochs.count == 2)
    for m in epochs {
      let reward = try #require(m["controller_reward"]?.number)
      // reward = 80 / perplexity; the perplexity of an 11-word corpus lies between 1 and about 11.
      #expect(reward > 80 / 40 && reward < 80, "\(reward)")
      #expect((m["train_ppl"]?.number ?? .infinity) < 40)
    }
    let trained = try runNasc([
      "train", "--arch", run + "/arch.yaml", "--data", "ptb:\(data.path)", "--epochs", "1", "--batch-size", "4",
      "--lr", "5", "--out", data.path + "/train",
    ])
    #expect(trained.status == 0 && trained.stdout.hasPrefix("test perplexity"), "\(trained.stderr)")
  }

  @Test func killedSearchResumesBitIdentical() throws {
    let data = try RecurrentSearchTests.corpus()
    let args = ["search", Self.space, "--data", "ptb:\(data.path)", "--seed", "5"]
    let whole = try runNasc(args + ["--out", data.path + "/whole"])
    #expect(whole.status == 0, "\(whole.stderr)")
    #expect(try killAndResume(args, out: data.path + "/cut", unit: 1) == 0)
    #expect(try metrics(data.path + "/cut") == metrics(data.path + "/whole"))
    #expect(try text(data.path + "/cut/arch.yaml") == text(data.path + "/whole/arch.yaml"))
  }

  @Test func imageDataIsRefused() throws {
    let r = try runNasc([
      "search", Self.space, "--data", "digits", "--out",
      FileManager.default.temporaryDirectory.path + "/nasc-enas-img-\(UUID().uuidString)",
    ])
    #expect(r.status != 0 && r.stderr.contains("E214"), "\(r.stderr)")
  }
}
