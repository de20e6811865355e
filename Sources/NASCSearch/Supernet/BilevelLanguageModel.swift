import Foundation
import NASCData
import NASCSpace
import NASCTensor

/// A recurrent supernet language model with its architecture parameters and their two optimizers:
/// the token-sequence counterpart of `BilevelSupernet` (DARTS' RNN search, METHODS.md §1.7).
///
/// The weights train on the training split and α on the validation split, each cut into
/// `batchSize` streams and read in windows of `bptt` steps with its own hidden state carried
/// (detached) from window to window: step k of an epoch reads training window k and the next
/// validation window (the validation windows cycle). The weight loss adds temporal activation
/// regularisation; the architecture loss is the plain cross-entropy; both run with the dropouts on.
public final class BilevelLanguageModel {
  /// The compiled space.
  public let ir: SpaceIR
  /// Settings (`trainPortion` is unused: the corpus has its own validation split).
  public let settings: BilevelSettings
  /// Time steps per window.
  public let bptt: Int
  /// The dropouts of both steps.
  public let dropout: LanguageModelDropout
  /// Temporal activation regularisation β of the weight loss.
  public let temporalPenalty: Float
  /// How choice points are relaxed.
  public let relaxation: any Relaxation
  /// The supernet.
  public let model: LanguageModel
  /// α.
  public let arch: ArchitectureParameters
  /// The weights' SGD.
  public let weightOptimizer: SGD
  /// The architecture's Adam.
  public let archOptimizer: Adam
  /// The corpus.
  public let corpus: TokenCorpus
  let trainStreams: TokenStreams
  let valStreams: TokenStreams
  let trainStarts: [Int]
  let valStarts: [Int]
  let schedule: CosineAnnealing
  var trainHidden: Tensor
  var valHidden: Tensor
  var valWindow = 0
  var planRNG: RNG
  var lossSum = 0.0
  var tokenCount = 0

  /// The state that is not a tensor: the plan generator, the validation position, both carried
  /// hidden states (bit patterns) and the epoch's sums.
  public struct State: Codable, Equatable, Sendable {
    var planRNG: UInt64
    var valWindow: Int
    var trainHidden: [UInt32]
    var valHidden: [UInt32]
    var lossSum: Double
    var tokenCount: Int
  }

  /// Builds the supernet and draws its weights, α and the plan generator from `seed`, in that
  /// order; `E312` when the space is not a language model, `E206` when the corpus's vocabulary
  /// is not its `tokens:`, `E202` when a split is too short for `batchSize` streams.
  public init(
    ir: SpaceIR, settings: BilevelSettings, corpus: TokenCorpus, dropout: LanguageModelDropout,
    temporalPenalty: Double, seed: UInt64, threads: Int, relaxation: (ChoiceLayout) -> any Relaxation
  ) throws {
    self.ir = ir
    self.settings = settings
    self.corpus = corpus
    self.dropout = dropout
    self.temporalPenalty = Float(temporalPenalty)
    bptt = max(1, ir.network.sequence ?? 35)
    self.relaxation = relaxation(ChoiceLayout(ir))
    Engine.threads = threads
    var root = RNG(seed: seed)
    var initRNG = root.split()
    var archRNG = root.split()
    planRNG = root.split()
    model = try LanguageModel.forRun(ir, corpus: corpus, normalizesStates: true, rng: &initRNG)
    arch = ArchitectureParameters(ir: ir, inputs: false, scale: Float(settings.alphaInit), rng: &archRNG)
    let splits = try LanguageModelSplits(corpus, columns: settings.batchSize, bptt: bptt)
    trainStreams = splits.train
    valStreams = splits.valid
    trainStarts = splits.trainStarts
    valStarts = splits.validStarts
    trainHidden = model.initialHidden(batch: settings.batchSize)
    valHidden = trainHidden
    weightOptimizer = SGD(
      model.parameters(in: .weights), learningRate: Float(settings.weightLR), momentum: Float(settings.weightMomentum),
      weightDecay: Float(settings.weightDecay), nesterov: settings.nesterov)
    archOptimizer = Adam(
      arch.parameters, learningRate: Float(settings.archLR), beta1: Float(settings.archBetas[0]),
      beta2: Float(settings.archBetas[1]), weightDecay: Float(settings.archWeightDecay))
    schedule = CosineAnnealing(
      base: Float(settings.weightLR), totalEpochs: settings.epochs, minimum: Float(settings.weightLRMin))
  }

  /// The weights and the architecture parameters, for the loop's checkpoints.
  public var parameterSets: [ParameterSet] {
    [
      .module("weights", model, optimizer: weightOptimizer),
      .architecture("arch", arch, optimizer: archOptimizer),
    ]
  }

  /// Steps per epoch (windows of the training split).
  public var stepsPerEpoch: Int { trainStarts.count }

