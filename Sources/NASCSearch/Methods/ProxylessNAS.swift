import Foundation
import NASCData
import NASCSpace
import NASCTensor

/// ProxylessNAS, gradient form (Cai, Zhu & Han, ICLR 2019; METHODS.md §6).
///
/// ```
/// warm-up (warmup_epochs): update w on one uniformly sampled path per step
///   (lr = warmup_lr · (1 + cos(π t / T)) / 2 over the warm-up's T iterations)
/// joint training (epochs), per step (lr: cosine from w_lr per iteration; CE with label_smoothing):
///   1. update w on one path drawn from p = softmax(α) per layer         (SGD, nesterov)
///   2. every arch_update_every steps (not in the first joint epoch), on a validation batch:
///      per layer draw a pair ~ p, q = softmax(α_pair), active ~ q, gates g = one_hot(active)
///      (mode two; full: every op, q = p); y = Σ g_j o_j(x), ∂L/∂α_i = Σ_j ∂L/∂g_j q_j (δ_ij − q_i)
///      L = a · CE · (log E[LAT] / log ref)^b   (mul#log)   or   CE + λ (E[LAT] − ref) / ref   (add#linear)
///      E[LAT] = fixed parts + Σ_layers Σ_j q_j LAT(op_j), LAT(zero) = 0   (the latency table)
///      Adam step on α; then shift the pair: α_k −= log(Σ_pair e^α_new / Σ_pair e^α_old)
/// REINFORCE form (gradient=reinforce, §6.5), in place of step 2:
///      draw rl_samples architectures from p, score each on the validation batch:
///      R = acc · (ref / LAT)^0.1 (acc alone with latency_loss=none)
///      b = mean R at the first update, then b ← b + 0.99 (mean R − b)
///      ∇_α = (1/N) Σ_n (R_n − b) ∇_α Σ_layers log p(choice_n);  Adam step (ascent)
/// derive: argmax_j softmax(α) per layer (zero drops the layer)
/// ```
public final class ProxylessNAS: SupernetMethod {
  /// The registry name.
  public static let name = "proxylessnas"
  let ir: SpaceIR
  let net: BilevelSupernet
  let gates: BinaryGates
  /// Where this run departs from the paper's values.
  public let notes: [String]
  let warmupEpochs: Int
  let warmupLR: Double
  let archEvery: Int
  let lossForm: String
  /// a and b of mul#log (a is λ in add#linear), and the reference.
  let a: Double, b: Double, ref: Double
  /// Each candidate's latency (ms; MMACs without a table) and the fixed parts'.
  let costs: LayerCosts
  /// Whether the architecture step is REINFORCE instead of the gate gradient.
  let reinforce: Bool
  /// Architectures per REINFORCE update.
  let rlSamples: Int
  /// REINFORCE's moving baseline (nil before the first update); part of the checkpoint.
  var baseline: Double? = nil

