import NASCData
import Foundation
import NASCSpace
import NASCTensor

/// The hyperparameters of a bilevel supernet search (DARTS family): weights trained by SGD on one
/// half of the training split, architecture parameters by Adam on the other.
public struct BilevelSettings: Codable, Equatable, Sendable {
  /// Epochs (the length of the cosine schedule).
  public var epochs: Int
  /// Minibatch size of both steps.
  public var batchSize: Int
  /// Fraction of the training split that trains weights.
  public var trainPortion: Double
  /// Weight SGD learning rate (cosine annealed to `weightLRMin`).
  public var weightLR: Double
  /// Final weight learning rate.
  public var weightLRMin: Double
  /// Weight SGD momentum.
  public var weightMomentum: Double
  /// Nesterov momentum for the weights.
  public var nesterov: Bool
  /// Weight decay of the weights.
  public var weightDecay: Double
  /// Gradient-norm clip of the weights (0: none).
  public var gradClip: Double
  /// Architecture Adam learning rate.
  public var archLR: Double
  /// Architecture Adam betas.
  public var archBetas: [Double]
  /// Architecture Adam weight decay.
  public var archWeightDecay: Double
  /// α (and β) initialisation scale.
  public var alphaInit: Double

  /// Reads the DARTS family's common keys (`epochs`, `batch_size`, `w_lr`, ... `alpha_init`).
  public init(_ h: Hyperparameters, nesterov: Bool) throws {
    epochs = try h.int("epochs")
    batchSize = try h.int("batch_size")
    guard epochs >= 1 else {
      throw RunError("E310", "epochs must be at least 1, not \(epochs)", help: "set epochs=1 or more")
    }
    guard batchSize >= 2 else {
      throw RunError("E310", "batch_size must be at least 2, not \(batchSize)", help: "set batch_size=2 or more")
    }
    trainPortion = try h.double("train_portion")
    guard trainPortion.isFinite, trainPortion > 0, trainPortion < 1 else {
      throw RunError(
        "E310", "train_portion must lie strictly between 0 and 1, not \(trainPortion)",
        help: "it splits the training data between the weights and the architecture parameters; e.g. train_portion=0.5")
    }
    weightLR = try h.double("w_lr")
    weightLRMin = try h.double("w_lr_min")
    weightMomentum = try h.double("w_momentum")
    guard !nesterov || weightMomentum > 0 else {
      throw RunError(
        "E310", "Nesterov momentum needs w_momentum > 0, not \(weightMomentum)", help: "the paper uses 0.9")
    }
    self.nesterov = nesterov
    weightDecay = try h.double("w_weight_decay")
    gradClip = try h.double("grad_clip")
    guard gradClip.isFinite, gradClip >= 0 else {
      throw RunError("E310", "grad_clip must be 0 (none) or positive, not \(gradClip)", help: "e.g. grad_clip=5")
    }
    archLR = try h.double("arch_lr")
    archBetas = try h.list("arch_betas", count: 2)
    archWeightDecay = try h.double("arch_weight_decay")
    alphaInit = try h.double("alpha_init")
  }
}

/// A supernet with its architecture parameters, their two optimizers and the two data halves:
/// the building block of the DARTS-family methods. It knows how to take a weight step and a
/// (first- or second-order) architecture step; the method decides when.
public final class BilevelSupernet {
  /// The compiled space.
  public let ir: SpaceIR
  /// Settings.
  public let settings: BilevelSettings
  /// The seed (evaluation draws derive from it).
  public let seed: UInt64
  /// How choice points are relaxed.
  public let relaxation: any Relaxation
  /// Whether nodes carry β edge weights (PC-DARTS).
  public let edgeNormalization: Bool
  /// The supernet.
  public let model: SupernetModel
  /// α (and β).
  public let arch: ArchitectureParameters
  /// The weights' SGD.
  public let weightOptimizer: SGD
  /// The architecture's Adam.
  public let archOptimizer: Adam
  /// Weight-training half of the training split.
  public let trainData: ImageDataset
  /// Architecture half of the training split.
  public let valData: ImageDataset
  var trainSampler: BatchSampler
  var valSampler: BatchSampler
  var planRNG: RNG
  var accumulator = EpochAccumulator()
  let schedule: CosineAnnealing
  /// The loss of the last weight step.
  public private(set) var lastWeightLoss: Float = .nan
  /// Label smoothing of the training and architecture losses (ProxylessNAS' 0.1; 0: plain
  /// cross-entropy). The epoch's train loss is the smoothed one; `evaluate` reports plain CE.
  public var labelSmoothing: Float = 0
  /// Whether `evaluate` normalises with each batch's statistics (DenseNAS' search, whose sampled
  /// ops leave running statistics that fit no single path) rather than the running ones.
  public var evaluatesWithBatchStatistics = false
  /// The run's architecture steps against the paper's (set by the method; shown per epoch).
  public var archBudget: ArchStepBudget?

