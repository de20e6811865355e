import NASCData
import Foundation
import NASCSpace
import NASCTensor

/// Settings of training a fixed architecture from scratch (DARTS' evaluation recipe by default).
public struct TrainSettings: Codable, Equatable, Sendable {
  /// Epochs.
  public var epochs: Int
  /// Minibatch size.
  public var batchSize: Int
  /// SGD learning rate, cosine annealed to 0.
  public var lr: Double
  /// SGD momentum.
  public var momentum: Double
  /// Weight decay.
  public var weightDecay: Double
  /// Gradient-norm clip.
  public var gradClip: Double
  /// Maximum drop-path probability (ramped linearly over the epochs); nil = the space's.
  public var dropPath: Double?
  /// Cutout length (0 = none).
  public var cutout: Int
  /// Label smoothing.
  public var labelSmoothing: Double
  /// The seed of every random draw.
  public var seed: UInt64
  /// Engine threads.
  public var threads: Int
  /// The data set, as given to `--data`.
  public var data: String
  /// Use only the first this many training images.
  public var trainLimit: Int?
  /// Average-pool images by this factor before use; nil or 1 = none.
  public var downsample: Int?

  /// DARTS' CIFAR evaluation recipe (METHODS.md §1.6) with a CPU-sized epoch count.
  public init(
    epochs: Int = 20, batchSize: Int = 96, lr: Double = 0.025, momentum: Double = 0.9, weightDecay: Double = 3e-4,
    gradClip: Double = 5, dropPath: Double? = nil, cutout: Int = 0, labelSmoothing: Double = 0, seed: UInt64 = 1,
    threads: Int = 2, data: String = "digits", trainLimit: Int? = nil, downsample: Int? = nil
  ) {
    self.epochs = epochs
    self.batchSize = batchSize
    self.lr = lr
    self.momentum = momentum
    self.weightDecay = weightDecay
    self.gradClip = gradClip
    self.dropPath = dropPath
    self.cutout = cutout
    self.labelSmoothing = labelSmoothing
    self.seed = seed
    self.threads = threads
    self.data = data
    self.trainLimit = trainLimit
    self.downsample = downsample
  }
}

extension TrainSettings {
  /// What makes these settings impossible to train with, or nil: the same bounds the command's
  /// flags have, applied to settings read back from a checkpoint a user may have edited.
  public var problem: String? {
    func finite(_ x: Double) -> Bool { x.isFinite }
    if epochs < 1 { return "epochs \(epochs) (at least 1)" }
    if batchSize < 2 { return "batch size \(batchSize) (at least 2)" }
    if !(finite(lr) && lr > 0) { return "learning rate \(lr) (a positive number)" }
    if !(0..<1).contains(momentum) { return "momentum \(momentum) (in [0, 1))" }
    if !(finite(weightDecay) && weightDecay >= 0) { return "weight decay \(weightDecay) (not negative)" }
    if !(finite(gradClip) && gradClip >= 0) { return "gradient clip \(gradClip) (not negative)" }
    if let d = dropPath, !(0..<1).contains(d) { return "drop path \(d) (in [0, 1))" }
    if cutout < 0 { return "cutout \(cutout) (not negative)" }
    if !(0..<1).contains(labelSmoothing) { return "label smoothing \(labelSmoothing) (in [0, 1))" }
    if !(1...1024).contains(threads) { return "\(threads) threads (1 to 1024)" }
    if let l = trainLimit, l < 1 { return "limit \(l) (at least 1)" }
    if let d = downsample, d < 1 { return "downsample \(d) (at least 1)" }
    return nil
  }
}

/// One line of a training run's `metrics.jsonl`.
public struct TrainEpochMetrics: Codable, Equatable, Sendable {
  /// The epoch (0-based).
  public var epoch: Int
  /// Learning rate used.
  public var lr: Double
  /// Drop-path probability used.
  public var dropPath: Double
  /// Mean training loss (main head).
  public var trainLoss: Double
  /// Training accuracy.
  public var trainAcc: Double
  /// Test loss.
  public var testLoss: Double
  /// Test accuracy.
  public var testAcc: Double
  /// Wall-clock seconds.
  public var seconds: Double

  enum CodingKeys: String, CodingKey {
    case epoch, lr, seconds
    case dropPath = "drop_path", trainLoss = "train_loss", trainAcc = "train_acc", testLoss = "test_loss", testAcc =
      "test_acc"
  }
}

