import Foundation
import NASCData
import NASCSpace
import NASCTensor

/// SMASH (Brock et al., ICLR 2018; METHODS.md §13) on memory-bank spaces.
///
/// ```
/// train, per minibatch:  a ~ random architecture (per-block read budget U(min_budget, b_max),
///                              kernels ≤ k_max; b_max 0.5 → 1 and k_max 3 → largest over the
///                              first ramp_fraction of training)
///                        W_1x1 = H(z, c(a))   (the reading 1×1 convs of every memory layer)
///                        one Adam step on CE(net_a(x; W_1x1, W_free)) into H and W_free
///                        (lr cosine per iteration, betas 0.5/0.999, eps 1e-4, wd 1e-4 on W_free)
/// rank:  score `samples` random architectures by accuracy with generated weights on fixed
///        validation batches; then `perturbations` perturbations of the best (each decision
///        redrawn with probability perturb_prob); then `markov_steps` steps that perturb the
///        current best and keep a perturbation only if it scores higher. The best is the result,
///        to be trained from scratch (`nasc train --arch RUN/arch.yaml`).
/// ```
public final class SMASH: SharedWeightMethod {
  /// The registry name.
  public static let name = "smash"
  let net: SharedWeightSupernet
  let hyper: HyperNetwork
  let weightsAdam: Adam
  let hyperAdam: Adam
  let lr: Double
  let minBudget: Double
  let rampFraction: Double
  let samples: Int
  let perturbations: Int
  let markovSteps: Int
  let perturbProb: Double
  /// The validation batches every ranked architecture is scored on.
  let evalBatches: [Batch]
  /// Per read choice id, the block's read k; per op choice id, each candidate's largest kernel.
  let readK: [String: Int]
  let kernels: [String: [String: Int]]
  let blockOfRead: [String: Int]
  /// Where this run departs from the paper's values.
  public let notes: [String]
  public var state: State

  public struct State: SharedWeightState {
    public var net: SharedWeightSupernet.State
    /// The ranked architectures with their scores, in order.
    public var history: [ScoredArchitecture] = []
  }