  /// The state that is not a tensor: sampler positions, the plan generator, the epoch's sums.
  public struct State: Codable, Equatable, Sendable {
    var trainSampler: SamplerState
    var valSampler: SamplerState
    var planRNG: UInt64
    var accumulator: EpochAccumulator
  }

  /// Builds the supernet and draws α, the samplers' and the plan's generators from `seed`, in that
  /// order. `relaxation` is made from the space's choice layout; `policy` decides whether mixed
  /// edges are recomputed in backward (`NASC_RECOMPUTE=0|1` overrides it).
  public init(
    ir: SpaceIR, settings: BilevelSettings, data: ImageDataset, augmentation: Augmentation, seed: UInt64,
    threads: Int, edgeNormalization: Bool, recompute policy: RecomputePolicy = .always, routes: Bool = false,
    relaxation: (ChoiceLayout) -> any Relaxation
  ) throws {
    if !routes, ir.network.route != nil {
      throw RunError(
        "E310", "\(ir.name) is a routing space (DenseNAS blocks), which this method does not search",
        help: "search it with --method densenas")
    }
    if ir.network.items.contains(where: { if case .memory = $0 { true } else { false } }) {
      throw RunError(
        "E310", "\(ir.name) has memory-bank blocks, whose bank reads and writes a gradient method does not relax",
        help: "search it with --method smash or random-ws")
    }
    if ir.network.hasWidthChoices {
      throw RunError(
        "E310", "\(ir.name) has width choices, which a gradient method cannot relax (one width runs per pass)",
        help: "search width choices with a single-path method: spos, fairnas or random-ws")
    }
    self.ir = ir
    self.settings = settings
    self.seed = seed
    self.edgeNormalization = edgeNormalization
    self.relaxation = relaxation(ChoiceLayout(ir))
    Engine.threads = threads
    var root = RNG(seed: seed)
    var initRNG = root.split()
    var archRNG = root.split()
    let trainRNG = root.split()
    let valRNG = root.split()
    planRNG = root.split()
    do { model = try SupernetModel(ir.network, rng: &initRNG) } catch let e as LoweringError {
      throw RunError(
        "E312", "cannot build the supernet of \(ir.name): \(e.description)",
        help: "nasc search runs cell spaces (DARTS, GDAS, PC-DARTS families) in this version")
    }
    arch = ArchitectureParameters(ir: ir, inputs: edgeNormalization, scale: Float(settings.alphaInit), rng: &archRNG)
    let (train, val) = data.split(portion: settings.trainPortion)
    guard train.count >= 2, val.count >= 2 else {
      throw RunError(
        "E205", "the data set has too few images (\(data.count)) to split for a search",
        help: "use a larger data set or a larger --limit")
    }
    trainData = train
    valData = val
    trainSampler = BatchSampler(
      dataset: train, batchSize: settings.batchSize, augmentation: augmentation, rng: trainRNG)
    valSampler = BatchSampler(dataset: val, batchSize: settings.batchSize, augmentation: augmentation, rng: valRNG)
    weightOptimizer = SGD(
      model.weights, learningRate: Float(settings.weightLR), momentum: Float(settings.weightMomentum),
      weightDecay: Float(settings.weightDecay), nesterov: settings.nesterov)
    archOptimizer = Adam(
      arch.parameters, learningRate: Float(settings.archLR), beta1: Float(settings.archBetas[0]),
      beta2: Float(settings.archBetas[1]), weightDecay: Float(settings.archWeightDecay))
    schedule = CosineAnnealing(
      base: Float(settings.weightLR), totalEpochs: settings.epochs, minimum: Float(settings.weightLRMin))
    let env = ProcessInfo.processInfo.environment
    let decided = policy.decide(
      model.footprints(singlePath: policy.singlePath), batch: min(settings.batchSize, train.count))
    recomputeEdges = env["NASC_RECOMPUTE"].map { $0 != "0" } ?? decided.on
    recomputeFrom = env["NASC_RECOMPUTE"] == nil ? decided.from : MixedEdgeModule.defaultRecomputeFrom
    model.setRecompute(recomputeEdges, from: recomputeFrom)
  }

