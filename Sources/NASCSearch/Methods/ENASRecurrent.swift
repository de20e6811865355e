import Foundation
import NASCSpace
import NASCTensor

/// ENAS on a recurrent cell (Pham et al., ICML 2018, §2.1; METHODS.md §11.2): `--method enas` on a
/// token space.
///
/// ```
/// for epoch = 1..E:
///   child:      for each window of the training streams (bptt steps, state carried):
///               a ~ π_θ (no gradient); one SGD step on CE(LM_a(window)), gradient clipped
///   controller: controller_samples / aggregate updates, each over `aggregate` samples a ~ π_θ:
///               R = reward_constant / ppl(LM_a, next validation window) + w_ent · H(π_θ)
///               b ← b − (1 − decay)(b − R);  g += ∇θ [−log π_θ(a) · (R − b)] / aggregate
///               one Adam step on g
///   (the controller: input logits get −(ℓ − j)²/6, the chosen anchor is fed as h_j / (0.1 + ℓ − j))
/// derive: sample derive_samples architectures; keep the lowest perplexity on one validation window
/// ```
public final class ENASRecurrent: SearchMethod {
  /// The registry name: `enas`, for token spaces.
  public static let name = "enas"
  /// It searches token-sequence spaces.
  public static var readsTokens: Bool { true }
  let net: SharedWeightLanguageModel
  let controller: ArchitectureController
  let adam: Adam
  let loop: ControllerLoop
  let rewardConstant: Double
  /// Where this run departs from the paper's values.
  public let notes: [String]
  var state: State

  struct State: Codable {
    var net: SharedWeightLanguageModel.State
    var controller: ControllerLoop.State
    /// The derivation's samples, scored by reward_constant / perplexity.
    var history: [ScoredArchitecture] = []
  }

  /// Builds the recurrent child and the controller.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    let corpus = try c.requireCorpus(Self.name)
    var settings = try SharedWeightSettings(h, epochs: try h.int("epochs"), schedule: .cosine, decayOnlyWeights: false)
    settings.restartEpochs = max(0, try h.int("lr_restart_epochs"))
    let d = try h.list("rnn_dropouts", count: 5)
    let dropout = LanguageModelDropout(output: d[0], hidden: d[1], x: d[2], input: d[3], embedding: d[4])
    rewardConstant = try h.double("reward_constant")
    if let p = dropout.problem
      ?? (rewardConstant > 0 && rewardConstant.isFinite ? nil : "reward_constant must be positive")
    {
      throw RunError(
        "E310", "rnn_dropouts or reward_constant is impossible: \(p)",
        help: "e.g. rnn_dropouts=[0.4, 0.1, 0.1, 0.65, 0.1] and reward_constant=80")
    }
    let maxNorm = try h.double("max_hidden_norm")
    guard maxNorm >= 0, maxNorm.isFinite else {
      throw RunError("E310", "max_hidden_norm must be 0 (off) or positive, not \(maxNorm)", help: "carpedm20 uses 25")
    }
    net = try SharedWeightLanguageModel(
      ir: c.ir, settings: settings, corpus: corpus, dropout: dropout, maxHiddenNorm: maxNorm > 0 ? maxNorm : nil,
      seed: c.run.seed, threads: c.run.threads)
    try net.space.checkSampleable()
    var initRNG = RNG(seed: c.run.seed ^ 0x454E_4153)
    controller = ArchitectureController(
      try ControllerProgram(net.space, method: Self.name),
      settings: try ControllerLoop.settings(h, distancePrior: true),
      rng: &initRNG)
    loop = try ControllerLoop(h, rewardName: "\(rewardConstant) / perplexity of the next validation window")
    adam = loop.optimizer(controller)
    notes =
      ["train_portion and drop_path_keep are not used: rewards come from the corpus's validation split"] + loop.notes
    state = State(net: net.state, controller: ControllerLoop.State())
  }

  /// Child epochs, each followed by its controller updates; then the derivation's samples.
  public var phases: [Phase] {
    [
      Phase("search", units: net.settings.epochs, stepsPerUnit: net.stepsPerEpoch + loop.updatesPerEpoch),
      Phase("derive", unit: "round", units: 1, stepsPerUnit: loop.deriveSamples),
    ]
  }
  /// The child's shared weights and the controller.
  public var parameterSets: [ParameterSet] { net.parameterSets + [.module("controller", controller, optimizer: adam)] }
  /// The running training perplexity, then the best derivation sample.
  public var progressDetail: String {
    guard let best = state.history.map(\.score.signal).max() else {
      return String(format: "ppl %.1f", Foundation.exp(net.runningTrainLoss))
    }
    return String(format: "scored %d, best ppl %.1f", state.history.count, rewardConstant / best)
  }

  /// A child step on a sampled architecture, a controller update, or one derivation sample.
  public func step(at p: LoopPosition) throws {
    if p.phase == 1 {
      let a = withNoGrad { controller.sample(rng: &net.rng) }.architecture
      let ppl = Foundation.exp(net.derivationLoss(a))
      state.history.append(
        ScoredArchitecture(architecture: a, score: Score(signal: rewardConstant / ppl, reported: nil)))
      return
    }
    if p.step < net.stepsPerEpoch {
      let a = withNoGrad { controller.sample(rng: &net.rng) }.architecture
      try net.step(a, window: p.step, epoch: p.unit)
      return
    }
    try loop.update(controller, adam, state: &state.controller, rng: &net.rng) { a, _ in
      self.rewardConstant / Foundation.exp(self.net.rewardLoss(a))
    }
  }

  /// The epoch's training perplexity and the controller's reward, entropy and baseline.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    if p.phase == 1 {
      let best = state.history.map(\.score.signal).max() ?? .nan
      return (
        ["round": .int(0), "best_signal": .number(best), "best_val_ppl": .number(rewardConstant / best)],
        String(format: "best sample: validation-window ppl %.1f", rewardConstant / best)
      )
    }
    let (extra, line) = loop.finishEpoch(&state.controller)
    let m = net.finishEpoch(epoch: p.unit, extra: extra)
    return (
      m, String(format: "train ppl %.1f  lr %.3g  ", m["train_ppl"]?.number ?? .nan, m["lr"]?.number ?? .nan) + line
    )
  }

  /// The carried states, the controller's sums and the derivation's scores.
  public func saveState() throws -> Data {
    state.net = net.state
    return try MethodState.encode(state)
  }

  /// Restores them (`E303` for a state that does not fit this run).
  public func restoreState(_ data: Data) throws {
    let s = try MethodState.decode(State.self, from: data, method: Self.name)
    try net.check(s.net)
    try s.controller.check()
    try net.space.checkRestored(s.history.map(\.architecture), in: "enas state")
    state = s
    net.state = s.net
  }

  /// The derivation sample with the lowest validation-window perplexity.
  public func result() throws -> SearchResult {
    var r = try ScoredArchitecture.best(state.history)
    r.readOffWeights = false
    return r
  }
}
