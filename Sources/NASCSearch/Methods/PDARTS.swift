import Foundation
import NASCSpace
import NASCTensor

/// P-DARTS (Chen et al., ICCV 2019; METHODS.md §4).
///
/// ```
/// alive = every op on every edge
/// for stage s = 1, 2, 3 (cells: the space's + add_layers[s]):
///   fresh network and optimizers; mixtures over the alive ops only
///   identity ops are followed by dropout(p_s(epoch))   (skip-connect dropout)
///   for each epoch: DARTS steps (first order; α after warmup_epochs, α gradients clipped)
///   keep the num_to_keep[s] ops of highest softmax(α) per edge   (after the last stage: derive)
/// derive: none dropped; per node the top-2 edges by their best op;
///   while the normal cell has more than skip_cap skip_connect:
///     zero the smallest kept skip weight and re-pick that edge's op and the top-2 edges
/// ```
public final class PDARTS: SupernetMethod {
  /// The registry name.
  public static let name = "p-darts"
  let context: MethodContext
  private(set) var settings: BilevelSettings
  var archBudget: ArchStepBudget?
  let addLayers: [Int]
  let keep: [Int]
  let dropoutRate: [Double]
  let warmup: Int
  let baseCells: Int
  let stepsPerEpoch: Int
  /// Where this run departs from the paper's values.
  public private(set) var notes: [String] = []
  var stageIR: SpaceIR
  var net: BilevelSupernet?
  var state: State
  var pendingNet: BilevelSupernet.State?

  /// The switches (alive ops per edge, by choice id) and the current stage's sampler positions.
  struct State: Codable {
    var alive: [String: [Int]]
    var net: BilevelSupernet.State?
  }

