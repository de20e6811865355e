import Foundation
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// FBNet: the soft Gumbel sample, the latency loss's gradient, the latency-constrained derivation
/// and a run on a layer-wise space that resumes bit-identically.
@Suite("FBNet")
struct FBNetTests {
  /// m = softmax((θ + g)/τ) sums to 1, is the same for the same generator, and is near one-hot at
  /// a low temperature.
  @Test func softGumbelSample() {
    let theta = Tensor([0.2, -0.1, 0.4, 0])
    var r1 = RNG(seed: 9), r2 = RNG(seed: 9)
    let m1 = theta.gumbelSoftSample(tau: 5, rng: &r1), m2 = theta.gumbelSoftSample(tau: 5, rng: &r2)
    #expect(m1.scalars == m2.scalars)
    #expect(abs(m1.scalars.reduce(0, +) - 1) < 1e-6)
    // At τ = 5 the sample is far from one-hot; at τ = 0.01 it is one-hot to within 1e-3.
    #expect(m1.scalars.max()! < 0.5)
    var r3 = RNG(seed: 9)
    #expect(theta.gumbelSoftSample(tau: 0.01, rng: &r3).scalars.max()! > 0.999)
    // Logits that are not finite give up after a bounded number of draws instead of hanging.
    var r4 = RNG(seed: 1)
    let broken = Tensor([.nan, 0]).gumbelSoftSample(tau: 1, rng: &r4).scalars
    #expect(broken.contains { !$0.isFinite })
    // The schedule: τ_0 · 0.956^e.
    let tau = SoftGumbelMixture.exponentialSchedule(initial: 5, decay: 0.956)
    #expect(tau(0) == 5 && abs(tau(10) - 5 * Float(pow(0.956, 10.0))) < 1e-5)
  }

  /// ∂/∂θ of CE · a · (log LAT)^b, LAT = c_0 + Σ_l Σ_i m_{l,i} c_{l,i}, m_l = softmax((θ_l + g_l)/τ)
  /// with g fixed, against central finite differences.
  @Test func latencyLossGradientMatchesFiniteDifferences() throws {
    let costs: [[Double]] = [[3, 1.5, 6], [2, 4]]
    let fixed = 2.0, tau: Float = 1.5, ce: Float = 1.3
    let thetas: [[Float]] = [[0.1, -0.3, 0.5], [0.2, -0.4]]
    var noise = RNG(seed: 4)
    let g = costs.map { Tensor.gumbel([$0.count], rng: &noise) }
    func loss(_ th: [[Float]], params: [Parameter]? = nil) -> Tensor {
      let m = th.indices.map { l in
        (((params.map { $0[l].value } ?? Tensor(th[l])) + g[l]) * (1 / tau)).softmax()
      }
      return FBNet.latencyLoss(
        ce: Tensor([ce]), weights: m, costs: costs, fixed: fixed, a: 0.2, b: 0.6)
    }
    let params = thetas.map { Parameter(Tensor($0)) }
    loss(thetas, params: params).backward()
    for l in thetas.indices {
      let grad = try #require(params[l].grad).scalars
      for i in thetas[l].indices {
        var up = thetas, down = thetas
        up[l][i] += 1e-2
        down[l][i] -= 1e-2
        let fd = (Double(loss(up).scalar) - Double(loss(down).scalar)) / 2e-2
        #expect(abs(Double(grad[i]) - fd) < 1e-4, "θ[\(l)][\(i)]: \(grad[i]) vs \(fd)")
      }
    }
    // The value: CE · a · (log LAT)^b.
    let m = g.indices.map { l in ((Tensor(thetas[l]) + g[l]) * (1 / tau)).softmax().scalars }
    let lat = fixed + zip(m, costs).reduce(0.0) { $0 + zip($1.0, $1.1).reduce(0.0) { $0 + Double($1.0) * $1.1 } }
    let want = Double(ce) * 0.2 * pow(log(lat), 0.6)
    #expect(abs(Double(loss(thetas).scalar) - want) < 1e-5)
  }

