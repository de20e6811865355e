import Foundation
import NASCData
import NASCSpace
import NASCTensor

/// FBNet (Wu et al., CVPR 2019; METHODS.md §7).
///
/// ```
/// per layer l and forward pass: m_l = softmax((θ_l + g_l) / τ),  g ~ Gumbel(0, 1)
///   x_{l+1} = Σ_i m_{l,i} · b_{l,i}(x_l)                     (every candidate runs)
/// LAT = fixed parts + Σ_l Σ_i m_{l,i} · LAT(b_{l,i})           (the table, in ms or µs; kMACs without one)
/// L = CE · a · (log LAT)^b
/// τ = tau · tau_decay^epoch                                   (epochs counted from the warm-up's start)
/// warm-up (warmup_epochs): w only, on every batch of the weight split
/// per search epoch:
///   1. update w on every batch of the weight split (train_portion)      (SGD, cosine)
///   2. update θ on every batch of the θ split (the rest) by ∇_θ L       (Adam)
/// derive: argmax_i θ_{l,i} per layer; with latency_target T, the most probable architecture under
///   softmax(θ) whose LAT is at most T (a multiple-choice knapsack over the layers);
///   with derive_samples K: K architectures drawn from softmax(θ), each within T scored with the
///   supernet's weights (BN recalibrated) on the θ split, the best kept
/// ```
public final class FBNet: SupernetMethod {
  /// The registry name.
  public static let name = "fbnet"
  let ir: SpaceIR
  let net: BilevelSupernet
  let mixture: SoftGumbelMixture
  /// Where this run departs from the paper's values.
  public let notes: [String]
  let warmupEpochs: Int
  /// a and b of CE · a · (log LAT)^b.
  let a: Double, b: Double
  /// The latency target of the derivation (0: none), in the costs' unit.
  let target: Double
  /// Each candidate's latency (ms or µs, `latency_unit`; kMACs without a table) and the fixed parts'.
  let costs: LayerCosts
  let tau: @Sendable (Int) -> Float
  /// Architectures sampled for the derivation (0: argmax), and the BN recalibration before each.
  let samples: Int, bnBatches: Int, bnBatchSize: Int
  let seed: UInt64