  /// Builds the network with its free weights and the hypernetwork.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    var settings = try SharedWeightSettings(h, epochs: try h.int("epochs"), schedule: .cosine, decayOnlyWeights: false)
    settings.weightLRMin = 0
    net = try SharedWeightSupernet(
      ir: c.ir, settings: settings, data: try c.requireData(Self.name), augmentation: c.augmentation,
      seed: c.run.seed, threads: c.run.threads)
    let layout = MemoryBankLayout(net.model)
    guard !layout.layers.isEmpty else {
      throw RunError(
        "E310", "smash searches memory-bank spaces, and \(c.ir.name) has no memory block",
        help: "see spaces/smash-digits.yaml; Grammar.md's *Memory banks* describes the block")
    }
    if let other = net.space.units.first(where: { if case .op = $0 { false } else { true } }) {
      throw RunError(
        "E310", "smash decides memory layers and op choices; \(other.key) is a cell node or a route",
        help: "search cells with enas or darts")
    }
    try net.space.checkSampleable()
    lr = try h.double("lr")
    minBudget = try h.double("min_budget")
    rampFraction = try h.double("ramp_fraction")
    samples = try h.int("samples")
    perturbations = try h.int("perturbations")
    markovSteps = try h.int("markov_steps")
    perturbProb = try h.double("perturb_prob")
    let depthList = try h.list("hyper_depths")
    guard depthList.allSatisfy({ $0 == $0.rounded() && $0 >= 0 && $0 <= 64 }) else {
      throw RunError(
        "E310", "hyper_depths must list whole numbers of layers (0 to 64) per stage, not \(depthList)",
        help: "SMASH's hypernetwork: [8, 10, 4]")
    }
    let depths = depthList.map { Int($0) }
    let growth = try h.int("hyper_growth")
    let batches = try h.int("eval_batches")
    guard lr > 0 else { throw RunError("E310", "lr must be positive, not \(lr)", help: "SMASH uses 1e-3") }
    guard (0...1).contains(minBudget) else {
      throw RunError("E310", "min_budget must lie in [0, 1], not \(minBudget)", help: "SMASH uses 0.3")
    }
    guard (0...1).contains(rampFraction) else {
      throw RunError("E310", "ramp_fraction must lie in [0, 1], not \(rampFraction)", help: "SMASH ramps over 0.5")
    }
    guard samples >= 1, perturbations >= 0, markovSteps >= 0 else {
      throw RunError(
        "E310", "samples must be at least 1 and perturbations, markov_steps 0 or more",
        help: "SMASH ranks 500 + 100 + 100")
    }
    guard (0...1).contains(perturbProb) else {
      throw RunError("E310", "perturb_prob must lie in [0, 1], not \(perturbProb)", help: "SMASH uses 0.05")
    }
    guard (1...256).contains(growth), (1...8).contains(depths.count) else {
      throw RunError(
        "E310", "hyper_growth must lie in 1...256 and hyper_depths list 1 to 8 stages, not \(growth) and \(depths)",
        help: "SMASH's hypernetwork: growth 10, depths [8, 10, 4]")
    }
    guard batches >= 1 else { throw RunError("E310", "eval_batches must be at least 1", help: "e.g. eval_batches=4") }
    var hyperRNG = RNG(seed: c.run.seed ^ 0x534D_4153)
    hyper = HyperNetwork(layout: layout, growth: growth, depths: depths, rng: &hyperRNG)
    weightsAdam = Adam(
      net.model.weights, learningRate: Float(lr), beta1: 0.5, beta2: 0.999, eps: 1e-4,
      weightDecay: Float(try h.double("w_weight_decay")))
    hyperAdam = Adam(hyper.parameters(), learningRate: Float(lr), beta1: 0.5, beta2: 0.999, eps: 1e-4)
    let val = net.valData
    let size = min(settings.batchSize, val.count)
    let available = max(1, val.count / size)
    evalBatches = (0..<min(batches, available)).map { val.batch($0 * size..<($0 + 1) * size) }
    var readK = [String: Int](), blockOfRead = [String: Int](), kernels = [String: [String: Int]]()
    for case .memory(let m) in net.model.items {
      for l in m.layers {
        if let id = l.layer.readChoice {
          readK[id] = m.block.readK
          blockOfRead[id] = m.index
        }
        if let id = l.layer.layer.choice {
          kernels[id] = Dictionary(
            uniqueKeysWithValues: l.layer.layer.candidates.map { ($0.name, Self.largestKernel($0.graph)) })
        }
      }
    }
    self.readK = readK
    self.blockOfRead = blockOfRead
    self.kernels = kernels
    var notes = [
      "scores use BN on each validation batch's statistics (the sampled networks share no running statistics)",
      "free weights: one largest-size k x k weight per layer, sliced per sample (SMASH shares one per block)",
    ]
    if batches > available {
      notes.append("eval_batches \(batches) is more than the \(available) validation batches: \(available) are used")
    }
    self.notes = notes
    state = State(net: net.state)
  }

  static func largestKernel(_ g: PrimGraph) -> Int {
    g.nodes.reduce(1) { k, n in if case .conv(let c) = n.op { max(k, c.kh, c.kw) } else { k } }
  }

  /// Training, then the ranking.
  public var phases: [Phase] {
    [
      Phase("search", units: net.settings.epochs, stepsPerUnit: net.stepsPerEpoch),
      Phase("rank", unit: "round", units: 1, stepsPerUnit: samples + perturbations + markovSteps),
    ]
  }
  /// The free weights and the hypernetwork.
  public var parameterSets: [ParameterSet] {
    [.module("weights", net.model, optimizer: weightsAdam), .module("hypernet", hyper, optimizer: hyperAdam)]
  }
  /// The network whose free weights it trains.
  public var supernet: SharedWeightSupernet { net }

  /// The ramps' progress in [0, 1].
  var ramp: Double {
    let t = Double(net.stepsDone) / Double(max(net.totalSteps, 1))
    return rampFraction == 0 ? 1 : min(1, t / rampFraction)
  }

  /// The rate of the next step: cosine from `lr` to 0 over every training step.
  var learningRate: Double {
    0.5 * lr * (1 + cos(Double.pi * Double(net.stepsDone) / Double(max(net.totalSteps, 1))))
  }

  /// The largest kernel a sample may use now: SMASH's cap 3 + ⌊(K − 3) · ramp⌋ (its kernels are
  /// the odd ones up to the cap + 1, so with K = 7 a 5 opens at ramp 0.25 and a 7 at 0.75), and
  /// every kernel once the ramp is done.
  var maxKernel: Int {
    let largest = kernels.values.flatMap(\.values).max() ?? 3
    guard ramp < 1, largest > 3 else { return largest }
    let cap = 3 + Int(Double(largest - 3) * ramp) + 1
    return kernels.values.flatMap(\.values).filter { $0 <= cap }.max() ?? 3
  }

  /// A training architecture: uniform per decision, within this step's read budgets and kernel cap.
  func sampleForTraining() -> Architecture {
    let maxBudget = 0.5 + 0.5 * ramp
    let budgets = (0..<hyper.layout.blocks).map { _ in
      minBudget + (max(maxBudget, minBudget) - minBudget) * net.rng.nextDouble()
    }
    let kernelCap = maxKernel
    var d = [String: Architecture.Value]()
    for case .op(let u) in net.space.units {
      var pool = u.candidates
      if let k = readK[u.key], let b = blockOfRead[u.key] {
        let cap = max(1, Int((budgets[b] * Double(k)).rounded()))
        pool = pool.filter { (ArchSpace.bankSubset($0)?.count ?? 0) <= cap }
      } else if let ks = kernels[u.key] {
        pool = pool.filter { (ks[$0] ?? 0) <= kernelCap }
      }
      if pool.isEmpty { pool = u.candidates }
      d[u.key] = .op(pool[net.rng.nextInt(below: pool.count)])
    }
    return Architecture(decisions: d)
  }

  /// `a` with each decision redrawn with probability `perturbProb` (`ArchSpace.resample`), and one
  /// changed (`ArchSpace.mutate`) when none came out different.
  func perturbed(_ a: Architecture) -> Architecture {
    let b = net.space.resample(a, probability: perturbProb, rng: &net.rng)
    return b == a ? net.space.mutate(a, rng: &net.rng) : b
  }

  /// The network of `a` with its generated weights.
  func plan(_ a: Architecture) -> ForwardPlan {
    var p = net.planner.plan(a)
    p.generatedWeights = hyper.weights(for: a)
    return p
  }

  /// Mean accuracy (%) of `a` with generated weights on the fixed validation batches.
  func score(_ a: Architecture) -> Double {
    withNoGrad {
      let p = plan(a)
      let rng = net.rng.split()
      return 100 * evalBatches.reduce(0) { $0 + net.batchAccuracy(p, on: $1, rng: rng) } / Double(evalBatches.count)
    }
  }

  /// A training step on a sampled architecture, or one ranked architecture.
  public func step(at p: LoopPosition) throws {
    if p.phase == 1 {
      let i = state.history.count
      let a: Architecture
      if i < samples {
        a = net.space.sample(rng: &net.rng)
      } else {
        let pool = i < samples + perturbations ? Array(state.history.prefix(samples)) : state.history
        a = perturbed(try ScoredArchitecture.best(pool).architecture)
      }
      state.history.append(ScoredArchitecture(architecture: a, score: Score(signal: score(a), reported: nil)))
      return
    }
    let a = sampleForTraining()
    let rate = Float(learningRate)
    weightsAdam.learningRate = rate
    hyperAdam.learningRate = rate
    net.model.zeroGrad()
    hyper.zeroGrad()
    try net.trainingLoss(plan(a), on: net.nextBatch(), epoch: p.unit, rateKey: "lr").backward()
    weightsAdam.step()
    hyperAdam.step()
    net.stepsDone += 1
  }

  /// The epoch's loss of generated networks (the hypernetwork's training loss) and the ramps;
  /// then the ranking's best.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    if p.phase == 1 {
      let best = state.history.map(\.score.signal).max() ?? .nan
      let random = state.history.prefix(samples).map(\.score.signal).max() ?? .nan
      return (
        ["round": .int(0), "best_signal": .number(best), "best_random": .number(random)],
        String(format: "best %.2f%% (random %.2f%%)", best, random)
      )
    }
    let kernel = maxKernel, budget = 0.5 + 0.5 * ramp
    var m = net.finishEpoch(epoch: p.unit, extra: ["max_kernel": .int(kernel), "max_budget": .number(budget)])
    m["lr"] = .number(learningRate)
    m["hypernet_loss"] = m["train_loss"]
    return (m, SharedWeightSupernet.summary(m) + String(format: "  max kernel %d, budget %.2f", kernel, budget))
  }

  /// `nasc rank` compares SMASH's own score (generated weights) with stand-alone training.
  public func rankScore(_ a: Architecture) throws -> Double? { score(a) }
  /// The hypernetwork's weights.
  public var rankScoreDescription: String { "weights generated by the hypernetwork" }

  /// Nothing to rebuild: the ranking's stages follow from the history's length.
  public func restored() throws {}

  /// The best ranked architecture.
  public func result() throws -> SearchResult {
    var r = try ScoredArchitecture.best(state.history)
    r.scored = scoredPoints()
    r.readOffWeights = false
    return r
  }
}
