import Foundation
import NASCData
import NASCSpace
import NASCTensor

/// ENAS on convolutional cells (Pham et al., ICML 2018; METHODS.md §11.1).
///
/// ```
/// for epoch = 1..E:
///   child:      for each minibatch of the train part: a ~ π_θ (no gradient); one SGD step
///               (Nesterov, cosine with warm restarts, drop path ramped to 1 − keep) on CE(child_a)
///   controller: controller_samples / aggregate updates, each:
///               for each of `aggregate` samples a ~ π_θ:
///                 R = acc(child_a on a validation minibatch) + w_ent · H(π_θ)
///                 b ← b − (1 − decay)(b − R)
///                 g += ∇θ [−log π_θ(a) · (R − b)] / aggregate
///               one Adam step on g
/// derive: sample derive_samples architectures from π_θ; keep the best on one validation minibatch
/// ```
public final class ENAS: SharedWeightMethod {
  /// The registry name.
  public static let name = "enas"
  let net: SharedWeightSupernet
  let controller: ArchitectureController
  let adam: Adam
  let loop: ControllerLoop
  let dropPath: Double
  /// The fixed minibatch that every derivation sample is scored on.
  let deriveBatch: Batch
  var validation: BatchSampler
  /// Where this run departs from the paper's values.
  public let notes: [String]
  public var state: State

  public struct State: SharedWeightState {
    public var net: SharedWeightSupernet.State
    /// The derivation's samples with their scores.
    public var history: [ScoredArchitecture] = []
    var validation: SamplerState
    var controller: ControllerLoop.State
  }

  /// Builds the child supernet and the controller.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    var settings = try SharedWeightSettings(h, epochs: try h.int("epochs"), schedule: .cosine, decayOnlyWeights: false)
    settings.restartEpochs = try h.int("lr_restart_epochs")
    settings.nesterov = true
    guard settings.restartEpochs >= 0 else {
      throw RunError("E310", "lr_restart_epochs must be 0 or more", help: "ENAS restarts after 10, 30, 70 epochs")
    }
    net = try SharedWeightSupernet(
      ir: c.ir, settings: settings, data: try c.requireData(Self.name), augmentation: c.augmentation,
      seed: c.run.seed, threads: c.run.threads)
    try net.space.checkSampleable()
    let keep = try h.double("drop_path_keep")
    guard keep > 0, keep <= 1 else {
      throw RunError("E310", "drop_path_keep must lie in (0, 1], not \(keep)", help: "ENAS keeps 0.6; 1 turns it off")
    }
    dropPath = 1 - keep
    let program = try ControllerProgram(net.space, method: Self.name)
    var initRNG = RNG(seed: c.run.seed ^ 0x454E_4153)
    controller = ArchitectureController(program, settings: try ControllerLoop.settings(h), rng: &initRNG)
    loop = try ControllerLoop(
      h, rewardName: "accuracy on a validation minibatch, BN on its batch statistics as ENAS scores a child")
    adam = loop.optimizer(controller)
    let batch = min(settings.batchSize, net.valData.count)
    validation = BatchSampler(dataset: net.valData, batchSize: batch, rng: RNG(seed: c.run.seed ^ 0x5641_4C49))
    deriveBatch = net.valData.batch(0..<batch)
    notes =
      ["drop path: one probability for every cell, ramped over the run (ENAS also scales it by the cell's depth)"]
      + loop.notes
    state = State(net: net.state, validation: validation.state, controller: ControllerLoop.State())
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
  /// The child supernet.
  public var supernet: SharedWeightSupernet { net }

  /// A child step on a sampled architecture, a controller update, or one derivation sample.
  public func step(at p: LoopPosition) throws {
    if p.phase == 1 {
      let a = withNoGrad { controller.sample(rng: &net.rng) }.architecture
      let accuracy = net.batchAccuracy(net.planner.plan(a), on: deriveBatch, rng: net.rng.split())
      state.history.append(ScoredArchitecture(architecture: a, score: Score(signal: 100 * accuracy, reported: nil)))
      return
    }
    if p.step < net.stepsPerEpoch {
      let a = withNoGrad { controller.sample(rng: &net.rng) }.architecture
      let progress = Double(net.stepsDone) / Double(max(net.totalSteps, 1))
      try net.step(
        [(net.planner.plan(a), net.nextBatch())], dropPath: Float(dropPath * min(1, progress)), epoch: p.unit)
      return
    }
    try loop.update(controller, adam, state: &state.controller, rng: &net.rng) { a, rng in
      self.net.batchAccuracy(self.net.planner.plan(a), on: self.validation.next(), rng: rng)
    }
  }

  /// The child epoch's loss and the controller's reward, entropy and baseline.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    if p.phase == 1 {
      let best = state.history.map(\.score.signal).max() ?? .nan
      return (["round": .int(0), "best_signal": .number(best)], String(format: "best sample %.2f%%", best))
    }
    let (extra, line) = loop.finishEpoch(&state.controller)
    let m = net.finishEpoch(epoch: p.unit, extra: extra)
    return (m, SharedWeightSupernet.summary(m) + "  " + line)
  }

  /// The running loss, then the best derivation sample so far.
  public var progressDetail: String { supernet.progress(state.history) }

  /// Keeps the validation sampler with the state.
  public func saveState() throws -> Data {
    state.net = net.state
    state.validation = validation.state
    return try MethodState.encode(state)
  }

  /// Checks the controller's sums and the sampled architectures, and restores the validation sampler.
  public func restored() throws {
    try state.controller.check()
    try supernet.space.checkRestored(state.history.map(\.architecture), in: "enas state")
    validation.restore(state.validation)
  }

  /// The best derivation sample.
  public func result() throws -> SearchResult {
    var r = try ScoredArchitecture.best(state.history)
    r.scored = scoredPoints()
    r.readOffWeights = false
    return r
  }
}