  /// What a run on `data` changes of `settings`: a batch larger than the weight half is cut to it.
  public static func notes(_ settings: BilevelSettings, data: ImageDataset) -> [String] {
    let half = data.split(portion: settings.trainPortion).first.count
    guard settings.batchSize > half else { return [] }
    return [
      "batch_size \(settings.batchSize) is larger than the \(half) images that train the weights: batches of \(half) are used"
    ]
  }

  /// Whether mixed edges are recomputed in backward instead of keeping their candidates'
  /// activations (the same values and gradients up to summation order; far less memory for one
  /// more forward pass of the edges). The `RecomputePolicy` decides; `NASC_RECOMPUTE=0|1` overrides.
  public var recomputeEdges: Bool {
    didSet { model.setRecompute(recomputeEdges, from: recomputeFrom) }
  }

  /// Edges with smaller inputs (in elements) are not recomputed (see `MixedEdgeModule.recomputeFrom`).
  public var recomputeFrom: Int {
    didSet { model.setRecompute(recomputeEdges, from: recomputeFrom) }
  }

  /// The weights and the architecture parameters, for the loop's checkpoints.
  public var parameterSets: [ParameterSet] {
    [
      .module("weights", model, optimizer: weightOptimizer),
      .architecture("arch", arch, optimizer: archOptimizer),
    ]
  }

  /// Steps per epoch (batches of the weight half).
  public var stepsPerEpoch: Int { trainSampler.batchesPerEpoch }

  /// Mean loss of the current epoch's weight steps so far.
  public var runningTrainLoss: Double { accumulator.meanLoss }

  /// The non-tensor state.
  public var state: State {
    get {
      State(
        trainSampler: trainSampler.state, valSampler: valSampler.state, planRNG: planRNG.state, accumulator: accumulator
      )
    }
    set {
      trainSampler.restore(newValue.trainSampler)
      valSampler.restore(newValue.valSampler)
      planRNG = RNG(seed: newValue.planRNG)
      accumulator = newValue.accumulator
    }
  }

  /// The next training and validation batches.
  public func nextBatches() -> (train: Batch, val: Batch) {
    let t = trainSampler.next()
    let v = valSampler.next()
    return (t, v)
  }

  /// The next batch of the weight split alone (FBNet trains the two splits in turn).
  public func nextTrainBatch() -> Batch { trainSampler.next() }

  /// The next batch of the architecture split alone.
  public func nextValBatch() -> Batch { valSampler.next() }

  /// Batches per epoch of the architecture split.
  public var archStepsPerEpoch: Int { valSampler.batchesPerEpoch }

  /// Sets the weight learning rate after `epochs` epochs (a fraction included: a cosine stepped
  /// per iteration) and returns it.
  @discardableResult
  public func setLearningRate(epochs: Double) -> Float {
    weightOptimizer.learningRate = schedule.learningRate(atEpochs: epochs)
    return weightOptimizer.learningRate
  }

  /// Sets the weight learning rate to `lr` (a schedule of the method's own: a warm-up's).
  public func setLearningRate(_ lr: Float) { weightOptimizer.learningRate = lr }

  /// Sets the weight learning rate of `epoch` on the cosine schedule and returns it.
  @discardableResult
  public func setLearningRate(epoch: Int) -> Float {
    weightOptimizer.learningRate = schedule.learningRate(at: epoch)
    return weightOptimizer.learningRate
  }

  /// Runs `body` with `params` frozen (their gradients are not computed).
  func frozen<R>(_ params: [Parameter], _ body: () throws -> R) rethrows -> R {
    for p in params { p.requiresGrad = false }
    defer { for p in params { p.requiresGrad = true } }
    return try body()
  }

  /// Cross-entropy of the supernet on `batch` under the relaxation's plan for `epoch`.
  func forward(_ batch: Batch, epoch: Int) -> (loss: Tensor, logits: Tensor) {
    let x = Tensor(shape: [batch.count, trainData.channels, trainData.height, trainData.width], scalars: batch.pixels)
    let plan = relaxation.plan(arch, epoch: epoch, rng: &planRNG)
    var ctx = ForwardContext(rng: planRNG.split(), skipDropout: plan.skipDropout)
    let (logits, _) = model(x, plan: plan, context: &ctx)
    return (crossEntropy(logits: logits, labels: batch.labels.map(Int.init), labelSmoothing: labelSmoothing), logits)
  }

