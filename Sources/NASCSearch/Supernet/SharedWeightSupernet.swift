import Foundation
import NASCData
import NASCSpace
import NASCTensor

/// The hyperparameters of supernet training by path sampling (SPOS, FairNAS, One-Shot, random
/// search with weight sharing): SGD on one part of the training split, the rest held out to score
/// architectures with the inherited weights.
public struct SharedWeightSettings: Codable, Equatable, Sendable {
  /// How the learning rate falls.
  public enum Schedule: String, Codable, Sendable {
    /// `lr · (1 − t / T)` per step t of T (SPOS).
    case linear
    /// Cosine from `w_lr` to `w_lr_min` per epoch (DARTS' schedule; random search with weight sharing).
    case cosine
  }

  /// Epochs of supernet training.
  public var epochs: Int
  /// Minibatch size.
  public var batchSize: Int
  /// Fraction of the training split that trains the supernet; the rest scores architectures.
  public var trainPortion: Double
  /// SGD learning rate.
  public var weightLR: Double
  /// Final learning rate (cosine).
  public var weightLRMin: Double
  /// The schedule.
  public var schedule: Schedule
  /// SGD momentum.
  public var momentum: Double
  /// Weight decay.
  public var weightDecay: Double
  /// Whether weight decay applies only to convolution and linear weights (rank > 1), as in SPOS.
  public var decayOnlyWeights: Bool
  /// Gradient-norm clip, or nil.
  public var gradClip: Double?
  /// Label smoothing of the cross-entropy.
  public var labelSmoothing: Double
  /// Training batches that recalibrate BN before an architecture is scored (0 = none).
  public var bnBatches: Int
  /// Images per recalibration batch.
  public var bnBatchSize: Int
  /// Cosine with warm restarts (SGDR, ENAS): the first period in epochs, 0 for one period over
  /// the whole run; each later period is `restartFactor` times longer.
  public var restartEpochs = 0
  /// The growth of each restart period.
  public var restartFactor = 2
  /// Nesterov momentum (ENAS' child).
  public var nesterov = false

  /// Reads the common keys of `h`: `batch_size`, `train_portion`, `w_lr`, `w_momentum`,
  /// `w_weight_decay`, `bn_recalibration_batches`, `bn_batch_size`, and where the method has them
  /// `w_lr_min`, `grad_clip`, `label_smoothing`. `epochs` and the schedule are the method's.
  public init(_ h: Hyperparameters, epochs: Int, schedule: Schedule, decayOnlyWeights: Bool) throws {
    self.epochs = epochs
    self.schedule = schedule
    self.decayOnlyWeights = decayOnlyWeights
    batchSize = try h.int("batch_size")
    guard epochs >= 1 else {
      throw RunError("E310", "supernet training needs at least 1 epoch, not \(epochs)", help: "set epochs=1 or more")
    }
    guard batchSize >= 2 else {
      throw RunError("E310", "batch_size must be at least 2, not \(batchSize)", help: "set batch_size=2 or more")
    }
    trainPortion = try h.double("train_portion")
    guard trainPortion > 0, trainPortion < 1 else {
      throw RunError(
        "E310", "train_portion must lie strictly between 0 and 1, not \(trainPortion)",
        help: "the rest of the training split scores architectures; e.g. train_portion=0.8")
    }
    // SMASH has one Adam rate, `lr`, for its free weights and its hypernetwork.
    weightLR = try h.config["w_lr"] == nil ? h.double("lr") : h.double("w_lr")
    weightLRMin = h.config["w_lr_min"] == nil ? 0 : try h.double("w_lr_min")
    guard weightLR.isFinite, weightLR > 0, weightLRMin.isFinite, (0...weightLR).contains(weightLRMin) else {
      throw RunError(
        "E310", "w_lr must be a positive number and w_lr_min lie between 0 and it (got \(weightLR), \(weightLRMin))",
        help: "e.g. --set w_lr=0.1")
    }
    momentum = h.config["w_momentum"] == nil ? 0 : try h.double("w_momentum")
    weightDecay = try h.double("w_weight_decay")
    gradClip = h.config["grad_clip"] == nil ? nil : try h.double("grad_clip")
    labelSmoothing = h.config["label_smoothing"] == nil ? 0 : try h.double("label_smoothing")
    bnBatches = h.config["bn_recalibration_batches"] == nil ? 0 : try h.int("bn_recalibration_batches")
    bnBatchSize = h.config["bn_batch_size"] == nil ? 64 : try h.int("bn_batch_size")
  }

