import Foundation
import NASCData
import NASCSpace
import NASCTensor

/// Single-Path NAS (Stamoulis et al., ECML-PKDD 2019; METHODS.md §10).
///
/// ```
/// every searchable layer: one superkernel (SuperkernelModule) whose thresholds t5, t100, t50 pick
///   kernel, expansion and skip through indicators of the kernel's norms
/// per layer: Rch = d50 · (R50 + d100 · (R100 − R50));  R_l = Rch · R3/R5 + Rch · (1 − R3/R5) · d5
///   R3 = LAT(k_s, e_l), R50 = LAT(k_l, e_s), R100 = R5 = LAT(k_l, e_l)   (the latency table; MMACs without)
/// L = CE_labelsmooth + wd · Σ ‖w‖² (conv and linear weights) + λ · 1e3 · log Σ_l R_l
///   (with latency_target T: the last term only while fixed parts + Σ_l R_l > T)
/// for each step t (single level: weights and thresholds together, RMSProp):
///   t < warmup_steps: λ = 0 and dropout (keep indicator_keep) on the indicators
///   lr = lr_0 · lr_decay^⌊epoch / lr_decay_epochs⌋
/// derive: per layer d50 = 0 → skip, else kernel k_l if d5 else k_s, expansion e_l if d100 else e_s
/// ```
public final class SinglePathNAS: SearchMethod {
  /// The registry name.
  public static let name = "single-path-nas"
  let ir: SpaceIR
  let model: SupernetModel
  let optimizer: RMSProp
  /// Where this run departs from the paper's values.
  public let notes: [String]
  let train: ImageDataset, val: ImageDataset
  var sampler: BatchSampler
  var rng: RNG
  var accumulator = EpochAccumulator()
  let steps: Int, warmupSteps: Int, stepsPerEpoch: Int, epochs: Int
  let lr: Double, lrDecay: Double, lrDecayEpochs: Double
  let lambda: Double, weightDecay: Double, labelSmoothing: Double, keep: Double
  /// The runtime the whole network may take (0: none), in the costs' unit.
  let target: Double
  /// Per superkernel: R3, R50 and R100 (ms, or MMACs without a table).
  let runtimes: [(r3: Double, r50: Double, r100: Double)]
  /// Stem, fixed blocks and layers, head (reported, not in the loss).
  let fixedCost: Double
  let costUnit: String
  /// Conv and linear weights (the decayed ones).
  let decayed: [Parameter]