  /// Builds the supernet with binary gates, and the per-candidate costs of the latency loss.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    ir = c.ir
    let settings = try BilevelSettings(h, nesterov: true)
    warmupEpochs = try h.int("warmup_epochs")
    archEvery = try h.int("arch_update_every")
    lossForm = try h.string("latency_loss")
    a = try h.double("latency_alpha")
    b = try h.double("latency_beta")
    ref = try h.double("latency_ref")
    warmupLR = try h.double("warmup_lr")
    let smoothing = try h.double("label_smoothing")
    guard warmupEpochs >= 0, archEvery >= 1, ref > 0, warmupLR.isFinite, warmupLR > 0, (0..<1).contains(smoothing)
    else {
      throw RunError(
        "E310",
        "warmup_epochs must be ≥ 0, arch_update_every ≥ 1, latency_ref > 0, warmup_lr > 0 and label_smoothing in [0, 1)",
        help: "the paper: warmup_epochs=40 arch_update_every=5 latency_ref=80 warmup_lr=0.05 label_smoothing=0.1")
    }
    let mode = try h.string("mode")
    reinforce = try h.string("gradient") == "reinforce"
    rlSamples = try h.int("rl_samples")
    guard rlSamples >= 1 else {
      throw RunError("E310", "rl_samples must be at least 1, not \(rlSamples)", help: "the paper samples 10")
    }
    let data = try c.requireData(Self.name)
    let gates = BinaryGates(layout: ChoiceLayout(c.ir), twoPath: mode == "two")
    self.gates = gates
    net = try BilevelSupernet(
      ir: c.ir, settings: settings, data: data, augmentation: c.augmentation, seed: c.run.seed,
      threads: c.run.threads, edgeNormalization: false, recompute: .layerwise
    ) { _ in gates }
    net.labelSmoothing = Float(smoothing)
    let costs = try LayerCosts(
      ir: c.ir, tablePath: try h.string("latency_table"), anyConditions: try h.string("latency_conditions") == "any",
      macUnit: ("MMACs", 1e6), method: Self.name)
    self.costs = costs
    var notes = BilevelSupernet.notes(settings, data: data)
    if !costs.measured && lossForm != "none" {
      notes.append(
        "no latency_table: the latency loss uses expected MMACs in place of milliseconds (latency_ref \(ref) MMACs); measure one with nasc latency"
      )
    }
    let cheapest = costs.cheapest
    if lossForm == "mul#log" && cheapest <= 1 {
      throw RunError(
        "E310",
        String(
          format:
            "mul#log takes the log of the expected %@, which must stay above 1; this space's cheapest path costs %.4g",
          costs.measured ? "latency in ms" : "MMACs", cheapest),
        help: "use latency_loss=add#linear, or a latency table measured at a larger batch")
    }
    if lossForm != "none" && ref < cheapest {
      throw RunError(
        "E316",
        String(
          format:
            "latency_ref %.4g %@ is below this space's cheapest architecture (%.4g %@): no architecture can meet it",
          ref, costs.unit, cheapest, costs.unit),
        help: String(format: "set latency_ref to at least %.4g", cheapest))
    }
    if lossForm == "mul#log" && ref <= 1 {
      throw RunError(
        "E310", "mul#log divides by log(latency_ref), which needs latency_ref > 1 (got \(ref))",
        help: "use latency_loss=add#linear for references at or below 1")
    }
    if mode == "full_v2" {
      notes.append("mode full_v2 computes the same gradient as full here (all ops kept in the graph)")
    }
    self.notes = notes
  }

  /// Warm-up (when any), then joint training.
  public var phases: [Phase] {
    let steps = net.stepsPerEpoch
    return (warmupEpochs > 0 ? [Phase("warmup", units: warmupEpochs, stepsPerUnit: steps)] : [])
      + [Phase("search", units: net.settings.epochs, stepsPerUnit: steps)]
  }
  /// Weights and α.
  public var parameterSets: [ParameterSet] { net.parameterSets }

  /// A weight step on a path (uniform in the warm-up, from p after it), and every
  /// `arch_update_every` steps an architecture step with the latency loss.
  public func step(at p: LoopPosition) throws {
    let warm = warmupEpochs > 0 && p.phase == 0
    let epoch = warm ? 0 : p.unit
    let iterations = Double(net.stepsPerEpoch)
    if warm {
      let t = (Double(p.unit) + Double(p.step) / iterations) / Double(warmupEpochs)
      net.setLearningRate(Float(warmupLR * (1 + Foundation.cos(Double.pi * t)) / 2))
    } else {
      net.setLearningRate(epochs: Double(p.unit) + Double(p.step) / iterations)
    }
    let (train, val) = net.nextBatches()
    gates.pass = warm ? .uniform : .sampled
    // A weight step runs one path, which keeps what one network keeps: recomputing its layers in
    // backward would cost a forward pass and save little.
    do {
      let recompute = net.recomputeEdges
      net.recomputeEdges = false
      defer { net.recomputeEdges = recompute }
      try net.weightStep(train, epoch: epoch)
    }
    guard !warm, p.unit > 0 || net.settings.epochs == 1, (p.step + 1) % archEvery == 0 else { return }
    if reinforce {
      try reinforceStep(val, epoch: epoch)
      return
    }
    gates.pass = .gates
    let before = net.arch.tensors().mapValues(\.scalars)
    try net.archStep(val, train: train, epoch: epoch, secondOrder: false) { [unowned self] ce in self.objective(ce) }
    // Shift each gated pair so that its total probability mass is what it was.
    for (id, g) in gates.lastGates where gates.twoPath {
      guard let alpha = net.arch[id], let old = before[id] else { continue }
      alpha.value = Tensor(BinaryGates.rescale(alpha.value.scalars, old: old, pair: g.candidates))
    }
    gates.pass = .sampled
  }

  /// The expected cost of the last gated pass (with gradient into its q's) and the loss.
  func objective(_ ce: Tensor) -> Tensor {
    guard lossForm != "none" else { return ce }
    var constant = costs.fixed
    var terms = [Tensor]()
    for (id, costs) in costs.layers {
      if let g = gates.lastGates[id] {
        terms.append((g.q * Tensor(g.candidates.map { Float(costs[$0]) })).sum())
      } else {
        constant += expectedCost(id, costs)
      }
    }
    let expected = (terms.isEmpty ? Tensor([0]) : sum(terms)).adding(Float(constant))
    switch lossForm {
    case "add#linear":
      return ce + (expected.adding(Float(-ref)) * Float(a / ref))
    default:  // mul#log
      // a · CE · (log E / log ref)^b, the power as exp(b · log(·)).
      let ratio = expected.log() * Float(1 / Foundation.log(ref))
      let power = (ratio.log() * Float(b)).exp()
      return ce.scaled(by: power) * Float(a)
    }
  }

  /// One REINFORCE update (§6.5) on the validation batch `val`.
  func reinforceStep(_ val: Batch, epoch: Int) throws {
    let ids = costs.layers.map(\.id)
    let logits = ids.map { net.arch[$0]!.value }
    let x = Tensor(
      shape: [val.count, net.trainData.channels, net.trainData.height, net.trainData.width], scalars: val.pixels)
    var choices = [[Int]](), rewards = [Double]()
    net.model.eval()
    defer { net.model.train() }
    let probabilities = logits.map { $0.detached().softmax().scalars }
    for _ in 0..<rlSamples {
      var plan = ForwardPlan()
      var pick = [Int]()
      for (k, id) in ids.enumerated() {
        let c = BinaryGates.draw(probabilities[k], rng: &net.planRNG)
        pick.append(c)
        plan.ops[id] = .single(index: c, weight: nil)
      }
      let cost = costs.cost(of: pick)
      var ctx = ForwardContext(rng: net.planRNG.split())
      let out = withNoGrad { net.model(x, plan: plan, context: &ctx).logits }
      let acc = Double(net.correct(out, val)) / Double(val.count)
      choices.append(pick)
      rewards.append(lossForm == "none" || cost <= 0 ? acc : acc * pow(ref / cost, 0.1))
    }
    let mean = rewards.reduce(0, +) / Double(rewards.count)
    let b = baseline.map { $0 + 0.99 * (mean - $0) } ?? mean
    baseline = b
    for p in net.arch.parameters { p.zeroGrad() }
    Self.reinforceLoss(logits: logits, choices: choices, advantages: rewards.map { $0 - b }).backward()
    net.archOptimizer.step()
    try net.checkArchitectureFinite(epoch: epoch)
  }

  /// −(1/N) Σ_n A_n Σ_layers log softmax(logits_l)[choices_n,l]: its gradient descended is
  /// REINFORCE's ascent on the expected reward.
  public static func reinforceLoss(logits: [Tensor], choices: [[Int]], advantages: [Double]) -> Tensor {
    let logp = logits.map { $0.softmax().log() }
    var terms = [Tensor]()
    for (n, pick) in choices.enumerated() {
      let s = sum(pick.enumerated().map { l, c in logp[l].slice(axis: 0, start: c, end: c + 1) })
      terms.append(s * Float(-advantages[n] / Double(choices.count)))
    }
    return sum(terms)
  }

  /// The method's state: the supernet's, and REINFORCE's baseline.
  struct State: Codable {
    var net: BilevelSupernet.State
    var baseline: Double?
  }

  /// The supernet's sampler and generator positions, and the baseline.
  public func saveState() throws -> Data { try MethodState.encode(State(net: net.state, baseline: baseline)) }

  /// Restores them.
  public func restoreState(_ data: Data) throws {
    let s = try MethodState.decode(State.self, from: data, method: Self.name)
    net.state = s.net
    baseline = s.baseline
  }

  /// Losses, accuracies, α statistics and the expected latency of the epoch.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    let warm = warmupEpochs > 0 && p.phase == 0
    gates.pass = warm ? .uniform : .sampled
    var extra: Metrics = ["warmup": .bool(warm)]
    let expected = costs.expected(net.arch)  // Σ_layers Σ_j p_j · cost_j + the fixed parts
    extra["expected_\(costs.measured ? "latency_ms" : "mmacs")"] = .number(expected)
    let m = try net.finishEpoch(epoch: warm ? 0 : p.unit, archSteps: !warm, extra: extra)
    return (m, BilevelSupernet.summary(m) + String(format: "  E[cost] %.4g %@", expected, costs.unit))
  }

  /// Σ_j p_j · cost_j of one layer, p = softmax(α) (no gradient).
  func expectedCost(_ id: String, _ costs: [Double]) -> Double {
    guard let alpha = net.arch[id] else { return 0 }
    return zip(alpha.value.detached().softmax().scalars, costs).reduce(0) { $0 + Double($1.0) * $1.1 }
  }

  /// argmax softmax(α) per layer (the paper's rule, whatever rule the space names for other methods).
  public func result() throws -> SearchResult {
    var rule = ir.derive
    if rule.kind != .argmax {
      rule.kind = .argmax
      rule.exclude = []
    }
    let a = try Derivation.derive(ir: ir, logits: net.arch.tensors(), edgeNormalization: false, rule: rule)
    var r = SearchResult(architecture: a)
    r.derivationRule = rule
    return r
  }

  /// The supernet (for benchmarks and tests).
  public var supernet: BilevelSupernet { net }
}
