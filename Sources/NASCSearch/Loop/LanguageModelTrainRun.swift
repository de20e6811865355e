import Foundation
import NASCData
import NASCSpace
import NASCTensor

/// Settings of training a fixed recurrent cell as a word-level language model: DARTS' RNN
/// evaluation recipe (METHODS.md §1.7, `rnn/train.py`) with a CPU-sized epoch count. Two parts of
/// that recipe are not reproduced: the SGD → ASGD switch (here the learning rate is cosine
/// annealed) and the random window length (here every window has `bptt` steps).
public struct LanguageModelSettings: Codable, Equatable, Sendable {
  /// Epochs (passes over the training split).
  public var epochs: Int
  /// Parallel token streams per batch.
  public var batchSize: Int
  /// Time steps per window of truncated back-propagation through time.
  public var bptt: Int
  /// Plain SGD learning rate, cosine annealed to 0.
  public var lr: Double
  /// Weight decay.
  public var weightDecay: Double
  /// Gradient-norm clip.
  public var gradClip: Double
  /// The dropouts.
  public var dropout: LanguageModelDropout
  /// Temporal activation regularisation β: β · mean((h_t − h_{t−1})²) is added to the loss.
  public var temporalPenalty: Double
  /// Streams of the validation and test passes.
  public var evalBatchSize: Int
  /// The seed of every random draw.
  public var seed: UInt64
  /// Engine threads.
  public var threads: Int
  /// The corpus, as given to `--data`.
  public var data: String

  /// DARTS' evaluation dropouts (output, hidden, x, input, embedding).
  public static let dartsEvalDropout = LanguageModelDropout(
    output: 0.75, hidden: 0.25, x: 0.75, input: 0.2, embedding: 0.1)

  /// DARTS' RNN evaluation recipe: batch 64, bptt 35, lr 20, weight decay 8e-7, clip 0.25, TAR 1e-3,
  /// evaluation batch 10.
  public init(
    epochs: Int = 10, batchSize: Int = 64, bptt: Int = 35, lr: Double = 20, weightDecay: Double = 8e-7,
    gradClip: Double = 0.25, dropout: LanguageModelDropout = Self.dartsEvalDropout, temporalPenalty: Double = 1e-3,
    evalBatchSize: Int = 10, seed: UInt64 = 1, threads: Int = 2, data: String = "kjv"
  ) {
    self.epochs = epochs
    self.batchSize = batchSize
    self.bptt = bptt
    self.lr = lr
    self.weightDecay = weightDecay
    self.gradClip = gradClip
    self.dropout = dropout
    self.temporalPenalty = temporalPenalty
    self.evalBatchSize = evalBatchSize
    self.seed = seed
    self.threads = threads
    self.data = data
  }

  /// What makes these settings impossible to train with, or nil (also checks settings read back
  /// from a checkpoint a user may have edited).
  public var problem: String? {
    if epochs < 1 { return "epochs \(epochs) (at least 1)" }
    if batchSize < 1 { return "batch size \(batchSize) (at least 1)" }
    if !(1...10_000).contains(bptt) { return "bptt \(bptt) (1 to 10000)" }
    if !(lr.isFinite && lr > 0) { return "learning rate \(lr) (a positive number)" }
    if !(weightDecay.isFinite && weightDecay >= 0) { return "weight decay \(weightDecay) (not negative)" }
    if !(gradClip.isFinite && gradClip >= 0) { return "gradient clip \(gradClip) (not negative)" }
    if let p = dropout.problem { return p }
    if !(temporalPenalty.isFinite && temporalPenalty >= 0) { return "TAR \(temporalPenalty) (not negative)" }
    if evalBatchSize < 1 { return "evaluation batch \(evalBatchSize) (at least 1)" }
    if !(1...1024).contains(threads) { return "\(threads) threads (1 to 1024)" }
    return nil
  }
}

/// One line of a language-model training run's `metrics.jsonl`.
public struct LanguageModelEpochMetrics: Codable, Equatable, Sendable {
  /// The epoch (0-based).
  public var epoch: Int
  /// Learning rate used.
  public var lr: Double
  /// Mean training cross-entropy per token (nats, dropout on, TAR excluded).
  public var trainLoss: Double
  /// Validation cross-entropy per token.
  public var validLoss: Double
  /// Validation perplexity.
  public var validPerplexity: Double
  /// Test cross-entropy per token.
  public var testLoss: Double
  /// Test perplexity.
  public var testPerplexity: Double
  /// Wall-clock seconds of training.
  public var seconds: Double

  enum CodingKeys: String, CodingKey {
    case epoch, lr, seconds
    case trainLoss = "train_loss", validLoss = "valid_loss", validPerplexity = "valid_ppl", testLoss = "test_loss"
    case testPerplexity = "test_ppl"
  }
}

