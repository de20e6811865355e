import Foundation
import NASCData
import NASCSpace
import NASCTensor

/// One-Shot (Bender et al., ICML 2018; METHODS.md §12; the paper's specifics are unverified).
///
/// ```
/// one-shot model: every op on every input, summed (the `none` op never runs)
/// for each step t of T, for each ghost batch of ghost_batch images of the minibatch:
///   r_t = path_dropout · t / T                      (grows linearly from 0)
///   at a node (or layer) with k incoming ops, drop each independently with probability r_t^(1/k),
///   so that all k are dropped with probability r_t; if all are, keep one uniformly
///   loss += (ghost share) · CE(model with the kept ops)  (BN statistics per ghost batch)
/// one SGD step; dropped ops get no gradient, so L2 reaches only the ops that ran
/// ranking: `samples` architectures drawn uniformly, each scored with the one-shot weights
///   (the ops it does not use zeroed, BN recalibrated); return the best
/// ```
/// Outputs are summed without rescaling in training and in scoring alike.
public final class OneShot: SharedWeightMethod {
  /// The registry name.
  public static let name = "oneshot"
  let net: SharedWeightSupernet
  let evaluator: SupernetEvaluator
  let dropRate: Double
  let ghost: Int
  let samples: Int
  let perUnit: Int
  /// Per node or layer, its incoming (choice id, candidate) pairs that can run.
  let groups: [[(id: String, op: Int)]]
  /// Where this run departs from the paper's values.
  public let notes: [String]
  public var state: State
  var seen = Set<Architecture>()

  public struct State: SharedWeightState {
    public var net: SharedWeightSupernet.State
    public var history: [ScoredArchitecture] = []
  }

  /// Builds the one-shot model.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    if c.ir.network.hasWidthChoices {
      throw RunError(
        "E310", "oneshot runs every candidate of a layer at once, and a width choice has one width per pass",
        help: "search width choices with spos, fairnas or random-ws")
    }
    net = try Self.supernet(c, h, epochs: try h.int("epochs"), schedule: .cosine, recompute: true)
    evaluator = net.evaluator()
    dropRate = try h.double("path_dropout")
    ghost = try h.int("ghost_batch")
    let (samples, cut) = net.sampleCount(try h.int("samples"), key: "samples")
    self.samples = samples
    guard (0..<1).contains(dropRate), ghost >= 2, samples >= 1 else {
      throw RunError(
        "E310", "path_dropout must lie in [0, 1), ghost_batch be at least 2 and samples at least 1",
        help: "e.g. --set path_dropout=0.5 ghost_batch=32 samples=100")
    }
    let n = samples
    perUnit = (1...min(50, n)).last { n % $0 == 0 } ?? 1
    var groups = [[(id: String, op: Int)]]()
    var seenIDs = Set<String>()
    for cell in c.ir.cells {
      for node in cell.nodes {
        var g = [(id: String, op: Int)]()
        for e in node.edges {
          guard let id = e.choice, !seenIDs.contains(id) else { continue }
          for (i, cand) in e.candidates.enumerated() where !cand.graph.isZero { g.append((id, i)) }
        }
        for e in node.edges { if let id = e.choice { seenIDs.insert(id) } }
        if !g.isEmpty { groups.append(g) }
      }
    }
    for layer in c.ir.layers {
      guard let id = layer.choice, seenIDs.insert(id).inserted else { continue }
      groups.append(layer.candidates.indices.filter { !layer.candidates[$0].graph.isZero }.map { (id, $0) })
    }
    self.groups = groups
    notes =
      (net.settings.batchSize > ghost ? [] : ["ghost_batch \(ghost) ≥ batch_size: one ghost batch per step"])
      + (cut.map { [$0] } ?? [])
    state = State(net: net.state)
  }

  /// Training epochs, then the ranking of `samples` architectures (checkpointed every `perUnit`).
  public var phases: [Phase] {
    [
      Phase("supernet", units: net.settings.epochs, stepsPerUnit: net.stepsPerEpoch),
      Phase("ranking", unit: "block", units: samples / perUnit, stepsPerUnit: perUnit),
    ]
  }
  /// The one-shot weights.
  public var parameterSets: [ParameterSet] { net.parameterSets }
  /// The supernet.
  public var supernet: SharedWeightSupernet { net }

  /// r_t: the target rate times the share of training done (never more than the target).
  var currentRate: Double { dropRate * min(1, Double(net.stepsDone) / Double(max(net.totalSteps, 1))) }

  /// The plan of one ghost batch: every op kept with probability 1 − r^(1/k) at its node.
  func droppedPlan(rate r: Double) -> ForwardPlan {
    var kept = [String: [Int]]()
    for g in groups {
      let q = r > 0 ? pow(r, 1 / Double(g.count)) : 0
      var keep = g.filter { _ in net.rng.nextDouble() >= q }
      if keep.isEmpty { keep = [g[net.rng.nextInt(below: g.count)]] }
      for (id, op) in keep { kept[id, default: []].append(op) }
      for (id, _) in g where kept[id] == nil { kept[id] = [] }
    }
    var plan = ForwardPlan()
    for (id, ops) in kept { plan.ops[id] = ArchitecturePlan.edgePlan(ops) }
    return plan
  }

  /// One step over the ghost batches of a minibatch, or the scoring of one sampled architecture.
  public func step(at p: LoopPosition) throws {
    if p.phase == 0 {
      let batch = net.nextBatch()
      let rate = currentRate
      // Ghost batches of `ghost` images; a last one of a single image joins the one before.
      var starts = Array(stride(from: 0, to: batch.count, by: ghost))
      if starts.count > 1, batch.count - starts[starts.count - 1] < 2 { starts.removeLast() }
      let pieces = starts.enumerated().map { i, start -> (plan: ForwardPlan, batch: Batch) in
        let end = i + 1 < starts.count ? starts[i + 1] : batch.count
        return (droppedPlan(rate: rate), batch.slice(start..<end))
      }
      try net.step(pieces, byImageShare: true, epoch: p.unit)
      return
    }
    // Distinct architectures while the space has new ones (a few tries), else a repeat.
    var a = net.space.sample(rng: &net.rng)
    for _ in 0..<200 where seen.contains(a) { a = net.space.sample(rng: &net.rng) }
    seen.insert(a)
    state.history.append(ScoredArchitecture(architecture: a, score: try evaluator.score(a)))
  }

  /// The supernet epoch's losses, or the ranking so far.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    if p.phase == 0 {
      let m = net.finishEpoch(
        epoch: p.unit, extra: ["path_dropout": .number(currentRate)])
      return (m, SharedWeightSupernet.summary(m) + String(format: "  drop %.2f", m["path_dropout"]?.number ?? 0))
    }
    return ScoredArchitecture.report(state.history, space: net.space)
  }

  /// Rebuilds the set of scored architectures.
  public func restored() throws {
    seen = Set(state.history.map(\.architecture))
  }

  /// The best sampled architecture by its one-shot score.
  public func result() throws -> SearchResult {
    var r = try ScoredArchitecture.best(state.history)
    r.scored = scoredPoints()
    return r
  }
}