  /// Reads the stage settings; the first stage's network is built when the loop enters it.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    context = c
    settings = try BilevelSettings(h, nesterov: false)
    keep = try h.counts("num_to_keep", in: 1...1_000)
    addLayers = try h.counts("add_layers", in: -1_000...1_000, count: keep.count)
    dropoutRate = try h.list("dropout_rate", count: keep.count)
    guard !keep.isEmpty, keep.allSatisfy({ $0 >= 1 }) else {
      throw RunError(
        "E310", "num_to_keep needs one count of at least 1 per stage", help: "the paper's is [5, 3, 1]")
    }
    guard dropoutRate.allSatisfy({ (0..<1).contains($0) }) else {
      throw RunError(
        "E310", "dropout_rate \(dropoutRate) has a rate outside [0, 1)", help: "the paper's rates are [0, 0.4, 0.7]")
    }
    guard addLayers.allSatisfy({ c.ir.cells.count + $0 >= 1 }) else {
      throw RunError(
        "E310", "add_layers \(addLayers) leaves a stage without cells (the space has \(c.ir.cells.count))",
        help: "every stage needs at least one cell: cells + add_layers[s] ≥ 1")
    }
    let paper = try h.int("warmup_epochs")
    warmup = min(paper, Int(0.3 * Double(settings.epochs)))
    if warmup < paper {
      notes.append(
        "warm-up shortened from \(paper) to \(warmup) epochs per stage (⌊0.3 · \(settings.epochs)⌋); --set warmup_epochs=N sets it"
      )
    }
    baseCells = c.ir.cells.count
    stageIR = c.ir
    let data = try c.requireData(Self.name)
    let budget = try ArchStepBudget(
      h, method: Self.name, settings: &settings, archEpochs: settings.epochs - warmup, data: data)
    notes += BilevelSupernet.notes(settings, data: data) + [budget.note]
    archBudget = budget
    // As the stage's weight sampler counts them: the batches of the weight half (batch ≤ its size).
    let half = data.split(portion: settings.trainPortion).first.count
    stepsPerEpoch = half / max(1, min(settings.batchSize, half))
    var alive = [String: [Int]]()
    for cp in c.ir.choicePoints where cp.kind == .op { alive[cp.id] = Array(cp.candidates.indices) }
    state = State(alive: alive)
  }

  /// One phase per stage, `epochs` epochs each.
  public var phases: [Phase] {
    keep.indices.map { s in
      Phase("stage \(s + 1) (\(baseCells + addLayers[s]) cells)", units: settings.epochs, stepsPerUnit: stepsPerEpoch)
    }
  }

  /// The stage's weights and α, and the switches (read by `nasc derive`).
  public var parameterSets: [ParameterSet] {
    guard let net else { return [] }
    let switches = ParameterSet(
      name: "switches", optimizer: nil,
      tensors: { [state] in
        state.alive.mapValues { Tensor($0.map(Float.init)) }
      }, load: { _ in })
    return net.parameterSets + [switches]
  }

  /// The supernet of the current stage.
  public var supernet: BilevelSupernet {
    guard let net else { preconditionFailure("P-DARTS has no network before its first stage") }
    return net
  }

  /// Builds stage `s`: the space with more cells, a fresh network and optimizers, mixtures over the
  /// alive ops.
  public func enterPhase(_ s: Int) throws {
    stageIR = s == 0 && addLayers[0] == 0 ? context.ir : try context.compile(cells: baseCells + addLayers[s])
    let rate = Float(dropoutRate[s]), epochs = settings.epochs, warmup = self.warmup
    let alive = state.alive
    net = try BilevelSupernet(
      ir: stageIR, settings: settings, data: try context.requireData(Self.name), augmentation: context.augmentation,
      seed: context.run.seed &+ UInt64(s) &* 0x9E37_79B9_7F4A_7C15, threads: context.run.threads,
      edgeNormalization: false
    ) { layout in
      SoftmaxMixture(
        layout: layout, edgeNormalization: false, alive: alive,
        skipDropout: { epoch in Self.skipDropout(rate: rate, epoch: epoch, epochs: epochs, warmup: warmup) })
    }
    net?.archBudget = archBudget
    if let saved = pendingNet {
      net?.state = saved
      pendingNet = nil
    }
  }

  /// The skip-connect dropout of an epoch: `rate · (E − e − 1)/E` during the warm-up, then
  /// `rate · exp(−0.2 · (e − E0))`.
  public static func skipDropout(rate: Float, epoch: Int, epochs: Int, warmup: Int) -> Float {
    epoch < warmup
      ? rate * Float(epochs - epoch - 1) / Float(epochs) : rate * Float(exp(-0.2 * Double(epoch - warmup)))
  }

  /// DARTS' step: α (after the warm-up, gradients clipped) then w.
  public func step(at p: LoopPosition) throws {
    let net = supernet
    net.setLearningRate(epoch: p.unit)
    let (train, val) = net.nextBatches()
    if p.unit >= warmup {
      try net.archStep(val, train: train, epoch: p.unit, secondOrder: false, gradClip: settings.gradClip)
    }
    try net.weightStep(train, epoch: p.unit)
  }

  /// The running training loss.
  public var progressDetail: String { String(format: "loss %.3f", net?.runningTrainLoss ?? .nan) }

  /// Losses, α statistics, the skip dropout and the ops each edge keeps.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    let rate = Float(dropoutRate[p.phase])
    let drop = Self.skipDropout(rate: rate, epoch: p.unit, epochs: settings.epochs, warmup: warmup)
    var kept = [String: MetricValue]()
    for (id, live) in state.alive {
      if let names = stageIR.choicePoint(id)?.candidates {
        kept[id] = .text(live.map { names[$0] }.joined(separator: ","))
      }
    }
    let m = try supernet.finishEpoch(
      epoch: p.unit, archSteps: p.unit >= warmup,
      extra: ["stage": .int(p.phase + 1), "skip_dropout": .number(Double(drop)), "alive": .map(kept)])
    return (m, BilevelSupernet.summary(m) + String(format: "  skip-drop %.2f", drop))
  }

  /// After stages before the last: keep the `num_to_keep` ops of highest softmax(α) per edge.
  public func endPhase(_ s: Int) throws {
    guard s < keep.count - 1 else { return }
    let logits = supernet.arch.tensors()
    state.alive = Self.prune(
      alive: state.alive, logits: logits, keep: keep[s], nonZero: ChoiceLayout(stageIR).nonZero)
  }

  /// Per op choice, the `keep` live candidates of highest softmax over the live ones (ties: the
  /// earlier candidate). At least one of them is an op that computes something (not `none`, per
  /// `nonZero`), so that every edge still has an op to derive.
  public static func prune(
    alive: [String: [Int]], logits: [String: Tensor], keep: Int, nonZero: [String: [Int]] = [:]
  ) -> [String: [Int]] {
    alive.reduce(into: [:]) { out, entry in
      let (id, live) = entry
      guard let alpha = logits[id], live.count > keep else {
        out[id] = live
        return
      }
      let p = alpha.gathered(live).softmax().scalars
      let order = live.indices.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }.map { live[$0] }
      var kept = Array(order.prefix(keep))
      if let real = nonZero[id], !kept.contains(where: real.contains),
        let best = order.first(where: real.contains)
      {
        kept[kept.count - 1] = best
      }
      out[id] = kept.sorted()
    }
  }

  /// The state as JSON.
  public func saveState() throws -> Data { try MethodState.encode(State(alive: state.alive, net: net?.state)) }
  /// Restores it; the stage's network takes the sampler positions when it is built.
  public func restoreState(_ data: Data) throws {
    state = try MethodState.decode(State.self, from: data, method: Self.name)
    for (id, live) in state.alive {
      let n = context.ir.choicePoint(id)?.candidates.count ?? 0
      guard !live.isEmpty, live.allSatisfy({ (0..<n).contains($0) }), Set(live).count == live.count else {
        throw RunError(
          "E303", "the checkpoint's P-DARTS switches for \(id) are not a set of its candidates: \(live)",
          help: "the file was edited or damaged; start a new run")
      }
    }
    pendingNet = state.net
  }

  /// §4.4: the last stage's softmax over its alive ops, none dropped, top-2 edges per node, and
  /// the skip-connect cap of the space's rule in the normal cell.
  public func result() throws -> SearchResult {
    let a = try Derivation.derive(
      ir: stageIR, logits: supernet.arch.tensors(), edgeNormalization: false, rule: stageIR.derive, alive: state.alive)
    return SearchResult(architecture: a)
  }
}