/// Trains a fixed recurrent cell as a language model with truncated BPTT: the corpus is cut into
/// `batchSize` streams, windows of `bptt` steps are run in order, and the hidden state is carried
/// (detached) from one window to the next and from one epoch to the next.
public final class LanguageModelTrainRun {
  /// The compiled fixed architecture.
  public let ir: SpaceIR
  /// Settings.
  public let settings: LanguageModelSettings
  /// The network.
  public let model: LanguageModel
  /// Its SGD.
  public let optimizer: SGD
  /// The corpus.
  public let corpus: TokenCorpus
  let trainStreams: TokenStreams
  let windowStarts: [Int]
  var rng: RNG
  var hidden: Tensor
  /// Epochs completed.
  public private(set) var epoch = 0
  /// Windows completed within the current epoch.
  public private(set) var stepInEpoch = 0
  var lossSum = 0.0
  var tokenCount = 0
  var seconds = 0.0
  /// Metrics of completed epochs.
  public private(set) var history: [LanguageModelEpochMetrics] = []
  private let schedule: CosineAnnealing

  /// Builds the model and optimizer; `E312` when the network is not an embedding → recurrent cell →
  /// decoder language model, `E206` when the corpus's vocabulary is not the space's `tokens:`, and
  /// `E202` when a split is too short for the batch.
  public init(ir: SpaceIR, settings: LanguageModelSettings, corpus: TokenCorpus) throws {
    self.ir = ir
    self.settings = settings
    self.corpus = corpus
    Engine.threads = settings.threads
    var root = RNG(seed: settings.seed)
    var initRNG = root.split()
    rng = root.split()
    model = try LanguageModel.forRun(ir, corpus: corpus, rng: &initRNG)
    for (name, split, columns) in [
      ("train", corpus.train, settings.batchSize), ("valid", corpus.valid, settings.evalBatchSize),
      ("test", corpus.test, settings.evalBatchSize),
    ] where TokenStreams(split, columns: columns) == nil {
      throw RunError(
        "E202", "the \(name) split of \(corpus.name) (\(split.count) tokens) is too short for \(columns) streams",
        help: "lower --batch-size, or use a larger corpus")
    }
    trainStreams = TokenStreams(corpus.train, columns: settings.batchSize)!
    windowStarts = trainStreams.windowStarts(steps: settings.bptt)
    hidden = model.initialHidden(batch: settings.batchSize)
    optimizer = SGD(
      model.parameters(in: .weights), learningRate: Float(settings.lr), momentum: 0,
      weightDecay: Float(settings.weightDecay))
    schedule = CosineAnnealing(base: Float(settings.lr), totalEpochs: settings.epochs, minimum: 0)
  }

  /// Whether every epoch has run.
  public var isFinished: Bool { epoch >= settings.epochs }

  /// Windows per epoch.
  public var windowsPerEpoch: Int { windowStarts.count }

  /// Mean training cross-entropy of the current epoch's windows so far.
  public var runningTrainLoss: Double { tokenCount == 0 ? 0 : lossSum / Double(tokenCount) }

  /// Trains the rest of the current epoch, then evaluates on the validation and test splits.
  /// Returns false if `shouldStop` asked to stop between two windows.
  public func runEpoch(shouldStop: () -> Bool = { false }, progress: (Int, Int) -> Void = { _, _ in }) throws -> Bool {
    let start = Date()
    optimizer.learningRate = schedule.learningRate(at: epoch)
    model.train()
    let beta = Float(settings.temporalPenalty)
    while stepInEpoch < windowStarts.count {
      if shouldStop() {
        seconds += Date().timeIntervalSince(start)
        return false
      }
      let (inputs, targets) = trainStreams.window(at: windowStarts[stepInEpoch], steps: settings.bptt)
      var ctx = ForwardContext(rng: rng.split())
      model.zeroGrad()
      let out = model(inputs, hidden: hidden, plan: ForwardPlan(), dropout: settings.dropout, context: &ctx)
      var loss = crossEntropy(logits: out.logits, labels: targets.flatMap { $0 })
      let value = loss.scalar
      guard value.isFinite else {
        throw RunError(
          "E401",
          "the training loss became \(value.isNaN ? "NaN" : "infinite") at epoch \(epoch + 1), window \(stepInEpoch + 1)",
          help: "lower the learning rate with --lr or the clip; the last checkpoint is kept")
      }
      if beta > 0, let tar = LanguageModel.temporalActivationPenalty(out.states) { loss = loss + tar * beta }
      loss.backward()
      _ = clipGradNorm(optimizer.parameters, maxNorm: Float(settings.gradClip))
      optimizer.step()
      hidden = out.hidden.detached()
      let tokens = targets.count * settings.batchSize
      lossSum += Double(value) * Double(tokens)
      tokenCount += tokens
      stepInEpoch += 1
      progress(stepInEpoch, windowStarts.count)
    }
    seconds += Date().timeIntervalSince(start)
    let valid = evaluate(on: corpus.valid)
    let test = evaluate(on: corpus.test)
    history.append(
      LanguageModelEpochMetrics(
        epoch: epoch, lr: Double(optimizer.learningRate), trainLoss: runningTrainLoss, validLoss: valid,
        validPerplexity: Foundation.exp(valid), testLoss: test, testPerplexity: Foundation.exp(test), seconds: seconds))
    epoch += 1
    stepInEpoch = 0
    lossSum = 0
    tokenCount = 0
    seconds = 0
    return true
  }