  /// Mean training cross-entropy per token of the current epoch so far.
  public var runningTrainLoss: Double { tokenCount == 0 ? 0 : lossSum / Double(tokenCount) }

  /// The non-tensor state.
  public var state: State {
    get {
      State(
        planRNG: planRNG.state, valWindow: valWindow, trainHidden: trainHidden.bitPatterns,
        valHidden: valHidden.bitPatterns, lossSum: lossSum, tokenCount: tokenCount)
    }
    set {
      planRNG = RNG(seed: newValue.planRNG)
      valWindow = newValue.valWindow
      trainHidden = Tensor(shape: trainHidden.shape, bitPatterns: newValue.trainHidden)
      valHidden = Tensor(shape: valHidden.shape, bitPatterns: newValue.valHidden)
      lossSum = newValue.lossSum
      tokenCount = newValue.tokenCount
    }
  }

  /// Checks a restored state against this corpus and network (`E303` for one that does not fit).
  public func check(_ s: State) throws {
    let size = settings.batchSize * model.hiddenSize
    guard s.trainHidden.count == size, s.valHidden.count == size, (0..<valStarts.count).contains(s.valWindow),
      s.tokenCount >= 0
    else {
      throw RunError(
        "E303", "the checkpoint's language-model state does not fit this corpus and network",
        help: "resume with the --data the run started with, or start a new run")
    }
  }

  /// Sets the weight learning rate of `epoch` on the cosine schedule and returns it.
  @discardableResult
  public func setLearningRate(epoch: Int) -> Float {
    weightOptimizer.learningRate = schedule.learningRate(at: epoch)
    return weightOptimizer.learningRate
  }

  /// Runs the window `inputs` from `hidden` under the relaxation's plan; returns the
  /// cross-entropy, the last state and every step's state.
  func forward(_ window: (inputs: [[Int]], targets: [[Int]]), hidden: Tensor, epoch: Int) -> (
    loss: Tensor, hidden: Tensor, states: [Tensor]
  ) {
    let plan = relaxation.plan(arch, epoch: epoch, rng: &planRNG)
    var ctx = ForwardContext(rng: planRNG.split(), skipDropout: plan.skipDropout)
    let out = model(window.inputs, hidden: hidden, plan: plan, dropout: dropout, context: &ctx)
    return (crossEntropy(logits: out.logits, labels: window.targets.flatMap { $0 }), out.hidden, out.states)
  }

  /// One architecture step on the next validation window: first order (weights frozen), or with
  /// `secondOrder` DARTS' unrolled estimate whose virtual step runs training window
  /// `secondOrder` from the carried training state (gradients clipped to `grad_clip`, as DARTS'
  /// recurrent architect clips them); the training state itself is left for the weight step.
  public func archStep(epoch: Int, secondOrder trainIndex: Int? = nil) throws {
    for p in arch.parameters { p.zeroGrad() }
    let window = valStreams.window(at: valStarts[valWindow], steps: bptt)
    let weights = model.parameters(in: .weights)
    var hidden = valHidden
    if let trainIndex {
      let trainWindow = trainStreams.window(at: trainStarts[trainIndex], steps: bptt)
      let start = valHidden
      try SecondOrder.unrolledGradient(
        weights: weights, arch: arch.parameters, optimizer: weightOptimizer,
        clip: settings.gradClip > 0 ? Float(settings.gradClip) : nil, stats: model.namedStats().map(\.stats),
        zeroWeights: { model.zeroGrad() },
        trainLoss: {
          let (loss, _, _) = forward(trainWindow, hidden: trainHidden, epoch: epoch)
          try checkFinite(loss.scalar, what: "training", epoch: epoch)
          return loss
        },
        valLoss: {
          let (loss, next, _) = forward(window, hidden: start, epoch: epoch)
          try checkFinite(loss.scalar, what: "architecture", epoch: epoch)
          hidden = next
          return loss
        })
    } else {
      for p in weights { p.requiresGrad = false }
      defer { for p in weights { p.requiresGrad = true } }
      let (loss, next, _) = forward(window, hidden: valHidden, epoch: epoch)
      try checkFinite(loss.scalar, what: "architecture", epoch: epoch)
      loss.backward()
      hidden = next
    }
    archOptimizer.step()
    valHidden = hidden.detached()
    valWindow = (valWindow + 1) % valStarts.count
    guard arch.parameters.allSatisfy({ $0.value.scalars.allSatisfy(\.isFinite) }) else {
      throw RunError(
        "E401", "the architecture parameters became NaN or infinite in epoch \(epoch + 1)",
        help: "lower the architecture learning rate (--set arch_lr=...); the last checkpoint is kept")
    }
  }