  /// One architecture step on `val`: the first-order gradient (weights frozen), or DARTS'
  /// second-order estimate with the iteration's `train` batch in the virtual step.
  /// `objective`, when given, turns the validation cross-entropy into the loss (first order only;
  /// ProxylessNAS' latency loss).
  public func archStep(
    _ val: Batch, train: Batch, epoch: Int, secondOrder: Bool, gradClip: Double? = nil,
    objective: ((Tensor) -> Tensor)? = nil
  ) throws {
    for p in arch.parameters { p.zeroGrad() }
    if secondOrder {
      try SecondOrder.architectureGradient(self, train: train, val: val, epoch: epoch)
    } else {
      // The first-order α gradient needs no weight gradients: freezing the weights skips their GEMMs.
      try frozen(model.weights) {
        let (ce, _) = forward(val, epoch: epoch)
        let loss = objective.map { $0(ce) } ?? ce
        try checkFinite(loss.scalar, what: "architecture", epoch: epoch)
        loss.backward()
      }
    }
    if let gradClip { _ = clipGradNorm(arch.parameters, maxNorm: Float(gradClip)) }
    archOptimizer.step()
    try checkArchitectureFinite(epoch: epoch)
  }

  /// `E401` when an architecture parameter is NaN or infinite (after a step that diverged).
  public func checkArchitectureFinite(epoch: Int) throws {
    guard arch.parameters.allSatisfy({ $0.value.scalars.allSatisfy(\.isFinite) }) else {
      throw RunError(
        "E401", "the architecture parameters became NaN or infinite in epoch \(epoch + 1)",
        help: "lower the architecture learning rate (--set arch_lr=...); the last checkpoint is kept")
    }
  }

  /// One weight step on `batch`; returns its loss and adds it to the epoch's sums.
  @discardableResult
  public func weightStep(_ batch: Batch, epoch: Int) throws -> Float {
    model.zeroGrad()
    // The weight step needs no α gradients (the architecture step clears them before use).
    let (logits, value) = try frozen(arch.parameters) { () throws -> (Tensor, Float) in
      let (loss, logits) = forward(batch, epoch: epoch)
      let value = loss.scalar
      try checkFinite(value, what: "training", epoch: epoch)
      loss.backward()
      return (logits, value)
    }
    if settings.gradClip > 0 { _ = clipGradNorm(model.weights, maxNorm: Float(settings.gradClip)) }
    weightOptimizer.step()
    accumulator.add(loss: Double(value), correct: correct(logits, batch), count: batch.count)
    lastWeightLoss = value
    return value
  }

  func checkFinite(_ v: Float, what: String, epoch: Int) throws {
    guard v.isFinite else {
      throw RunError(
        "E401", "the \(what) loss became \(v.isNaN ? "NaN" : "infinite") in epoch \(epoch + 1)",
        help: "lower the learning rate (--set w_lr=... or --set arch_lr=...); the last checkpoint is kept")
    }
  }

  func correct(_ logits: Tensor, _ batch: Batch) -> Int {
    zip(logits.argmaxRows(), batch.labels).filter { $0 == Int($1) }.count
  }

  /// Loss and accuracy of the supernet on `data` in evaluation mode (running BN statistics), with
  /// the relaxation's plan for `epoch` drawn from a generator of its own.
  public func evaluate(_ data: ImageDataset, epoch: Int, batchSize: Int = 256) -> (loss: Double, accuracy: Double) {
    var rng = RNG(seed: seed &+ 0x9E37_79B9 &* UInt64(epoch + 1))
    return evaluateClassifier(model, on: data, batchSize: batchSize, batchStatistics: evaluatesWithBatchStatistics) {
      let plan = relaxation.plan(arch, epoch: epoch, rng: &rng)
      return (plan, rng.split())
    }
  }

  /// The live candidates of each op choice when the relaxation prunes (P-DARTS), else empty.
  var alive: [String: [Int]] { (relaxation as? SoftmaxMixture)?.alive ?? [:] }

  /// The current edge weights of every searched cell template.
  public func templateWeights() -> [TemplateWeights] {
    TemplateWeights.all(ir: ir, logits: arch.tensors(), edgeNormalization: edgeNormalization, alive: alive)
  }