  /// The cosine learning rate of `epoch`: from `w_lr` to `w_lr_min` over the run, or over each
  /// warm-restart period.
  public func cosineLearningRate(at epoch: Int) -> Float {
    let (offset, length) = cosinePeriod(at: epoch)
    return CosineAnnealing(base: Float(weightLR), totalEpochs: length, minimum: Float(weightLRMin))
      .learningRate(at: offset)
  }

  /// Where epoch `epoch` lies in its cosine period: (epochs into the period, the period's length).
  public func cosinePeriod(at epoch: Int) -> (offset: Int, length: Int) {
    guard restartEpochs > 0 else { return (epoch, epochs) }
    var start = 0, length = restartEpochs
    while epoch >= start + length {
      start += length
      length *= max(restartFactor, 1)
    }
    return (epoch - start, length)
  }
}

/// One supernet whose weights every architecture of the space shares, trained by running sampled
/// paths (or, for One-Shot, dropped-out subsets of every op): the building block of the one-shot
/// methods. It takes a training step on the plans a method gives it and scores architectures
/// with the weights they inherit; the method decides which paths run.
public final class SharedWeightSupernet {
  /// The compiled space.
  public let ir: SpaceIR
  /// Settings.
  public let settings: SharedWeightSettings
  /// The supernet.
  public let model: SupernetModel
  /// Its SGD.
  public let optimizer: SGD
  /// The part of the training split that trains the supernet.
  public let trainData: ImageDataset
  /// The held-out part that architectures are scored on.
  public let valData: ImageDataset
  /// The space's decisions.
  public let space: ArchSpace
  /// Runs exactly one architecture's ops.
  public let planner: ArchitecturePlan
  /// The least and the most parameters and MACs a whole network of the space can have (exact for
  /// spaces of op choices; for cells whose nodes choose inputs, k times the cheapest and dearest
  /// incoming op per node).
  public let costRange: (least: ChoiceCosts, most: ChoiceCosts)
  let seed: UInt64
  var sampler: BatchSampler
  /// The method's generator for paths, permutations and architectures (checkpointed here).
  public var rng: RNG
  var accumulator = EpochAccumulator()
  var stepsDone = 0
  /// The steps of the whole supernet training (the linear schedule's T).
  public let totalSteps: Int
  /// The mean loss of the last step's pieces.
  public private(set) var lastLoss: Float = .nan

  /// The state that is not a tensor.
  public struct State: Codable, Equatable, Sendable {
    var sampler: SamplerState
    var rng: UInt64
    var accumulator: EpochAccumulator
    var stepsDone: Int
  }

  /// Builds the supernet, drawing its initial weights, the sampler's and the method's generators
  /// from `seed`, in that order; `recompute` trades a second forward pass of large layers for
  /// their activations' memory.
  public init(
    ir: SpaceIR, settings: SharedWeightSettings, data: ImageDataset, augmentation: Augmentation, seed: UInt64,
    threads: Int, recompute: Bool = false
  ) throws {
    if ir.network.route != nil {
      throw RunError(
        "E310", "\(ir.name) is a routing space (DenseNAS blocks), which the one-shot methods do not search",
        help: "search it with --method densenas")
    }
    self.ir = ir
    self.settings = settings
    self.seed = seed
    Engine.threads = threads
    var root = RNG(seed: seed)
    var initRNG = root.split()
    let samplerRNG = root.split()
    rng = root.split()
    do { model = try SupernetModel(ir.network, rng: &initRNG) } catch let e as LoweringError {
      throw RunError(
        "E312", "cannot build the supernet of \(ir.name): \(e.description)",
        help:
          "the one-shot methods run cell spaces, layer-wise spaces of choice layers and memory-bank spaces (Grammar.md: *Memory banks*)"
      )
    }
    let (train, val) = data.split(portion: settings.trainPortion)
    guard train.count >= 2, val.count >= 1 else {
      throw RunError(
        "E205", "the data set has too few images (\(data.count)) to hold some out for scoring architectures",
        help: "use a larger data set or a larger --limit")
    }
    trainData = train
    valData = val
    try SupernetEvaluator.checkCalibration(
      batches: settings.bnBatches, batchSize: settings.bnBatchSize, images: train.count)
    sampler = BatchSampler(dataset: train, batchSize: settings.batchSize, augmentation: augmentation, rng: samplerRNG)
    let onlyWeights = settings.decayOnlyWeights
    optimizer = SGD(
      model.weights, learningRate: Float(settings.weightLR), momentum: Float(settings.momentum),
      weightDecay: Float(settings.weightDecay), nesterov: settings.nesterov && settings.momentum > 0,
      decays: { onlyWeights ? $0.shape.count > 1 : true })
    space = ArchSpace(ir: ir)
    planner = ArchitecturePlan(ir: ir)
    costRange = Self.costRange(ir)
    totalSteps = settings.epochs * sampler.batchesPerEpoch
    // With `recompute`, layers and edges with large inputs keep only their input and run again in
    // backward (from 2^18 elements, 64 × 16 × 32 × 32): what a summed one-shot model needs. A single
    // path holds little, and rerunning it costs a third more time (SPOS at 3×32×32: 285 → 390 ms for
    // 826 → 495 MB). `NASC_RECOMPUTE=0|1` overrides, `NASC_RECOMPUTE_FROM` sets the size.
    let env = ProcessInfo.processInfo.environment
    model.setRecompute(
      env["NASC_RECOMPUTE"].map { $0 != "0" } ?? recompute,
      from: env["NASC_RECOMPUTE_FROM"] == nil ? 1 << 18 : MixedEdgeModule.defaultRecomputeFrom)
  }