  /// One weight step on training window `index` of the epoch (α frozen).
  public func weightStep(window index: Int, epoch: Int) throws {
    model.zeroGrad()
    let window = trainStreams.window(at: trainStarts[index], steps: bptt)
    for p in arch.parameters { p.requiresGrad = false }
    defer { for p in arch.parameters { p.requiresGrad = true } }
    var (loss, hidden, states) = forward(window, hidden: trainHidden, epoch: epoch)
    let value = loss.scalar
    try checkFinite(value, what: "training", epoch: epoch)
    if temporalPenalty > 0, let tar = LanguageModel.temporalActivationPenalty(states) {
      loss = loss + tar * temporalPenalty
    }
    loss.backward()
    if settings.gradClip > 0 { _ = clipGradNorm(weightOptimizer.parameters, maxNorm: Float(settings.gradClip)) }
    weightOptimizer.step()
    trainHidden = hidden.detached()
    let tokens = window.targets.count * settings.batchSize
    lossSum += Double(value) * Double(tokens)
    tokenCount += tokens
  }

  func checkFinite(_ v: Float, what: String, epoch: Int) throws {
    guard v.isFinite else {
      throw RunError(
        "E401", "the \(what) loss became \(v.isNaN ? "NaN" : "infinite") in epoch \(epoch + 1)",
        help: "lower the learning rate (--set w_lr=... or --set arch_lr=...) or grad_clip; the last checkpoint is kept")
    }
  }

  /// Cross-entropy per token of the supernet on `tokens` without dropout (10 streams, the state
  /// carried from zero), under the relaxation's plan for `epoch` drawn from a generator of its own.
  public func evaluate(_ tokens: [Int32], epoch: Int, streams columns: Int = 10) -> Double {
    var rng = RNG(seed: UInt64(epoch + 1) &* 0x9E37_79B9)
    return model.crossEntropy(on: tokens, columns: columns, bptt: bptt) {
      let plan = relaxation.plan(arch, epoch: epoch, rng: &rng)
      return (plan, rng.split())
    }
  }

  /// The end of an epoch: the validation perplexity of the supernet and the α statistics
  /// (entropy, parameter-free share, softmax(α) per edge); clears the epoch's sums.
  public func finishEpoch(epoch: Int) throws -> Metrics {
    let val = evaluate(corpus.valid, epoch: epoch)
    try checkFinite(Float(val), what: "validation", epoch: epoch)
    var entropy = [String: MetricValue](), perEdge = [String: MetricValue](), free = [String: MetricValue]()
    for t in TemplateWeights.all(ir: ir, logits: arch.tensors(), edgeNormalization: false) {
      let e = t.weights.entropyPerEdge
      perEdge[t.template] = .numbers(e)
      entropy[t.template] = .number(e.isEmpty ? 0 : e.reduce(0, +) / Double(e.count))
      // Recurrent edge ops are all parameter-free (the projections belong to the nodes): no collapse signal.
      if !t.parameterFree.allSatisfy({ $0.allSatisfy { $0 } }) {
        free[t.template] = .number(t.weights.parameterFreeShare { edge, op in t.parameterFree[edge][op] })
      }
    }
    var alpha = [String: MetricValue]()
    for (id, p) in arch.entries where ir.choicePoint(id)?.kind == .op {
      alpha[id] = .numbers(p.value.detached().softmax().scalars.map(Double.init))
    }
    let m: Metrics = [
      "epoch": .int(epoch), "lr": .number(Double(weightOptimizer.learningRate)),
      "train_loss": .number(runningTrainLoss), "train_ppl": .number(Foundation.exp(runningTrainLoss)),
      "val_loss": .number(val), "val_ppl": .number(Foundation.exp(val)),
      "arch_steps_taken": .int(archOptimizer.stepCount),
      "alpha_entropy": .map(entropy), "alpha_entropy_per_edge": .map(perEdge), "parameter_free_share": .map(free),
      "alpha": .map(alpha),
    ]
    lossSum = 0
    tokenCount = 0
    return m
  }

  /// The progress summary of an epoch's metrics: perplexities and, per cell type, the
  /// parameter-free share (where some candidates have parameters) and the largest op weight.
  public static func summary(_ m: Metrics) -> String {
    var line = String(
      format: "train ppl %.1f  val ppl %.1f", m["train_ppl"]?.number ?? .nan, m["val_ppl"]?.number ?? .nan)
    guard case .map(let entropy)? = m["alpha_entropy"], case .map(let alpha)? = m["alpha"] else { return line }
    let free = m["parameter_free_share"].flatMap { v -> [String: MetricValue]? in
      if case .map(let f) = v { return f } else { return nil }
    }
    for t in entropy.keys.sorted() {
      let top = alpha.filter { $0.key.hasPrefix(t + ".") }.values.compactMap { v -> Double? in
        if case .numbers(let a) = v { return a.max() } else { return nil }
      }.max()
      line += "  \(t)"
      if let share = free?[t]?.number { line += String(format: " param-free %.2f", share) }
      if let top { line += String(format: " top-op %.3f", top) }
    }
    return line
  }
}