  /// The knapsack derivation equals a brute-force search over every architecture: the most
  /// probable one within the budget, and nil below the cheapest.
  @Test func mostProbableWithinBudgetMatchesBruteForce() throws {
    let ir = try compileSpace("proxylessnas-digits.yaml")
    var costs = try LayerCosts(ir: ir, tablePath: "", anyConditions: false, macUnit: ("kMACs", 1e3), method: "fbnet")
    var rng = RNG(seed: 11)
    // Three layers of a few candidates keep the brute force small.
    costs.layers = Array(costs.layers.prefix(3))
    for trial in 0..<20 {
      let logp = costs.layers.map { l -> [Double] in
        let raw = l.costs.map { _ in Double(rng.nextFloat()) * 3 }
        let z = log(raw.reduce(0) { $0 + exp($1) })
        return raw.map { $0 - z }
      }
      let budget = costs.cheapest + Double(rng.nextFloat()) * (costs.largest - costs.cheapest)
      var best: (p: Double, c: [Int])? = nil
      func visit(_ l: Int, _ c: [Int]) {
        if l == costs.layers.count {
          guard costs.cost(of: c) <= budget else { return }
          let p = zip(logp, c).reduce(0.0) { $0 + $1.0[$1.1] }
          if best == nil || p > best!.p { best = (p, c) }
          return
        }
        for k in costs.layers[l].costs.indices { visit(l + 1, c + [k]) }
      }
      visit(0, [])
      let got = try #require(costs.mostProbable(logp, within: budget), "trial \(trial)")
      #expect(costs.cost(of: got) <= budget)
      let p = zip(logp, got).reduce(0.0) { $0 + $1.0[$1.1] }
      // Rounding each cost up to the grid may cost a sliver of probability, never the budget.
      #expect(p >= best!.p - 1e-2, "trial \(trial): \(got) \(p) vs \(best!.c) \(best!.p)")
    }
    #expect(costs.mostProbable(costs.layers.map { $0.costs.map { _ in 0 } }, within: costs.cheapest * 0.99) == nil)
  }

  /// A run on a layer-wise space: warm-up then search epochs, the expected latency per epoch, the
  /// θ picture, a latency target that the derivation meets (and one below the cheapest, E316), and
  /// a run killed after the warm-up and after a search epoch resumes bit-identically.
  @Test func fbnetRunsMeetsATargetAndResumes() throws {
    let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-layers.yaml"
    let dir = try TempDir()
    let args = [
      "search", space, "--method", "fbnet", "--limit", "64", "--seed", "5", "--set", "warmup_epochs=1",
      "--set", "epochs=2", "--set", "batch_size=8", "--set", "train_portion=0.75",
    ]
    let full = dir.path + "/fb-full"
    let a = try runNasc(args + ["--out", full])
    #expect(a.status == 0, "\(a.stderr)")
    #expect(a.stderr.contains("warmup: epoch 1/1") && a.stderr.contains("search: epoch 2/2"), "\(a.stderr)")
    #expect(try text(full + "/arch.yaml").contains("layer[1].op:"))
    let last = try #require(try metrics(full).last)
    #expect(last.contains("\"expected_kmacs\":") && last.contains("\"tau\":"), "\(last)")
    let picture = try text(full + "/alpha-layers.svg")
    let lines: Int = picture.components(separatedBy: "<polyline").count - 1
    #expect(lines == 7)
    for unit in [1, 2] {
      let cut = dir.path + "/fb-cut\(unit)"
      #expect(try killAndResume(args, out: cut, unit: unit) == 0)
      #expect(try text(full + "/arch.yaml") == text(cut + "/arch.yaml"), "after unit \(unit)")
      #expect(try metrics(full) == metrics(cut), "after unit \(unit)")
    }
    // The tiny space: k3 and k3_e1 are the cheap candidates. A target at the cheapest forces them.
    let ir = try compileSpace("../Tests/NASCSearchTests/Spaces/tiny-layers.yaml")
    let costs = try LayerCosts(ir: ir, tablePath: "", anyConditions: false, macUnit: ("kMACs", 1e3), method: "fbnet")
    let tight = dir.path + "/fb-tight"
    let t = try runNasc(args + ["--set", "latency_target=\(costs.cheapest + 1e-6)", "--out", tight])
    #expect(t.status == 0, "\(t.stderr)")
    let arch = try text(tight + "/arch.yaml")
    #expect(arch.contains("layer[0].op: k3") && arch.contains("layer[1].op: k3_e1"), "\(arch)")
    // A split that leaves one side empty is E310, not a crash (any method with two splits).
    let nan = try runNasc(args + ["--set", "arch_lr=nan", "--out", dir.path + "/fb-nan"])
    #expect(nan.status == 1 && nan.stderr.contains("E052") && nan.stderr.contains("arch_lr"), "\(nan.stderr)")
    for (method, portion) in [("fbnet", "1"), ("fbnet", "0"), ("proxylessnas", "1.5")] {
      let bad = try runNasc(
        args.map { $0 == "fbnet" ? method : $0 == "train_portion=0.75" ? "train_portion=\(portion)" : $0 }
          + ["--out", dir.path + "/fb-split-\(method)-\(portion)"])
      #expect(bad.status == 1 && bad.stderr.contains("E310") && bad.stderr.contains("train_portion"), "\(bad.stderr)")
    }
    let low = try runNasc(args + ["--set", "latency_target=\(costs.cheapest * 0.5)", "--out", dir.path + "/fb-low"])
    #expect(low.status == 1 && low.stderr.contains("E316") && low.stderr.contains("cheapest"), "\(low.stderr)")
  }