  /// The steps of one epoch over `data`'s training part under `settings` (what `stepsPerEpoch`
  /// will be), for methods that count iterations rather than epochs.
  public static func stepsPerEpoch(_ data: ImageDataset, _ settings: SharedWeightSettings) -> Int {
    let train = data.split(portion: settings.trainPortion).first.count
    return max(1, train / max(1, min(settings.batchSize, train)))
  }

  /// The weights, for the loop's checkpoints.
  public var parameterSets: [ParameterSet] { [.module("weights", model, optimizer: optimizer)] }

  /// Steps per epoch.
  public var stepsPerEpoch: Int { sampler.batchesPerEpoch }

  /// Mean loss of the current epoch's steps so far.
  public var runningLoss: Double { accumulator.meanLoss }

  /// `requested` architectures to sample, capped at the number the space has (with a note when
  /// it is cut).
  public func sampleCount(_ requested: Int, key: String) -> (count: Int, note: String?) {
    guard let size = Int(ir.architectures.description), size < requested else { return (requested, nil) }
    return (size, "\(key) \(requested) is more than the \(size) architectures of \(ir.name): \(size) are sampled")
  }

  /// The non-tensor state.
  public var state: State {
    get { State(sampler: sampler.state, rng: rng.state, accumulator: accumulator, stepsDone: stepsDone) }
    set {
      sampler.restore(newValue.sampler)
      rng = RNG(seed: newValue.rng)
      accumulator = newValue.accumulator
      stepsDone = newValue.stepsDone
    }
  }

  /// The next training batch.
  public func nextBatch() -> Batch { sampler.next() }

  /// The learning rate of the next step in `epoch`.
  public func learningRate(epoch: Int) -> Float {
    switch settings.schedule {
    case .linear:
      return Float(settings.weightLR * (1 - Double(stepsDone) / Double(max(totalSteps, 1))))
    case .cosine: return settings.cosineLearningRate(at: epoch)
    }
  }

  /// A batch as a tensor.
  func input(_ b: Batch) -> Tensor {
    Tensor(shape: [b.count, trainData.channels, trainData.height, trainData.width], scalars: b.pixels)
  }

  /// One optimizer step on the summed gradients of `pieces`: each runs its plan on its batch and
  /// contributes its mean cross-entropy (FairNAS: m paths on one batch, gradients summed), or with
  /// `byImageShare` that loss times its share of all the pieces' images (One-Shot: one dropout
  /// pattern per ghost batch, so the sum is the minibatch mean). Parameters that no piece ran get
  /// no gradient and are left untouched by SGD (no momentum, no weight decay). Returns the mean
  /// loss of the pieces. `dropPath` drops each op output on the path with that probability (ENAS).
  @discardableResult
  public func step(
    _ pieces: [(plan: ForwardPlan, batch: Batch)], byImageShare: Bool = false, dropPath: Float = 0, epoch: Int
  ) throws
    -> Float
  {
    optimizer.learningRate = learningRate(epoch: epoch)
    model.zeroGrad()
    var total = 0.0
    let images = Float(pieces.reduce(0) { $0 + $1.batch.count })
    for piece in pieces {
      let scale = byImageShare ? Float(piece.batch.count) / images : 1
      let loss = try trainingLoss(piece.plan, on: piece.batch, dropPath: dropPath, epoch: epoch)
      (scale == 1 ? loss : loss * scale).backward()
      total += Double(loss.scalar)
    }
    if let clip = settings.gradClip { _ = clipGradNorm(model.weights, maxNorm: Float(clip)) }
    optimizer.step()
    stepsDone += 1
    lastLoss = Float(total / Double(max(pieces.count, 1)))
    return lastLoss
  }