/// Trains a fixed architecture (an IR with every choice decided) from scratch and tests it.
public final class TrainRun {
  /// The compiled fixed architecture (evaluation skeleton).
  public let ir: SpaceIR
  /// Settings.
  public let settings: TrainSettings
  /// The network.
  public let model: SupernetModel
  /// Its SGD.
  public let optimizer: SGD
  /// Training images.
  public let trainData: ImageDataset
  /// Test images.
  public let testData: ImageDataset
  var sampler: BatchSampler
  var rng: RNG
  /// Epochs completed.
  public private(set) var epoch = 0
  /// Steps completed within the current epoch.
  public private(set) var stepInEpoch = 0
  var accumulator = EpochAccumulator()
  /// Metrics of completed epochs.
  public private(set) var history: [TrainEpochMetrics] = []
  private let schedule: CosineAnnealing
  /// Loss weight of the auxiliary head.
  public let auxiliaryWeight: Float

  /// Builds the network and optimizer; `train`/`test` must be normalised.
  public init(ir: SpaceIR, settings: TrainSettings, train: ImageDataset, test: ImageDataset, augmentation: Augmentation)
    throws
  {
    self.ir = ir
    self.settings = settings
    Engine.threads = settings.threads
    var root = RNG(seed: settings.seed)
    var initRNG = root.split()
    let dataRNG = root.split()
    rng = root.split()
    do { model = try SupernetModel(ir.network, rng: &initRNG) } catch let e as LoweringError {
      throw RunError(
        "E312", "cannot build the network of \(ir.name): \(e.description)",
        help:
          "nasc train runs cell, layer-wise, routing and memory-bank architectures (Grammar.md: *Memory banks* says how a memory layer lowers)"
      )
    }
    // Batch norm in training needs two values per channel: one image is not a batch.
    guard train.count >= 2 else {
      throw RunError(
        "E205",
        "training needs at least 2 images (the data set has \(train.count)): batch norm normalises over the batch",
        help: "use a larger data set or a larger --limit")
    }
    trainData = train
    testData = test
    var aug = augmentation
    aug.cutoutLength = settings.cutout
    sampler = BatchSampler(dataset: train, batchSize: settings.batchSize, augmentation: aug, rng: dataRNG)
    optimizer = SGD(
      model.weights, learningRate: Float(settings.lr), momentum: Float(settings.momentum),
      weightDecay: Float(settings.weightDecay))
    schedule = CosineAnnealing(base: Float(settings.lr), totalEpochs: settings.epochs, minimum: 0)
    auxiliaryWeight = Float(ir.network.auxiliary?.weight ?? 0)
  }

  /// Whether every epoch has run.
  public var isFinished: Bool { epoch >= settings.epochs }

  /// The drop-path probability at the current epoch: p_max · epoch / epochs.
  public var dropPath: Float {
    Float((settings.dropPath ?? ir.network.dropPath) * Double(epoch) / Double(max(settings.epochs, 1)))
  }

  /// Trains the rest of the current epoch and evaluates on the test set. Returns false if
  /// `shouldStop` asked to stop between two steps (the run can then be checkpointed and resumed).
  public func runEpoch(shouldStop: () -> Bool = { false }, progress: (Int, Int) -> Void = { _, _ in }) throws -> Bool {
    let start = Date()
    optimizer.learningRate = schedule.learningRate(at: epoch)
    let steps = sampler.batchesPerEpoch
    model.train()
    while stepInEpoch < steps {
      if shouldStop() { return false }
      let b = sampler.next()
      let x = Tensor(shape: [b.count, trainData.channels, trainData.height, trainData.width], scalars: b.pixels)
      var ctx = ForwardContext(rng: rng.split(), dropPath: dropPath)
      model.zeroGrad()
      let (logits, aux) = model(x, plan: ForwardPlan(), context: &ctx)
      let labels = b.labels.map(Int.init)
      var loss = crossEntropy(logits: logits, labels: labels, labelSmoothing: Float(settings.labelSmoothing))
      let value = loss.scalar
      guard value.isFinite else {
        throw RunError(
          "E401",
          "the training loss became \(value.isNaN ? "NaN" : "infinite") at epoch \(epoch + 1), step \(stepInEpoch + 1)",
          help: "lower the learning rate with --lr; the last checkpoint is kept")
      }
      if let aux, auxiliaryWeight > 0 {
        loss =
          loss + crossEntropy(logits: aux, labels: labels, labelSmoothing: Float(settings.labelSmoothing))
          * auxiliaryWeight
      }
      loss.backward()
      _ = clipGradNorm(model.weights, maxNorm: Float(settings.gradClip))
      optimizer.step()
      accumulator.add(
        loss: Double(value), correct: zip(logits.argmaxRows(), labels).filter { $0 == $1 }.count, count: b.count)
      stepInEpoch += 1
      progress(stepInEpoch, steps)
    }
    accumulator.seconds += Date().timeIntervalSince(start)
    let (tl, ta) = evaluate(testData)
    history.append(
      TrainEpochMetrics(
        epoch: epoch, lr: Double(optimizer.learningRate), dropPath: Double(dropPath), trainLoss: accumulator.meanLoss,
        trainAcc: accumulator.accuracy, testLoss: tl, testAcc: ta, seconds: accumulator.seconds))
    accumulator = EpochAccumulator()
    epoch += 1
    stepInEpoch = 0
    return true
  }