  /// §7.3's derivation: draws follow the distributions, an architecture drawn twice is scored once,
  /// one over the budget is listed but not scored, and the best scored is kept.
  @Test func sampledDerivationDrawsScoresAndKeepsTheBest() throws {
    let logp = [[0.7, 0.2, 0.1].map(Foundation.log), [0.5, 0.5].map(Foundation.log)]
    var scored = 0
    let many = SampledDerivation.draw(logp, count: 20_000, seed: 3, budget: nil, cost: { _ in 0 }) { _ in
      scored += 1
      return 0
    }
    #expect(scored == 6)  // every one of the 3 × 2 architectures, once
    let first = many.map { Double($0.choices[0] == 0 ? 1 : 0) }.reduce(0, +) / 20_000
    #expect(abs(first - 0.7) < 0.015, "\(first)")
    let s = try #require(many.first)
    #expect(abs(s.logProbability - (logp[0][s.choices[0]] + logp[1][s.choices[1]])) < 1e-12)
    // Score = the first layer's index, cost = the second's: with budget 0 only choices[1] = 0 counts.
    let few = SampledDerivation.draw(
      logp, count: 50, seed: 4, budget: 0, cost: { Double($0[1]) }, score: { Double($0[0]) })
    #expect(few.allSatisfy { ($0.score == nil) == ($0.choices[1] == 1) })
    let best = try #require(SampledDerivation.best(few))
    #expect(best.choices == [2, 0])
    #expect(SampledDerivation.best(few.filter { $0.score == nil }) == nil)
    // Same seed, same draws.
    #expect(
      SampledDerivation.draw(logp, count: 50, seed: 4, budget: 0, cost: { Double($0[1]) }, score: { Double($0[0]) })
        == few)
  }

  /// `derive_samples`: the run lists every draw in samples.jsonl and derives the best one scored.
  @Test func fbnetDerivesBySampling() throws {
    let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-layers.yaml"
    let dir = try TempDir()
    let out = dir.path + "/fb-samples"
    let r = try runNasc([
      "search", space, "--method", "fbnet", "--limit", "64", "--seed", "5", "--set", "warmup_epochs=0",
      "--set", "epochs=1", "--set", "batch_size=8", "--set", "derive_samples=5", "--set", "bn_recalibration_batches=1",
      "--set", "bn_batch_size=8", "--out", out,
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = try text(out + "/samples.jsonl").split(separator: "\n")
    #expect(lines.count == 5)
    #expect(lines.allSatisfy { $0.contains("\"supernet_val_acc\":") && $0.contains("\"log_p\":") })
    let arch = try text(out + "/arch.yaml")
    let best = lines.max { a, b in accuracy(a) < accuracy(b) }.map(String.init) ?? ""
    for decision in best.split(separator: "\"")[3].split(separator: " ") {
      let parts = decision.split(separator: "=")
      #expect(arch.contains("\(parts[0]): \(parts[1])"), "\(arch) vs \(best)")
    }
    let bad = try runNasc([
      "search", space, "--method", "fbnet", "--limit", "64", "--set", "derive_samples=4", "--set",
      "bn_recalibration_batches=100", "--out", dir.path + "/fb-bad",
    ])
    #expect(bad.status == 1 && bad.stderr.contains("E315"), "\(bad.stderr)")
  }
}

/// The `supernet_val_acc` of one samples.jsonl line.
private func accuracy(_ line: Substring) -> Double {
  guard let r = line.range(of: "\"supernet_val_acc\":") else { return -1 }
  return Double(line[r.upperBound...].prefix { "0123456789.-e".contains($0) }) ?? -1
}
