import Foundation
import NASCData
import NASCSpace
import NASCTensor

/// A recurrent supernet language model whose weights every architecture of the space shares,
/// trained one sampled architecture per window (ENAS' RNN child, METHODS.md §11.2): the
/// token-sequence counterpart of `SharedWeightSupernet`.
///
/// The weights train on the training split cut into `batchSize` streams, read in windows of
/// `bptt` steps with the hidden state carried (detached) across windows and architectures. An
/// architecture is scored on the validation split without dropout: `rewardLoss` reads the next
/// validation window with its own carried state (the controller's rewards), `derivationLoss`
/// always the first window from a zero state (the same data for every candidate).
public final class SharedWeightLanguageModel {
  /// The compiled space.
  public let ir: SpaceIR
  /// Settings (`trainPortion` is unused: the corpus has its own validation split).
  public let settings: SharedWeightSettings
  /// Time steps per window.
  public let bptt: Int
  /// The training dropouts.
  public let dropout: LanguageModelDropout
  /// The supernet.
  public let model: LanguageModel
  /// Its SGD.
  public let optimizer: SGD
  /// The space's decisions.
  public let space: ArchSpace
  /// Runs exactly one architecture's ops.
  public let planner: ArchitecturePlan
  /// The corpus.
  public let corpus: TokenCorpus
  let trainStreams: TokenStreams
  let valStreams: TokenStreams
  let trainStarts: [Int]
  let valStarts: [Int]
  var trainHidden: Tensor
  var rewardHidden: Tensor
  var rewardWindow = 0
  /// The method's generator for architectures and dropout masks (checkpointed here).
  public var rng: RNG
  var lossSum = 0.0
  var tokenCount = 0

  /// The state that is not a tensor: the generator, the reward position, both carried hidden
  /// states (bit patterns) and the epoch's sums.
  public struct State: Codable, Equatable, Sendable {
    var rng: UInt64
    var rewardWindow: Int
    var trainHidden: [UInt32]
    var rewardHidden: [UInt32]
    var lossSum: Double
    var tokenCount: Int
  }

  /// Builds the supernet and draws its weights and the generator from `seed`; `maxHiddenNorm`
  /// rescales every stream's state to at most that norm after each time step (carpedm20's guard
  /// against ENAS' exploding activations, issue #6 there). `E312` when the
  /// space is not a language model, `E206` when the corpus's vocabulary is not its `tokens:`,
  /// `E202` when a split is too short for `batchSize` streams.
  public init(
    ir: SpaceIR, settings: SharedWeightSettings, corpus: TokenCorpus, dropout: LanguageModelDropout,
    maxHiddenNorm: Double? = nil, seed: UInt64, threads: Int
  ) throws {
    self.ir = ir
    self.settings = settings
    self.corpus = corpus
    self.dropout = dropout
    bptt = max(1, ir.network.sequence ?? 35)
    Engine.threads = threads
    var root = RNG(seed: seed)
    var initRNG = root.split()
    rng = root.split()
    model = try LanguageModel.forRun(ir, corpus: corpus, rng: &initRNG)
    model.maxHiddenNorm = maxHiddenNorm.map(Float.init)
    let splits = try LanguageModelSplits(corpus, columns: settings.batchSize, bptt: bptt)
    trainStreams = splits.train
    valStreams = splits.valid
    trainStarts = splits.trainStarts
    valStarts = splits.validStarts
    trainHidden = model.initialHidden(batch: settings.batchSize)
    rewardHidden = trainHidden
    optimizer = SGD(
      model.parameters(in: .weights), learningRate: Float(settings.weightLR), momentum: Float(settings.momentum),
      weightDecay: Float(settings.weightDecay), nesterov: settings.nesterov && settings.momentum > 0)
    space = ArchSpace(ir: ir)
    planner = ArchitecturePlan(ir: ir)
  }

  /// The weights, for the loop's checkpoints.
  public var parameterSets: [ParameterSet] { [.module("weights", model, optimizer: optimizer)] }

  /// Steps per epoch (windows of the training split).
  public var stepsPerEpoch: Int { trainStarts.count }

  /// Mean training cross-entropy per token of the current epoch so far.
  public var runningTrainLoss: Double { tokenCount == 0 ? 0 : lossSum / Double(tokenCount) }