  /// The end of an epoch: evaluates the architecture half and returns the DARTS-family metrics
  /// (losses, accuracies, α entropy, parameter-free share, softmax(α)); clears the epoch's sums.
  /// `E401` when the validation loss is not finite.
  public func finishEpoch(epoch: Int, archSteps: Bool, extra: Metrics = [:]) throws -> Metrics {
    let (vl, va) = evaluate(valData, epoch: epoch)
    try checkFinite(Float(vl), what: "validation", epoch: epoch)
    var entropy = [String: MetricValue](), perEdge = [String: MetricValue](), free = [String: MetricValue]()
    for t in templateWeights() {
      let e = t.weights.entropyPerEdge
      perEdge[t.template] = .numbers(e)
      entropy[t.template] = .number(e.isEmpty ? 0 : e.reduce(0, +) / Double(e.count))
      free[t.template] = .number(t.weights.parameterFreeShare { edge, op in t.parameterFree[edge][op] })
    }
    var alpha = [String: MetricValue]()
    let live = alive
    for (id, p) in arch.entries where ir.choicePoint(id)?.kind == .op {
      if let l = live[id] {
        // softmax over the live candidates; pruned ones weigh 0.
        let q = p.value.detached().gathered(l).softmax().scalars
        var row = [Double](repeating: 0, count: p.value.count)
        for (i, c) in l.enumerated() { row[c] = Double(q[i]) }
        alpha[id] = .numbers(row)
      } else {
        alpha[id] = .numbers(p.value.detached().softmax().scalars.map(Double.init))
      }
    }
    var m: Metrics = [
      "epoch": .int(epoch), "lr": .number(Double(schedule.learningRate(at: epoch))),
      "train_loss": .number(accumulator.meanLoss), "train_acc": .number(accumulator.accuracy),
      "val_loss": .number(vl), "val_acc": .number(va), "arch_steps": .bool(archSteps),
      "alpha_entropy": .map(entropy), "alpha_entropy_per_edge": .map(perEdge), "parameter_free_share": .map(free),
      "alpha": .map(alpha),
    ]
    if let b = archBudget {
      m["arch_steps_taken"] = .int(archOptimizer.stepCount)
      m["arch_steps_paper"] = .int(b.paperSteps)
    }
    m.merge(extra) { _, b in b }
    accumulator = EpochAccumulator()
    return m
  }

  /// The progress summary of an epoch's metrics: losses, accuracies and, per cell type, the
  /// parameter-free share and the largest op weight (how far α has moved from uniform).
  public static func summary(_ m: Metrics) -> String {
    func n(_ k: String) -> Double { m[k]?.number ?? .nan }
    var line = String(
      format: "train loss %.3f acc %.1f%%  val loss %.3f acc %.1f%%", n("train_loss"), 100 * n("train_acc"),
      n("val_loss"), 100 * n("val_acc"))
    if let tau = m["tau"]?.number { line += String(format: "  tau %.2f", tau) }
    if case .int(let taken)? = m["arch_steps_taken"], case .int(let paper)? = m["arch_steps_paper"] {
      line += "  arch steps \(CompileReport.grouped(taken)) (paper \(CompileReport.grouped(paper)))"
    }
    guard case .map(let free)? = m["parameter_free_share"], case .map(let alpha)? = m["alpha"] else { return line }
    for (t, share) in free.sorted(by: { $0.key < $1.key }) {
      let top = alpha.filter { $0.key.hasPrefix(t + ".") }.values.compactMap { v -> Double? in
        if case .numbers(let a) = v { return a.max() } else { return nil }
      }.max()
      line += String(format: "  %@ param-free %.2f", t, share.number ?? .nan)
      if let top { line += String(format: " top-op %.3f", top) }
    }
    return line
  }
}

/// A method that trains a `BilevelSupernet` (what `nasc bench search` times).
public protocol SupernetMethod: SearchMethod {
  /// The supernet.
  var supernet: BilevelSupernet { get }
}

extension SupernetMethod {
  /// The running training loss.
  public var progressDetail: String { String(format: "loss %.3f", supernet.runningTrainLoss) }
  /// The supernet's sampler and generator positions.
  public func saveState() throws -> Data { try MethodState.encode(supernet.state) }
  /// Restores them.
  public func restoreState(_ data: Data) throws {
    supernet.state = try MethodState.decode(BilevelSupernet.State.self, from: data, method: Self.name)
  }
}

/// Running sums of an epoch's weight steps.
struct EpochAccumulator: Codable, Equatable {
  var lossSum = 0.0
  var correct = 0
  var count = 0
  var steps = 0
  var seconds = 0.0

  mutating func add(loss: Double, correct c: Int, count n: Int) {
    lossSum += loss
    correct += c
    count += n
    steps += 1
  }

  var meanLoss: Double { steps == 0 ? 0 : lossSum / Double(steps) }
  var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }
}