  /// The training-mode cross-entropy of `plan` on `batch`, counted into the epoch's loss and
  /// accuracy; `E401` (its hint naming the rate's key, `rateKey`) when it is not finite.
  func trainingLoss(
    _ plan: ForwardPlan, on batch: Batch, dropPath: Float = 0, epoch: Int, rateKey: String = "w_lr"
  ) throws -> Tensor {
    var ctx = ForwardContext(rng: rng.split(), dropPath: dropPath)
    let (logits, _) = model(input(batch), plan: plan, context: &ctx)
    let loss = crossEntropy(
      logits: logits, labels: batch.labels.map(Int.init), labelSmoothing: Float(settings.labelSmoothing))
    let value = loss.scalar
    guard value.isFinite else {
      throw RunError(
        "E401", "the training loss became \(value.isNaN ? "NaN" : "infinite") in epoch \(epoch + 1)",
        help: "lower the learning rate (--set \(rateKey)=...); the last checkpoint is kept")
    }
    let hits = zip(logits.argmaxRows(), batch.labels).filter { $0 == Int($1) }.count
    accumulator.add(loss: Double(value), correct: hits, count: batch.count)
    return loss
  }

  /// The metrics of a supernet epoch (loss and accuracy of the paths it ran, learning rate);
  /// clears the epoch's sums.
  public func finishEpoch(epoch: Int, extra: Metrics = [:]) -> Metrics {
    var m: Metrics = [
      "epoch": .int(epoch), "lr": .number(Double(learningRate(epoch: epoch))),
      "train_loss": .number(accumulator.meanLoss), "train_acc": .number(accumulator.accuracy),
    ]
    m.merge(extra) { _, b in b }
    accumulator = EpochAccumulator()
    return m
  }

  /// The summary line of a supernet epoch.
  public static func summary(_ m: Metrics) -> String {
    String(
      format: "train loss %.3f acc %.1f%%  lr %.4f", m["train_loss"]?.number ?? .nan,
      100 * (m["train_acc"]?.number ?? .nan), m["lr"]?.number ?? .nan)
  }

  /// Scores architectures with the inherited weights after BN recalibration (the settings'
  /// batches), on the held-out images (the first `validationImages` of them when given).
  public func evaluator(validationImages: Int? = nil) -> SupernetEvaluator {
    SupernetEvaluator(
      ir: ir, model: model, calibration: trainData,
      validation: validationImages.map { valData.prefix($0) } ?? valData, calibrationBatches: settings.bnBatches,
      batchSize: settings.bnBatchSize, seed: seed)
  }

