import Foundation
import NASCSpace
import NASCTensor

/// The controller's side of ENAS, shared by its convolutional and recurrent searches: the
/// controller's settings read from the hyperparameters, REINFORCE with a moving-average baseline
/// over aggregated samples, and the per-epoch sums behind the metrics.
///
/// ```
/// R = reward(a) + entropy_weight · H(π_θ)          (H is a number: no gradient through it)
/// b ← b − (1 − baseline_decay) · (b − R)
/// loss = −log π_θ(a) · (R − b), averaged over `aggregate` samples, then one Adam step
/// ```
public struct ControllerLoop: Sendable {
  /// The loop's non-tensor state (checkpointed with the method's).
  public struct State: Codable, Equatable, Sendable {
    /// The moving-average baseline (ENAS starts it at 0).
    public var baseline = 0.0
    /// This epoch's sums over controller samples: reward (without the entropy bonus), entropy, count.
    var rewardSum = 0.0, entropySum = 0.0, samples = 0
    /// Controller updates taken over the run.
    public var updates = 0

    /// Creates the state of a fresh run.
    public init() {}

    /// `E303` when the restored sums cannot have been written by a run.
    func check() throws {
      guard baseline.isFinite, rewardSum.isFinite, entropySum.isFinite, samples >= 0, updates >= 0 else {
        throw RunError(
          "E303", "the checkpoint's controller state holds impossible sums",
          help: "the file was edited; start a new run")
      }
    }
  }

  /// Samples averaged into one update.
  public let aggregate: Int
  /// Controller updates after each child epoch.
  public let updatesPerEpoch: Int
  /// The entropy bonus.
  public let entropyWeight: Double
  /// The baseline's decay.
  public let baselineDecay: Double
  /// Adam's learning rate.
  public let learningRate: Double
  /// Architectures sampled for the derivation.
  public let deriveSamples: Int
  /// Where the run departs from the paper's values.
  public let notes: [String]

  /// Reads `controller_samples`, `controller_aggregate`, `entropy_weight`, `baseline_decay`,
  /// `controller_lr` and `derive_samples`; `E310` for values no run can use.
  public init(_ h: Hyperparameters, rewardName: String) throws {
    let samples = try h.int("controller_samples")
    aggregate = try h.int("controller_aggregate")
    entropyWeight = try h.double("entropy_weight")
    baselineDecay = try h.double("baseline_decay")
    learningRate = try h.double("controller_lr")
    deriveSamples = try h.int("derive_samples")
    guard aggregate >= 1, samples >= aggregate, deriveSamples >= 1 else {
      throw RunError(
        "E310",
        "controller_samples ≥ controller_aggregate ≥ 1 and derive_samples ≥ 1 (got \(samples), \(aggregate), \(deriveSamples))",
        help: "ENAS takes 300 samples per epoch in updates of 10 and derives from 100 samples")
    }
    guard entropyWeight.isFinite, entropyWeight >= 0, (0..<1).contains(baselineDecay), learningRate.isFinite,
      learningRate > 0
    else {
      throw RunError(
        "E310",
        "entropy_weight ≥ 0, 0 ≤ baseline_decay < 1 and controller_lr > 0 (got \(entropyWeight), \(baselineDecay), \(learningRate))",
        help: "ENAS uses entropy_weight 1e-4, baseline_decay 0.99, controller_lr 0.0035")
    }
    updatesPerEpoch = samples / aggregate
    var notes = ["the controller's reward is the \(rewardName)"]
    if samples % aggregate != 0 {
      notes.append(
        "controller_samples \(samples) is not a multiple of controller_aggregate \(aggregate): \(updatesPerEpoch * aggregate) samples per epoch"
      )
    }
    self.notes = notes
  }

  /// The controller's logit shaping from `controller_hidden`, `temperature`, `tanh_constant`,
  /// `op_tanh_reduce`, `op_bias` and `first_cell_bias`; the recurrent search adds the distance prior.
  public static func settings(_ h: Hyperparameters, distancePrior: Bool = false) throws -> ControllerSettings {
    let hidden = try h.int("controller_hidden")
    let temperature = try h.double("temperature")
    let s = ControllerSettings(
      hidden: hidden, temperature: temperature > 0 ? temperature : nil, tanhConstant: try h.double("tanh_constant"),
      opTanhReduce: try h.double("op_tanh_reduce"), opBias: try h.double("op_bias"),
      firstCellBias: try h.double("first_cell_bias"), distancePrior: distancePrior)
    guard (1...4096).contains(hidden), temperature >= 0, s.tanhConstant >= 0, s.opTanhReduce > 0,
      s.opBias.isFinite, s.firstCellBias.isFinite
    else {
      throw RunError(
        "E310", "controller_hidden in 1...4096, temperature ≥ 0, tanh_constant ≥ 0, op_tanh_reduce > 0",
        help: "ENAS' micro search uses 64, no temperature, 1.10 and 2.5")
    }
    return s
  }

  /// The controller's Adam (ENAS: β1 = 0, ε = 10⁻³).
  public func optimizer(_ controller: ArchitectureController) -> Adam {
    Adam(controller.parameters(), learningRate: Float(learningRate), beta1: 0, beta2: 0.999, eps: 1e-3)
  }

  /// One controller update: `aggregate` samples, each rewarded by `reward` (given the architecture
  /// and a generator of its own), their REINFORCE gradients averaged, one Adam step.
  public func update(
    _ controller: ArchitectureController, _ adam: Adam, state: inout State, rng: inout RNG,
    reward: (Architecture, RNG) throws -> Double
  ) throws {
    controller.zeroGrad()
    for _ in 0..<aggregate {
      let s = controller.sample(rng: &rng)
      let r = try reward(s.architecture, rng.split())
      guard r.isFinite else {
        throw RunError(
          "E401", "a controller reward became \(r.isNaN ? "NaN" : "infinite")",
          help: "lower the child's learning rate (--set w_lr=...); the last checkpoint is kept")
      }
      let total = r + entropyWeight * s.entropy
      state.baseline -= (1 - baselineDecay) * (state.baseline - total)
      (s.logProbability * Float(-(total - state.baseline) / Double(aggregate))).backward()
      state.rewardSum += r
      state.entropySum += s.entropy
      state.samples += 1
    }
    adam.step()
    state.updates += 1
  }

  /// The epoch's controller metrics (mean reward and entropy of its samples, the baseline, the
  /// updates so far) and their summary; clears the sums.
  public func finishEpoch(_ state: inout State) -> (metrics: Metrics, summary: String) {
    let n = Double(max(state.samples, 1))
    let reward = state.rewardSum / n, entropy = state.entropySum / n
    let m: Metrics = [
      "controller_reward": .number(reward), "controller_entropy": .number(entropy),
      "controller_baseline": .number(state.baseline), "controller_updates": .int(state.updates),
    ]
    state.rewardSum = 0
    state.entropySum = 0
    state.samples = 0
    return (m, String(format: "reward %.4f  entropy %.3f  baseline %.4f", reward, entropy, state.baseline))
  }
}