  /// Builds the supernet with soft Gumbel mixtures, and the per-candidate costs of the loss.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    ir = c.ir
    let settings = try BilevelSettings(h, nesterov: false)
    warmupEpochs = try h.int("warmup_epochs")
    a = try h.double("latency_alpha")
    b = try h.double("latency_beta")
    target = try h.double("latency_target")
    let (tau0, decay) = (try h.double("tau"), try h.double("tau_decay"))
    let lrs = [try h.double("w_lr"), try h.double("arch_lr")]
    guard warmupEpochs >= 0, tau0.isFinite, tau0 >= 1e-3, decay.isFinite, decay > 0, a.isFinite, a > 0, b.isFinite,
      b >= 0, target.isFinite, target >= 0, lrs.allSatisfy({ $0.isFinite && $0 > 0 })
    else {
      throw RunError(
        "E310",
        "FBNet needs warmup_epochs ≥ 0, tau ≥ 0.001, tau_decay > 0, latency_alpha > 0, latency_beta ≥ 0, latency_target ≥ 0 and positive w_lr and arch_lr, all finite",
        help: "the paper: tau=5 tau_decay=0.956 latency_alpha=0.2 latency_beta=0.6")
    }
    let tau = SoftGumbelMixture.exponentialSchedule(initial: Float(tau0), decay: Float(decay))
    self.tau = tau
    let data = try c.requireData(Self.name)
    samples = try h.int("derive_samples")
    (bnBatches, bnBatchSize) = (try h.int("bn_recalibration_batches"), try h.int("bn_batch_size"))
    seed = c.run.seed
    guard (0...100_000).contains(samples) else {
      throw RunError(
        "E310", "derive_samples must lie between 0 and 100000, not \(samples)", help: "0 derives by argmax")
    }
    let read = try LayerCosts(
      ir: c.ir, tablePath: try h.string("latency_table"), anyConditions: try h.string("latency_conditions") == "any",
      macUnit: ("kMACs", 1e3), method: Self.name)
    let micro = try h.string("latency_unit") == "us"
    costs = read.measured && micro ? read.scaled(by: 1000, unit: "us") : read
    guard costs.cheapest > 1 else {
      throw RunError(
        "E310",
        String(
          format: "FBNet's loss takes log LAT, which must stay above 1; this space's cheapest path costs %.4g %@",
          costs.cheapest, costs.unit),
        help: costs.measured && costs.unit == "ms"
          ? "take LAT in microseconds (--set latency_unit=us), or measure the table at a larger batch"
          : "use a latency table measured at a larger batch")
    }
    if target > 0 && target < costs.cheapest {
      throw RunError(
        "E316",
        String(
          format:
            "latency_target %.4g %@ is below this space's cheapest architecture (%.4g %@): no architecture can meet it",
          target, costs.unit, costs.cheapest, costs.unit),
        help: String(format: "set latency_target to at least %.4g, or 0 for none", costs.cheapest))
    }
    let mixture = SoftGumbelMixture(layout: ChoiceLayout(c.ir), temperature: tau)
    self.mixture = mixture
    net = try BilevelSupernet(
      ir: c.ir, settings: settings, data: data, augmentation: c.augmentation, seed: c.run.seed,
      threads: c.run.threads, edgeNormalization: false, recompute: .layerwise
    ) { _ in mixture }
    if samples > 0 {
      try SupernetEvaluator.checkCalibration(batches: bnBatches, batchSize: bnBatchSize, images: net.trainData.count)
    }
    var notes = BilevelSupernet.notes(settings, data: data)
    if !costs.measured {
      notes.append(
        "no latency_table: LAT is the expected MACs in thousands (kMACs) in place of milliseconds; measure one with nasc latency"
      )
    }
    notes.append(
      samples == 0
        ? "the weight learning rate follows a cosine per search epoch and is constant during warm-up; derivation by argmax, or with latency_target the most probable architecture within it (the paper samples architectures from P_θ and trains each: --set derive_samples=K)"
        : "the weight learning rate follows a cosine per search epoch and is constant during warm-up; derivation: \(samples) architectures sampled from P_θ and scored with the supernet's weights (the paper trains each from scratch)"
    )
    self.notes = notes
  }

  /// Warm-up (when any), then search epochs of weight steps followed by θ steps.
  public var phases: [Phase] {
    (warmupEpochs > 0 ? [Phase("warmup", units: warmupEpochs, stepsPerUnit: net.stepsPerEpoch)] : [])
      + [Phase("search", units: net.settings.epochs, stepsPerUnit: net.stepsPerEpoch + net.archStepsPerEpoch)]
  }
  /// Weights and θ.
  public var parameterSets: [ParameterSet] { net.parameterSets }

  /// Whether phase `phase` is the warm-up.
  func warm(_ phase: Int) -> Bool { warmupEpochs > 0 && phase == 0 }

  /// The epoch counted from the start of the warm-up (the temperature's clock).
  func epoch(_ p: LoopPosition) -> Int { warm(p.phase) ? p.unit : warmupEpochs + p.unit }

  /// Step 1 on the weight split's batches, then step 2 on the θ split's.
  public func step(at p: LoopPosition) throws {
    let e = epoch(p)
    net.setLearningRate(epoch: warm(p.phase) ? 0 : p.unit)
    if p.step < net.stepsPerEpoch {
      try net.weightStep(net.nextTrainBatch(), epoch: e)
    } else {
      let val = net.nextValBatch()
      try net.archStep(val, train: val, epoch: e, secondOrder: false) { [unowned self] ce in self.objective(ce) }
    }
  }

  /// CE · a · (log LAT)^b with LAT under the last pass's soft samples.
  func objective(_ ce: Tensor) -> Tensor {
    let present = costs.layers.filter { mixture.lastWeights[$0.id] != nil }
    return Self.latencyLoss(
      ce: ce, weights: present.map { mixture.lastWeights[$0.id]! }, costs: present.map(\.costs), fixed: costs.fixed,
      a: a, b: b)
  }

  /// CE · a · (log LAT)^b, LAT = `fixed` + Σ_l Σ_i weights_{l,i} · costs_{l,i}, with gradient into
  /// the weights (and CE).
  public static func latencyLoss(
    ce: Tensor, weights: [Tensor], costs: [[Double]], fixed: Double, a: Double, b: Double
  ) -> Tensor {
    let terms = zip(weights, costs).map { m, c in (m * Tensor(c.map(Float.init))).sum() }
    let lat = (terms.isEmpty ? Tensor([0]) : sum(terms)).adding(Float(fixed))
    // (log LAT)^b as exp(b · log log LAT).
    return ce.scaled(by: (lat.log().log() * Float(b)).exp()) * Float(a)
  }

  /// Losses, accuracies, τ, θ statistics and the expected latency of the epoch.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    let e = epoch(p)
    let expected = costs.expected(net.arch)  // Σ_l Σ_i softmax(θ_l)_i · LAT_{l,i} + the fixed parts
    guard expected.isFinite else {
      throw RunError(
        "E401", "θ became NaN or infinite in epoch \(p.unit + 1)",
        help: "lower the learning rates (--set w_lr=... or --set arch_lr=...); the last checkpoint is kept")
    }
    var extra: Metrics = ["warmup": .bool(warm(p.phase)), "tau": .number(Double(tau(e)))]
    extra["expected_\(costs.measured ? "latency_\(costs.unit)" : "kmacs")"] = .number(expected)
    let m = try net.finishEpoch(epoch: e, archSteps: !warm(p.phase), extra: extra)
    return (
      m,
      BilevelSupernet.summary(m) + String(format: "  E[LAT] %.4g %@", expected, costs.unit)
    )
  }

  /// argmax θ per layer, or the most probable architecture within `latency_target`; with
  /// `derive_samples`, the best of that many sampled from P_θ.
  public func result() throws -> SearchResult {
    let logp = costs.layers.map { l in
      (net.arch[l.id]?.value.detached().logSoftmax().scalars ?? []).map(Double.init)
    }
    if samples > 0 {
      var r = try sampledResult(logp)
      r.readOffWeights = false
      return r
    }
    var choices = logp.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
    var moved = false
    if target > 0, costs.cost(of: choices) > target {
      moved = true
      guard let within = costs.mostProbable(logp, within: target) else {
        throw RunError(
          "E316", String(format: "no architecture meets latency_target %.4g %@", target, costs.unit),
          help: String(format: "the cheapest costs %.4g %@", costs.cheapest, costs.unit))
      }
      choices = within
    }
    var r = SearchResult(architecture: architecture(choices))
    var argmax = ir.derive
    (argmax.kind, argmax.exclude) = (.argmax, [])
    r.derivationRule = argmax
    r.readOffWeights = !moved
    return r
  }

  /// The architecture that takes candidate `choices[l]` in layer `l`.
  func architecture(_ choices: [Int]) -> Architecture {
    var d = [String: Architecture.Value]()
    for (l, c) in zip(costs.layers, choices) {
      if let names = ir.choicePoint(l.id)?.candidates { d[l.id] = .op(names[c]) }
    }
    return Architecture(decisions: d)
  }

  /// §7.3: `derive_samples` architectures drawn from softmax(θ); those within `latency_target`
  /// are scored with the supernet's weights on the θ split, and the best is derived. Every draw is
  /// listed in `samples.jsonl`.
  func sampledResult(_ logp: [[Double]]) throws -> SearchResult {
    let evaluator = SupernetEvaluator(
      ir: ir, model: net.model, calibration: net.trainData, validation: net.valData, calibrationBatches: bnBatches,
      batchSize: bnBatchSize, seed: seed)
    let drawn = try SampledDerivation.draw(
      logp, count: samples, seed: seed ^ 0x7361_6d70_6c65, budget: target > 0 ? target : nil,
      cost: { costs.cost(of: $0) }, score: { try evaluator.score(architecture($0)).signal })
    guard let best = SampledDerivation.best(drawn) else {
      throw RunError(
        "E316",
        String(
          format: "none of the %d architectures sampled from P_θ meets latency_target %.4g %@", samples, target,
          costs.unit),
        help:
          "sample more (--set derive_samples=N), or derive without sampling (derive_samples=0) to get the most probable architecture within the target"
      )
    }
    var r = SearchResult(architecture: architecture(best.choices), signal: best.score)
    r.files["samples.jsonl"] = drawn.map { s in
      var fields: [(String, JSONValue)] = [
        ("arch", .string(evaluator.space.text(architecture(s.choices)))), ("log_p", .double(s.logProbability)),
        ("latency_\(costs.unit)", .double(s.cost)),
      ]
      fields.append(("supernet_val_acc", s.score.map(JSONValue.double) ?? .null))
      return JSONValue.object(fields).serialized(indent: 0) + "\n"
    }.joined()
    return r
  }

  /// The supernet (for benchmarks and tests).
  public var supernet: BilevelSupernet { net }
}