  /// Parameters and MACs of `a` as a whole network: every cell instance, layer and fixed part with
  /// the candidates `a`'s plan runs, counted as the stand-alone network that `nasc compile --arch`
  /// builds (its batch norms affine even where the supernet's are not).
  public func costs(_ a: Architecture) -> ChoiceCosts {
    let plan = planner.plan(a)
    let cost = Self.standalone
    func chosen(_ id: String?, _ candidates: [Candidate]) -> Cost {
      guard let id, candidates.count > 1 else { return candidates.reduce(Cost()) { $0 + cost($1.graph) } }
      switch plan.ops[id] {
      case .single(let i, _)?: return cost(candidates[i].graph)
      case .mixture(let active, _)?: return active.reduce(Cost()) { $0 + cost(candidates[$1].graph) }
      default: return Cost()
      }
    }
    var total = cost(ir.network.stem)
    // The running width: a width choice's layers and the blocks after them run at the widths `a` decides.
    var channels = ir.network.stem.outputShape.channels
    func fixedGraph(_ item: Int, _ g: PrimGraph) -> PrimGraph {
      ir.network.widthVariants[item]?.first { $0.inputChannels == channels }?.graphs[0] ?? g
    }
    for (index, item) in ir.network.items.enumerated() {
      switch item {
      case .layer(let l) where !l.variants.isEmpty:
        let v = SupernetModel.variant(l, input: channels, plan: plan)
        let atWidth = l.candidates.indices.map { i -> Candidate in
          var c = l.candidates[i]
          c.graph = v.graphs[i]
          return c
        }
        total += chosen(l.choice, atWidth)
      case .layer(let l): total += chosen(l.choice, l.candidates)
      case .cell(let c):
        for input in c.inputs { total += cost(input.preprocess) }
        if let p = c.postprocess { total += cost(p) }
        for node in c.nodes { for e in node.edges { total += chosen(e.choice, e.candidates) } }
      case .fixed(_, let g): total += cost(fixedGraph(index, g))
      default: total += CostModel.cost(item)
      }
      if case .layer(let l) = item, !l.variants.isEmpty {
        channels = SupernetModel.variant(l, input: channels, plan: plan).outputChannels
      } else if case .fixed(_, let g) = item {
        channels = fixedGraph(index, g).outputShape.channels
      } else {
        channels = item.shape.channels
      }
    }
    total += cost(fixedGraph(ir.network.items.count, ir.network.head))
    return ChoiceCosts(params: total.params, macs: total.macs)
  }

  /// The cost of `g` in a stand-alone network: every batch norm affine.
  static func standalone(_ g: PrimGraph) -> Cost {
    var c = CostModel.cost(g)
    for n in g.nodes { if case .batchNorm(let channels, false) = n.op { c.params += 2 * channels } }
    return c
  }

  /// See `costRange`.
  static func costRange(_ ir: SpaceIR) -> (least: ChoiceCosts, most: ChoiceCosts) {
    let cost = standalone
    func extremes(_ graphs: [PrimGraph]) -> (Cost, Cost) {
      let costs = graphs.map { cost($0) }
      return (
        Cost(params: costs.map(\.params).min() ?? 0, macs: costs.map(\.macs).min() ?? 0),
        Cost(params: costs.map(\.params).max() ?? 0, macs: costs.map(\.macs).max() ?? 0)
      )
    }
    let n = ir.network
    let (headLow, headHigh) = extremes(n.widthVariants[n.items.count]?.map(\.graphs[0]) ?? [n.head])
    var low = cost(n.stem) + headLow, high = cost(n.stem) + headHigh
    for (index, item) in ir.network.items.enumerated() {
      switch item {
      case .layer(let l):
        // With width variants, the extremes over every width (bounds: a width pair's cheapest
        // candidate and the cheapest width need not meet in one architecture).
        let (a, b) = extremes(l.variants.isEmpty ? l.candidates.map(\.graph) : l.variants.flatMap(\.graphs))
        low += a
        high += b
      case .cell(let c):
        var fixed = c.inputs.reduce(Cost()) { $0 + cost($1.preprocess) }
        if let p = c.postprocess { fixed += cost(p) }
        low += fixed
        high += fixed
        for node in c.nodes {
          if node.inputsChoice != nil {
            let (a, b) = extremes(node.edges.flatMap(\.candidates).map(\.graph))
            let k = min(ir.derive.k, node.edges.count)
            low += Cost(params: a.params * k, macs: a.macs * k)
            high += Cost(params: b.params * k, macs: b.macs * k)
          } else {
            for e in node.edges {
              let (a, b) = extremes(e.candidates.map(\.graph))
              low += a
              high += b
            }
          }
        }
      case .fixed(_, let g):
        let (a, b) = extremes(ir.network.widthVariants[index]?.map(\.graphs[0]) ?? [g])
        low += a
        high += b
      default:
        low += CostModel.cost(item)
        high += CostModel.cost(item)
      }
    }
    return (ChoiceCosts(params: low.params, macs: low.macs), ChoiceCosts(params: high.params, macs: high.macs))
  }
}

extension SharedWeightSupernet {
  /// The accuracy of `plan` on one batch, with BN in training mode (batch statistics) as ENAS
  /// scores a sampled child; no gradient, and the running statistics are left as they were.
  public func batchAccuracy(_ plan: ForwardPlan, on b: Batch, rng: RNG) -> Double {
    let stats = model.namedStats().map(\.stats)
    let saved = stats.map { ($0.mean, $0.variance, $0.batchesTracked) }
    defer { for (s, v) in zip(stats, saved) { (s.mean, s.variance, s.batchesTracked) = v } }
    var hits = 0
    withNoGrad {
      var ctx = ForwardContext(rng: rng)
      let (logits, _) = model(input(b), plan: plan, context: &ctx)
      hits = zip(logits.argmaxRows(), b.labels).filter { $0 == Int($1) }.count
    }
    return Double(hits) / Double(max(b.count, 1))
  }