  /// Builds the superkernel network and the runtime model.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    ir = c.ir
    steps = try h.int("steps")
    warmupSteps = try h.int("warmup_steps")
    let batch = try h.int("batch_size")
    lr = try h.double("lr")
    lrDecay = try h.double("lr_decay")
    lrDecayEpochs = try h.double("lr_decay_epochs")
    lambda = try h.double("runtime_lambda")
    target = try h.double("latency_target")
    weightDecay = try h.double("w_weight_decay")
    labelSmoothing = try h.double("label_smoothing")
    keep = try h.double("indicator_keep")
    let portion = try h.double("train_portion")
    let (rmsDecay, rmsMomentum, rmsEps) = (
      try h.double("rms_decay"), try h.double("rms_momentum"), try h.double("rms_eps")
    )
    guard (0..<1).contains(rmsDecay), (0..<1).contains(rmsMomentum), rmsEps.isFinite, rmsEps > 0,
      (0..<1).contains(labelSmoothing), lr.isFinite, weightDecay.isFinite, weightDecay >= 0, lambda.isFinite
    else {
      throw RunError(
        "E310",
        "single-path-nas needs 0 ≤ rms_decay < 1, 0 ≤ rms_momentum < 1, rms_eps > 0, 0 ≤ label_smoothing < 1, w_weight_decay ≥ 0 and finite lr and runtime_lambda",
        help: "the paper: rms_decay=0.9 rms_momentum=0.9 rms_eps=0.001 label_smoothing=0.1")
    }
    guard steps >= 1, warmupSteps >= 0, batch >= 2, lr > 0, lrDecay > 0, lrDecayEpochs > 0, lambda >= 0, target >= 0,
      keep > 0, keep <= 1, portion > 0, portion < 1
    else {
      throw RunError(
        "E310",
        "single-path-nas needs steps ≥ 1, warmup_steps ≥ 0, batch_size ≥ 2, lr, lr_decay and lr_decay_epochs > 0, runtime_lambda ≥ 0, latency_target ≥ 0, 0 < indicator_keep ≤ 1 and 0 < train_portion < 1",
        help: "the paper: steps=10008 warmup_steps=6255 lr=0.064 runtime_lambda=0.02 indicator_keep=0.6")
    }
    var seen = Set<String>()
    for l in c.ir.layers {
      guard let id = l.choice else { continue }
      guard seen.insert(id).inserted else {
        throw RunError(
          "E310", "single-path-nas gives every layer its own superkernel, but \(id) is shared by several layers",
          help: "give each searchable layer its own choice")
      }
    }
    let data = try c.requireData(Self.name)
    let costs = try LayerCosts(
      ir: c.ir, tablePath: try h.string("latency_table"), anyConditions: try h.string("latency_conditions") == "any",
      macUnit: ("MMACs", 1e6), method: Self.name)
    Engine.threads = c.run.threads
    var root = RNG(seed: c.run.seed)
    var initRNG = root.split()
    let samplerRNG = root.split()
    rng = root.split()
    do { model = try SupernetModel(c.ir.network, rng: &initRNG, superkernels: true) } catch let e as LoweringError {
      throw RunError(
        "E312", "cannot build the superkernels of \(c.ir.name): \(e.description)",
        help: "single-path-nas searches MBConv layers over k ∈ {3, 5} × e ∈ {3, 6} (spaces/single-path-nas-digits.yaml)"
      )
    }
    guard !model.superkernels.isEmpty else {
      throw RunError(
        "E310", "\(c.ir.name) has no searchable layers for single-path-nas",
        help: "use spaces/single-path-nas-digits.yaml or another layer-wise MBConv space")
    }
    var runtimes = [(r3: Double, r50: Double, r100: Double)]()
    for k in model.superkernels {
      let row = costs.layers.first { $0.id == k.choice }!.costs
      let g = k.grid
      func r(_ kk: Int, _ e: Int) -> Double { row[g.index(k: kk, e: e)!] }
      runtimes.append(
        (
          r(g.kernels.small, g.expansions.large), r(g.kernels.large, g.expansions.small),
          r(g.kernels.large, g.expansions.large)
        ))
    }
    guard runtimes.allSatisfy({ [$0.r3, $0.r50, $0.r100].allSatisfy { $0.isFinite && $0 > 0 && $0 < 1e12 } }) else {
      throw RunError(
        "E318", "the runtime model needs positive, finite times for every layer's k3/k5 × e3/e6 blocks",
        help: "measure the table again: nasc latency SPACE --out FILE")
    }
    self.runtimes = runtimes
    fixedCost = costs.fixed
    // The cheapest network of the runtime model: per layer skip (where allowed) or k_s e_s.
    let cheapest = zip(model.superkernels, runtimes).reduce(costs.fixed) { acc, kr in
      acc + (kr.0.grid.skippable ? 0 : kr.1.r50 * kr.1.r3 / kr.1.r100)
    }
    if target > 0 && target < cheapest {
      throw RunError(
        "E316",
        String(
          format:
            "latency_target %.4g %@ is below this space's cheapest architecture (%.4g %@ by the runtime model): no architecture can meet it",
          target, costs.unit, cheapest, costs.unit),
        help: String(format: "set latency_target to at least %.4g, or 0 for none", cheapest))
    }
    costUnit = costs.unit
    (train, val) = data.split(portion: portion)
    guard train.count >= 2, val.count >= 1 else {
      throw RunError("E205", "the data set has too few images (\(data.count)) to split", help: "use a larger --limit")
    }
    sampler = BatchSampler(
      dataset: train, batchSize: min(batch, train.count), augmentation: c.augmentation, rng: samplerRNG)
    stepsPerEpoch = max(sampler.batchesPerEpoch, 1)
    epochs = (steps + stepsPerEpoch - 1) / stepsPerEpoch
    optimizer = RMSProp(
      model.parameters(), learningRate: Float(lr), alpha: Float(rmsDecay), eps: Float(rmsEps),
      momentum: Float(rmsMomentum))
    decayed = model.parameters(in: .weights).filter { $0.value.rank > 1 }
    var notes = [String]()
    if warmupSteps >= epochs * stepsPerEpoch && lambda > 0 {
      notes.append("warmup_steps \(warmupSteps) covers every step: the runtime loss never acts")
    }
    if epochs * stepsPerEpoch != steps {
      notes.append("steps \(steps) rounded up to \(epochs) whole epochs of \(stepsPerEpoch) steps")
    }
    if !costs.measured {
      notes.append(
        "no latency_table: the runtime model uses MMACs in place of milliseconds; measure one with nasc latency")
    }
    notes.append(
      "no exponential moving average of the weights (the paper: 0.9999) and no dropout before the classifier; RMSProp's ε is added outside the square root (TensorFlow: inside)"
    )
    self.notes = notes
  }

  /// One phase of whole epochs.
  public var phases: [Phase] { [Phase("search", units: epochs, stepsPerUnit: stepsPerEpoch)] }
  /// The network with its thresholds, trained together.
  public var parameterSets: [ParameterSet] { [.module("weights", model, optimizer: optimizer)] }

  /// Σ_l R_l of the indicators (with their gradient).
  func runtime() -> Tensor {
    var terms = [Tensor]()
    for (k, r) in zip(model.superkernels, runtimes) {
      guard let (d5, d100, d50) = k.lastIndicators else { continue }
      terms.append(Self.layerRuntime(d5: d5, d100: d100, d50: d50, r3: r.r3, r50: r.r50, r100: r.r100))
    }
    return sum(terms)
  }

  /// R_l = Rch · R3/R5 + Rch · (1 − R3/R5) · d5, Rch = d50 · (R50 + d100 · (R100 − R50)), R5 = R100.
  public static func layerRuntime(d5: Tensor, d100: Tensor, d50: Tensor, r3: Double, r50: Double, r100: Double)
    -> Tensor
  {
    let rch = (d100 * Float(r100 - r50)).adding(Float(r50)) * d50
    let ratio = Float(r3 / r100)
    return rch * ratio + (rch * d5) * (1 - ratio)
  }

  /// One step on a training batch: CE + weight decay + the runtime loss (after the warm-up).
  public func step(at p: LoopPosition) throws {
    let t = p.unit * stepsPerEpoch + p.step
    let warm = t < warmupSteps
    let epoch = Double(t) / Double(stepsPerEpoch)
    optimizer.learningRate = Float(lr * pow(lrDecay, (epoch / lrDecayEpochs).rounded(.down)))
    for k in model.superkernels { k.indicatorDropout = warm ? Float(1 - keep) : 0 }
    let b = sampler.next()
    let x = Tensor(shape: [b.count, train.channels, train.height, train.width], scalars: b.pixels)
    var ctx = ForwardContext(rng: rng.split())
    let (logits, _) = model(x, plan: ForwardPlan(), context: &ctx)
    let labels = b.labels.map(Int.init)
    let ce = crossEntropy(logits: logits, labels: labels, labelSmoothing: Float(labelSmoothing))
    var loss = ce + sum(decayed.map { ($0.value * $0.value).sum() }) * Float(weightDecay)
    if !warm && lambda > 0 {
      // With a target, the runtime loss acts only while the network takes longer.
      let r = runtime()
      if target == 0 || r.scalar + Float(fixedCost) > Float(target) { loss = loss + r.log() * Float(lambda * 1e3) }
    }
    guard loss.scalar.isFinite else {
      throw RunError(
        "E401", "the training loss became \(loss.scalar.isNaN ? "NaN" : "infinite") in epoch \(p.unit + 1)",
        help: "lower the learning rate (--set lr=...); the last checkpoint is kept")
    }
    model.zeroGrad()
    loss.backward()
    optimizer.step()
    accumulator.add(
      loss: Double(ce.scalar), correct: zip(logits.argmaxRows(), labels).filter { $0 == $1 }.count, count: b.count)
  }

  /// The running training loss.
  public var progressDetail: String { String(format: "loss %.3f", accumulator.meanLoss) }

  /// The candidate each layer's indicators pick now.
  func decisions() -> [(id: String, index: Int)] { model.superkernels.map { ($0.choice, $0.decision()) } }

  /// The runtime of the decided network: Σ R_l at the indicators' values plus the fixed parts.
  func decidedCost(_ picks: [(id: String, index: Int)]) -> Double {
    zip(zip(model.superkernels, runtimes), picks).reduce(fixedCost) { acc, x in
      let ((k, r), pick) = x
      guard let cell = k.grid.cells[pick.index] else { return acc }
      let d5: Float = cell.k == k.grid.kernels.large ? 1 : 0, d100: Float = cell.e == k.grid.expansions.large ? 1 : 0
      return acc
        + Double(
          Self.layerRuntime(
            d5: Tensor([d5]), d100: Tensor([d100]), d50: Tensor([1]), r3: r.r3, r50: r.r50, r100: r.r100
          ).scalar)
    }
  }

  /// Loss and accuracy on the held-out split, the thresholds, the decided candidate per layer (as
  /// one-hot rows, for the per-layer picture) and the decided network's runtime.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    var evalRNG = RNG(seed: 7)
    let (vl, va) = evaluateClassifier(model, on: val) { (ForwardPlan(), evalRNG.split()) }
    var alpha = [String: MetricValue](), thresholds = [String: MetricValue]()
    let picks = decisions()
    for (id, i) in picks {
      let n = ir.choicePoint(id)?.candidates.count ?? 0
      alpha[id] = .numbers((0..<n).map { $0 == i ? 1 : 0 })
    }
    for k in model.superkernels {
      thresholds[k.choice] = .numbers([k.t5, k.t100, k.t50].map { Double($0.value.scalars[0]) })
    }
    let t = (p.unit + 1) * stepsPerEpoch
    let cost = decidedCost(picks)
    let m: Metrics = [
      "epoch": .int(p.unit), "lr": .number(Double(optimizer.learningRate)),
      "train_loss": .number(accumulator.meanLoss), "train_acc": .number(accumulator.accuracy),
      "val_loss": .number(vl), "val_acc": .number(va), "warmup": .bool(t <= warmupSteps), "alpha": .map(alpha),
      "thresholds": .map(thresholds), "decided_\(costUnit == "ms" ? "latency_ms" : "mmacs")": .number(cost),
    ]
    let summary = String(
      format: "train loss %.3f acc %.1f%%  val loss %.3f acc %.1f%%  decided %.4g %@%@", accumulator.meanLoss,
      100 * accumulator.accuracy, vl, 100 * va, cost, costUnit, t <= warmupSteps ? "  (warm-up)" : "")
    accumulator = EpochAccumulator()
    return (m, summary)
  }

  /// The sampler's and generator's positions and the epoch's sums.
  struct State: Codable {
    var sampler: SamplerState
    var rng: UInt64
    var accumulator: EpochAccumulator
  }

  /// The non-tensor state as JSON.
  public func saveState() throws -> Data {
    try MethodState.encode(State(sampler: sampler.state, rng: rng.state, accumulator: accumulator))
  }

  /// Restores it.
  public func restoreState(_ data: Data) throws {
    let s = try MethodState.decode(State.self, from: data, method: Self.name)
    sampler.restore(s.sampler)
    rng = RNG(seed: s.rng)
    accumulator = s.accumulator
  }

  /// The candidate the indicators pick, per layer.
  public func result() throws -> SearchResult {
    var d = [String: Architecture.Value]()
    let picks = decisions()
    for (id, i) in picks {
      if let names = ir.choicePoint(id)?.candidates { d[id] = .op(names[i]) }
    }
    var result = SearchResult(architecture: Architecture(decisions: d))
    let cost = decidedCost(picks)
    if target > 0 && cost > target {
      result.unmet.append(
        String(
          format: "the decided network takes %.4g %@ by the runtime model, above latency_target %.4g", cost, costUnit,
          target))
    }
    return result
  }
}