  /// Mean loss of the current epoch's steps so far.
  public var runningTrainLoss: Double { accumulator.meanLoss }

  /// Loss and accuracy on `data` in evaluation mode.
  public func evaluate(_ data: ImageDataset, batchSize: Int = 256) -> (loss: Double, accuracy: Double) {
    evaluateClassifier(model, on: data, batchSize: batchSize) { (ForwardPlan(), RNG(seed: 0)) }
  }

  /// Saves the network, optimizer, generator states and position.
  public func saveCheckpoint(to url: URL, network: String) throws {
    let state = TrainState(
      settings: settings, network: network, epoch: epoch, stepInEpoch: stepInEpoch, sampler: sampler.state,
      rng: rng.state,
      accumulator: accumulator, history: history)
    let meta = try RunState.encode(state)
    do {
      try Checkpoint.save(module: model, optimizers: ["weights": optimizer], metadata: ["nasc.train": meta], to: url)
    } catch {
      throw RunError(
        "E301", "cannot write the checkpoint: \(error)", help: "check free disk space and permissions", path: url.path)
    }
  }

  /// The settings stored in a training checkpoint.
  public static func checkpointSettings(at url: URL) throws -> TrainSettings { try readState(url).settings }

  /// The checkpoint's state; `E303` when its settings or position are impossible (an edited file).
  static func readState(_ url: URL) throws -> TrainState {
    let state = try RunState.read(TrainState.self, key: "nasc.train", from: url, kind: "train")
    let problem =
      state.settings.problem
      ?? (!(0...state.settings.epochs).contains(state.epoch) || state.stepInEpoch < 0
        ? "position epoch \(state.epoch), step \(state.stepInEpoch) of \(state.settings.epochs) epochs" : nil)
    if let problem {
      throw RunError(
        "E303", "the checkpoint's training settings are impossible: \(problem)",
        help: "the file was edited or damaged; start a new run in another --out", path: url.path)
    }
    return state
  }

  /// Continues from a checkpoint written by `saveCheckpoint`. Throws `E304` if it was written for
  /// another network (`network` is the fingerprint `saveCheckpoint` was given).
  public func restore(from url: URL, network: String) throws {
    let help = "resume with the --arch and space the run started with, or train into another --out"
    let state = try Self.readState(url, network: network, help: help)
    try Self.load(model, optimizers: ["weights": optimizer], from: url, help: help)
    epoch = state.epoch
    stepInEpoch = state.stepInEpoch
    sampler.restore(state.sampler)
    rng = RNG(seed: state.rng)
    accumulator = state.accumulator
    history = state.history
  }
}

extension TrainRun {
  /// Loads the network weights and batch-norm statistics of the training checkpoint at `url` into
  /// `model`: `E303` for a damaged file or one of another kind, `E304` when it was written for
  /// another network (`network` is `TrainDriver.fingerprint` of the architecture `model` runs).
  public static func loadWeights(into model: SupernetModel, from url: URL, network: String) throws {
    let help = "give the arch document and space the checkpoint was trained with"
    _ = try readState(url, network: network, help: help)
    try load(model, from: url, help: help)
  }

  /// The checkpoint's state; `E304` when it was written for another network than `network`.
  static func readState(_ url: URL, network: String, help: String) throws -> TrainState {
    let state = try readState(url)
    guard state.network == nil || state.network == network else {
      throw RunError(
        "E304", "the checkpoint was written for another network (the architecture or its space changed)",
        help: help, path: url.path)
    }
    return state
  }

  /// Loads `model` (and `optimizers`) from the checkpoint; `E304` when its tensors do not fit.
  static func load(_ model: SupernetModel, optimizers: [String: any Optimizer] = [:], from url: URL, help: String)
    throws
  {
    do { try Checkpoint.load(module: model, optimizers: optimizers, from: url) } catch let e as CheckpointError {
      throw RunError("E304", "the checkpoint does not fit this network: \(e)", help: help, path: url.path)
    }
  }
}

struct TrainState: Codable {
  var settings: TrainSettings
  /// A fingerprint of the trained network (`TrainDriver.fingerprint`).
  var network: String?
  var epoch: Int
  var stepInEpoch: Int
  var sampler: SamplerState
  var rng: UInt64
  var accumulator: EpochAccumulator
  var history: [TrainEpochMetrics]
}