  /// The progress detail: the running loss while the supernet trains, then the best score so far.
  public func progress(_ scored: [ScoredArchitecture]) -> String {
    guard let best = scored.map(\.score.signal).max() else { return String(format: "loss %.3f", runningLoss) }
    return String(format: "scored %d, best %.2f%%", scored.count, best)
  }

  /// `scored` as picture points; those in `front` flagged.
  public func points(_ scored: [ScoredArchitecture], front: Set<Architecture> = []) -> [ScoredPoint] {
    scored.map { s in
      let c = costs(s.architecture)
      return ScoredPoint(
        arch: space.text(s.architecture), signal: s.score.signal, macs: c.macs, params: c.params,
        onFront: front.contains(s.architecture))
    }
  }
}

/// The non-tensor state of a one-shot method: the supernet's and the architectures it scored.
public protocol SharedWeightState: Codable {
  /// The supernet's sampler, generator and sums.
  var net: SharedWeightSupernet.State { get set }
  /// Every architecture scored, in order.
  var history: [ScoredArchitecture] { get }
}

/// A method that trains a `SharedWeightSupernet`; its whole non-tensor state is one
/// `SharedWeightState`, which the default `saveState` / `restoreState` keep.
public protocol SharedWeightMethod: SearchMethod {
  /// The state's type.
  associatedtype State: SharedWeightState
  /// The supernet.
  var supernet: SharedWeightSupernet { get }
  /// The state (the supernet's part is refreshed on save).
  var state: State { get set }
  /// Called after a restore: checks the state and rebuilds what derives from it; throws `E303`.
  func restored() throws
  /// The accuracy (%) `nasc rank` compares with stand-alone training, when the method scores
  /// architectures otherwise than with the supernet's inherited weights (SMASH: generated
  /// weights); nil for the inherited weights after BN recalibration.
  func rankScore(_ a: Architecture) throws -> Double?
  /// What `rankScore` scores with, in words.
  var rankScoreDescription: String { get }
}

extension SharedWeightMethod {
  /// Inherited weights (no score of the method's own).
  public func rankScore(_ a: Architecture) throws -> Double? { nil }
  /// The inherited weights.
  public var rankScoreDescription: String { "inherited weights" }

  /// The running loss while the supernet trains, then the best score so far.
  public var progressDetail: String { supernet.progress(state.history) }

  /// The state as JSON.
  public func saveState() throws -> Data {
    state.net = supernet.state
    return try MethodState.encode(state)
  }

  /// Restores it.
  public func restoreState(_ data: Data) throws {
    let decoded = try MethodState.decode(State.self, from: data, method: Self.name)
    // An architecture that does not decide every unit would plan an edge or layer with nothing to
    // run (a trap in the engine), so an edited state is refused here.
    for s in decoded.history {
      if let problem = supernet.space.problem(s.architecture) {
        throw RunError(
          "E303", "the checkpoint's \(Self.name) state holds an architecture that is not of this space: \(problem)",
          help: "the file was edited or damaged; start a new run")
      }
    }
    state = decoded
    supernet.state = state.net
    try restored()
  }

  /// Every scored architecture as picture points.
  func scoredPoints(front: Set<Architecture> = []) -> [ScoredPoint] { supernet.points(state.history, front: front) }

  /// The supernet of `c`'s space under `h`'s common keys (`SharedWeightSettings`).
  static func supernet(
    _ c: MethodContext, _ h: Hyperparameters, epochs: Int, schedule: SharedWeightSettings.Schedule,
    decayOnlyWeights: Bool = false, recompute: Bool = false
  ) throws -> SharedWeightSupernet {
    let net = try SharedWeightSupernet(
      ir: c.ir,
      settings: try SharedWeightSettings(h, epochs: epochs, schedule: schedule, decayOnlyWeights: decayOnlyWeights),
      data: try c.requireData(Self.name), augmentation: c.augmentation, seed: c.run.seed, threads: c.run.threads,
      recompute: recompute)
    try net.space.checkSampleable()
    return net
  }
}