  /// The non-tensor state.
  public var state: State {
    get {
      State(
        rng: rng.state, rewardWindow: rewardWindow, trainHidden: trainHidden.bitPatterns,
        rewardHidden: rewardHidden.bitPatterns, lossSum: lossSum, tokenCount: tokenCount)
    }
    set {
      rng = RNG(seed: newValue.rng)
      rewardWindow = newValue.rewardWindow
      trainHidden = Tensor(shape: trainHidden.shape, bitPatterns: newValue.trainHidden)
      rewardHidden = Tensor(shape: rewardHidden.shape, bitPatterns: newValue.rewardHidden)
      lossSum = newValue.lossSum
      tokenCount = newValue.tokenCount
    }
  }

  /// Checks a restored state against this corpus and network (`E303` for one that does not fit).
  public func check(_ s: State) throws {
    let size = settings.batchSize * model.hiddenSize
    guard s.trainHidden.count == size, s.rewardHidden.count == size, (0..<valStarts.count).contains(s.rewardWindow),
      s.tokenCount >= 0, s.lossSum.isFinite
    else {
      throw RunError(
        "E303", "the checkpoint's language-model state does not fit this corpus and network",
        help: "resume with the --data the run started with, or start a new run")
    }
  }

  /// The learning rate of `epoch` (cosine from `w_lr` to `w_lr_min`, with warm restarts when set).
  public func learningRate(epoch: Int) -> Float { settings.cosineLearningRate(at: epoch) }

  /// One SGD step of architecture `a` on training window `index`, with the dropouts and the
  /// gradient clip; the state carries on into the next window.
  public func step(_ a: Architecture, window index: Int, epoch: Int) throws {
    optimizer.learningRate = learningRate(epoch: epoch)
    model.zeroGrad()
    let window = trainStreams.window(at: trainStarts[index], steps: bptt)
    var ctx = ForwardContext(rng: rng.split())
    let out = model(window.inputs, hidden: trainHidden, plan: planner.plan(a), dropout: dropout, context: &ctx)
    let loss = crossEntropy(logits: out.logits, labels: window.targets.flatMap { $0 })
    let value = loss.scalar
    guard value.isFinite else {
      throw RunError(
        "E401", "the training loss became \(value.isNaN ? "NaN" : "infinite") in epoch \(epoch + 1)",
        help: "lower the learning rate (--set w_lr=...) or grad_clip; the last checkpoint is kept")
    }
    loss.backward()
    if let clip = settings.gradClip, clip > 0 { _ = clipGradNorm(optimizer.parameters, maxNorm: Float(clip)) }
    optimizer.step()
    trainHidden = out.hidden.detached()
    let tokens = window.targets.count * settings.batchSize
    lossSum += Double(value) * Double(tokens)
    tokenCount += tokens
  }

  /// Cross-entropy per token of `a` on `window` from `hidden`, without dropout; and the last state.
  func loss(_ a: Architecture, window: (inputs: [[Int]], targets: [[Int]]), hidden: Tensor) -> (Double, Tensor) {
    model.eval()
    defer { model.train() }
    var result = (0.0, hidden)
    withNoGrad {
      var ctx = ForwardContext(rng: RNG(seed: 0))
      let out = model(
        window.inputs, hidden: hidden, plan: planner.plan(a), dropout: LanguageModelDropout(), context: &ctx)
      result = (Double(crossEntropy(logits: out.logits, labels: window.targets.flatMap { $0 }).scalar), out.hidden)
    }
    return result
  }

  /// The loss of `a` on the next validation window, from the state the previous reward left.
  public func rewardLoss(_ a: Architecture) -> Double {
    let (value, hidden) = loss(
      a, window: valStreams.window(at: valStarts[rewardWindow], steps: bptt), hidden: rewardHidden)
    rewardHidden = hidden
    rewardWindow = (rewardWindow + 1) % valStarts.count
    return value
  }

  /// The loss of `a` on the first validation window from a zero state (the derivation's one batch).
  public func derivationLoss(_ a: Architecture) -> Double {
    loss(
      a, window: valStreams.window(at: valStarts[0], steps: bptt),
      hidden: model.initialHidden(batch: settings.batchSize)
    ).0
  }

  /// The end of an epoch: training loss and perplexity, learning rate; clears the sums.
  public func finishEpoch(epoch: Int, extra: Metrics = [:]) -> Metrics {
    var m: Metrics = [
      "epoch": .int(epoch), "lr": .number(Double(learningRate(epoch: epoch))),
      "train_loss": .number(runningTrainLoss), "train_ppl": .number(Foundation.exp(runningTrainLoss)),
    ]
    m.merge(extra) { _, b in b }
    lossSum = 0
    tokenCount = 0
    return m
  }
}
