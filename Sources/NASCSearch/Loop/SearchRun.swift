import Foundation
import NASCSpace
import NASCTensor

/// One search: the supernet, its architecture parameters, optimizers, data samplers and position.
///
/// Everything random is drawn from generators split off one seed, and the whole state is saved in
/// checkpoints, so a resumed run ends with exactly the result an uninterrupted one gives.
public final class SearchRun {
  /// The compiled space (search skeleton).
  public let ir: SpaceIR
  /// Resolved settings.
  public let settings: SearchSettings
  /// The method.
  public let method: SearchMethod
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
  /// Epochs completed.
  public internal(set) var epoch = 0
  /// Steps completed within the current epoch.
  public internal(set) var stepInEpoch = 0
  var accumulator = EpochAccumulator()
  /// Metrics of the completed epochs.
  public internal(set) var history: [EpochMetrics] = []
  private let schedule: CosineAnnealing

  /// Builds a fresh run; `data` must already be normalised.
  public init(ir: SpaceIR, settings: SearchSettings, data: ImageDataset, augmentation: Augmentation = .none) throws {
    self.ir = ir
    self.settings = settings
    method = try SearchMethod(settings: settings, ir: ir)
    Engine.threads = settings.threads
    var root = RNG(seed: settings.seed)
    var initRNG = root.split()
    var archRNG = root.split()
    let trainRNG = root.split()
    let valRNG = root.split()
    planRNG = root.split()
    do { model = try SupernetModel(ir.network, rng: &initRNG) } catch let e as LoweringError {
      throw SearchError(
        "E312", "cannot build the supernet of \(ir.name): \(e.description)",
        help: "nasc search runs cell spaces (DARTS, GDAS, PC-DARTS families) in this version")
    }
    arch = ArchitectureParameters(
      ir: ir, inputs: method.edgeNormalization, scale: Float(settings.alphaInit), rng: &archRNG)
    let (train, val) = data.split(portion: settings.trainPortion)
    guard train.count >= 2, val.count >= 2 else {
      throw SearchError(
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
    recomputeEdges = ProcessInfo.processInfo.environment["NASC_RECOMPUTE"] != "0"
    recomputeFrom = MixedEdgeModule.defaultRecomputeFrom
    model.setRecompute(recomputeEdges, from: recomputeFrom)
  }

  /// Whether mixed edges are recomputed in backward instead of keeping their candidates'
  /// activations (the same values and gradients up to summation order; far less memory for one
  /// more forward pass of the edges). On by default; `NASC_RECOMPUTE=0` turns it off.
  public var recomputeEdges: Bool {
    didSet { model.setRecompute(recomputeEdges, from: recomputeFrom) }
  }

  /// Edges with smaller inputs (in elements) are not recomputed (see `MixedEdgeModule.recomputeFrom`).
  public var recomputeFrom: Int {
    didSet { model.setRecompute(recomputeEdges, from: recomputeFrom) }
  }

  /// Runs `body` with `params` frozen (their gradients are not computed).
  func frozen<R>(_ params: [Parameter], _ body: () throws -> R) rethrows -> R {
    for p in params { p.requiresGrad = false }
    defer { for p in params { p.requiresGrad = true } }
    return try body()
  }

  /// Weight steps (= architecture steps) per epoch.
  public var stepsPerEpoch: Int { trainSampler.batchesPerEpoch }

  /// Whether every epoch has run.
  public var isFinished: Bool { epoch >= settings.epochs }

  /// Mean loss of the current epoch's weight steps so far.
  public var runningTrainLoss: Double { accumulator.meanLoss }

  /// Whether architecture steps run in the current epoch (false during warm-up).
  public var archStepsActive: Bool { epoch >= settings.warmupEpochs }

  /// One iteration: an architecture step on a validation batch and a weight step on a training batch
  /// (in the method's order). Returns the weight step's loss.
  @discardableResult
  public func step(train: Batch, val: Batch) throws -> Float {
    weightOptimizer.learningRate = schedule.learningRate(at: epoch)
    let doArch = archStepsActive
    var trainLoss: Float = 0
    if doArch && settings.archStepFirst { try archStep(val, train: train) }
    trainLoss = try weightStep(train)
    if doArch && !settings.archStepFirst { try archStep(val, train: train) }
    return trainLoss
  }

  /// One iteration on the next training and validation batches of the run's samplers (what every
  /// step of `runEpoch` does). Returns the weight step's loss.
  @discardableResult
  public func sampledStep() throws -> Float {
    let t = trainSampler.next()
    let v = valSampler.next()
    return try step(train: t, val: v)
  }

  func forward(_ batch: Batch) -> (loss: Tensor, logits: Tensor) {
    let x = Tensor(shape: [batch.count, trainData.channels, trainData.height, trainData.width], scalars: batch.pixels)
    let plan = method.relaxation.plan(arch, epoch: epoch, rng: &planRNG)
    var ctx = ForwardContext(rng: planRNG.split())
    let (logits, _) = model(x, plan: plan, context: &ctx)
    return (crossEntropy(logits: logits, labels: batch.labels.map(Int.init)), logits)
  }

  func archStep(_ batch: Batch, train: Batch) throws {
    for p in arch.parameters { p.zeroGrad() }
    if method.secondOrder {
      try SecondOrder.architectureGradient(run: self, train: train, val: batch)
    } else {
      // The first-order α gradient needs no weight gradients: freezing the weights skips their GEMMs.
      try frozen(model.weights) {
        let (loss, _) = forward(batch)
        try checkFinite(loss.scalar, what: "architecture")
        loss.backward()
      }
    }
    archOptimizer.step()
  }

  func weightStep(_ batch: Batch) throws -> Float {
    model.zeroGrad()
    // The weight step needs no α gradients (the architecture step clears them before use).
    let (loss, logits, value) = try frozen(arch.parameters) { () throws -> (Tensor, Tensor, Float) in
      let (loss, logits) = forward(batch)
      let value = loss.scalar
      try checkFinite(value, what: "training")
      loss.backward()
      return (loss, logits, value)
    }
    _ = loss
    _ = clipGradNorm(model.weights, maxNorm: Float(settings.gradClip))
    weightOptimizer.step()
    accumulator.add(loss: Double(value), correct: correct(logits, batch), count: batch.count)
    return value
  }

  func checkFinite(_ v: Float, what: String) throws {
    guard v.isFinite else {
      throw SearchError(
        "E401",
        "the \(what) loss became \(v.isNaN ? "NaN" : "infinite") at epoch \(epoch + 1), step \(stepInEpoch + 1)",
        help: "lower the learning rate (w_lr / arch_lr in the space's search: block); the last checkpoint is kept")
    }
  }

  func correct(_ logits: Tensor, _ batch: Batch) -> Int {
    zip(logits.argmaxRows(), batch.labels).filter { $0 == Int($1) }.count
  }

  /// Runs the rest of the current epoch. Returns false if `shouldStop` asked to stop early (the
  /// run is then between two steps and can be checkpointed).
  public func runEpoch(shouldStop: () -> Bool = { false }, progress: (Int, Int) -> Void = { _, _ in }) throws -> Bool {
    let start = Date()
    while stepInEpoch < stepsPerEpoch {
      if shouldStop() { return false }
      try sampledStep()
      stepInEpoch += 1
      progress(stepInEpoch, stepsPerEpoch)
    }
    accumulator.seconds += Date().timeIntervalSince(start)
    finishEpoch()
    return true
  }

  func finishEpoch() {
    let (vl, va) = evaluate(valData)
    var entropy = [String: Double](), entropyPerEdge = [String: [Double]](), free = [String: Double]()
    for t in templateWeights() {
      let e = t.weights.entropyPerEdge
      entropyPerEdge[t.template] = e
      entropy[t.template] = e.isEmpty ? 0 : e.reduce(0, +) / Double(e.count)
      free[t.template] = t.weights.parameterFreeShare { edge, op in t.parameterFree[edge][op] }
    }
    var alpha = [String: [Double]]()
    for (id, p) in arch.entries where ir.choicePoint(id)?.kind == .op {
      alpha[id] = p.value.detached().softmax().scalars.map(Double.init)
    }
    history.append(
      EpochMetrics(
        epoch: epoch, lr: Double(schedule.learningRate(at: epoch)), trainLoss: accumulator.meanLoss,
        trainAcc: accumulator.accuracy, valLoss: vl, valAcc: va,
        tau: method.temperature.map { Double($0(epoch)) }, archSteps: archStepsActive, alphaEntropy: entropy,
        alphaEntropyPerEdge: entropyPerEdge, parameterFreeShare: free, alpha: alpha, seconds: accumulator.seconds))
    accumulator = EpochAccumulator()
    epoch += 1
    stepInEpoch = 0
  }

  /// Loss and accuracy of the supernet on `data` in evaluation mode (running BN statistics), with
  /// the relaxation's plan for the current epoch drawn from a generator of its own.
  public func evaluate(_ data: ImageDataset, batchSize: Int = 256) -> (loss: Double, accuracy: Double) {
    var rng = RNG(seed: settings.seed &+ 0x9E37_79B9 &* UInt64(epoch + 1))
    return evaluateClassifier(model, on: data, batchSize: batchSize) {
      let plan = method.relaxation.plan(arch, epoch: epoch, rng: &rng)
      return (plan, rng.split())
    }
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