  /// Cross-entropy per token (nats) of `tokens` without dropout, in `evalBatchSize` streams with the
  /// state carried across windows from zero; its exponential is the perplexity.
  public func evaluate(on tokens: [Int32]) -> Double {
    model.crossEntropy(on: tokens, columns: settings.evalBatchSize, bptt: settings.bptt) {
      (ForwardPlan(), RNG(seed: 0))
    }
  }

  /// Saves the network, optimizer, generator, carried hidden state and position.
  public func saveCheckpoint(to url: URL, network: String) throws {
    let state = LanguageModelTrainState(
      settings: settings, network: network, epoch: epoch, stepInEpoch: stepInEpoch, rng: rng.state,
      hidden: hidden.bitPatterns, lossSum: lossSum, tokenCount: tokenCount, seconds: seconds,
      history: history)
    let meta = try RunState.encode(state)
    do {
      try Checkpoint.save(module: model, optimizers: ["weights": optimizer], metadata: [Self.key: meta], to: url)
    } catch {
      throw RunError(
        "E301", "cannot write the checkpoint: \(error)", help: "check free disk space and permissions", path: url.path)
    }
  }

  /// The metadata key of the run state in a checkpoint.
  static let key = "nasc.train-lm"

  /// Whether the checkpoint at `url` was written by a language-model training run.
  public static func isLanguageModelCheckpoint(at url: URL) -> Bool {
    (try? Safetensors.read(from: url).metadata[key]) != nil
  }

  /// The settings stored in a language-model checkpoint.
  public static func checkpointSettings(at url: URL) throws -> LanguageModelSettings { try readState(url).settings }

  /// The checkpoint's state; `E303` when its settings or position are impossible (an edited file).
  static func readState(_ url: URL) throws -> LanguageModelTrainState {
    let state = try RunState.read(LanguageModelTrainState.self, key: key, from: url, kind: "train")
    let problem =
      state.settings.problem
      ?? (!(0...state.settings.epochs).contains(state.epoch) || state.stepInEpoch < 0 || state.tokenCount < 0
        ? "position epoch \(state.epoch), window \(state.stepInEpoch) of \(state.settings.epochs) epochs" : nil)
    if let problem {
      throw RunError(
        "E303", "the checkpoint's training settings are impossible: \(problem)",
        help: "the file was edited or damaged; start a new run in another --out", path: url.path)
    }
    return state
  }

  /// Continues from a checkpoint written by `saveCheckpoint`: `E304` if it was written for another
  /// network, `E303` when its position or state does not fit this run.
  public func restore(from url: URL, network: String) throws {
    let help = "resume with the --arch and space the run started with, or train into another --out"
    let state = try Self.readState(url)
    guard state.network == network else {
      throw RunError(
        "E304", "the checkpoint was written for another network (the architecture or its space changed)",
        help: help, path: url.path)
    }
    guard state.stepInEpoch <= windowStarts.count, state.hidden.count == settings.batchSize * model.hiddenSize else {
      throw RunError(
        "E303", "the checkpoint's position or hidden state does not fit this corpus and network",
        help: "resume with the --data the run started with, or start a new run in another --out", path: url.path)
    }
    do { try Checkpoint.load(module: model, optimizers: ["weights": optimizer], from: url) } catch let e
      as CheckpointError
    {
      throw RunError("E304", "the checkpoint does not fit this network: \(e)", help: help, path: url.path)
    }
    epoch = state.epoch
    stepInEpoch = state.stepInEpoch
    rng = RNG(seed: state.rng)
    hidden = Tensor(shape: [settings.batchSize, model.hiddenSize], bitPatterns: state.hidden)
    lossSum = state.lossSum
    tokenCount = state.tokenCount
    seconds = state.seconds
    history = state.history
  }
}

struct LanguageModelTrainState: Codable {
  var settings: LanguageModelSettings
  /// A fingerprint of the trained network (`TrainDriver.fingerprint`).
  var network: String
  var epoch: Int
  var stepInEpoch: Int
  var rng: UInt64
  /// The carried hidden state's bit patterns ([batch, C]).
  var hidden: [UInt32]
  var lossSum: Double
  var tokenCount: Int
  var seconds: Double
  var history: [LanguageModelEpochMetrics]
}
