import Foundation
import NASCSpace
import NASCTensor

/// Random search with weight sharing (Li & Talwalkar, UAI 2019; METHODS.md §14.2).
///
/// ```
/// supernet: B steps; each minibatch trains one uniformly random architecture (per node of each
///   cell type: 2 distinct inputs, an op on each), SGD with cosine lr and gradient clipping
/// selection: max(1, B / round_steps) rounds, each:
///   sample `samples` random architectures; score each on eval_batches minibatches of held-out data
///   re-score the `top` best on the whole held-out part; keep the best
/// return the best over the rounds
/// ```
public final class RandomWS: SharedWeightMethod {
  /// The registry name.
  public static let name = "random-ws"
  let net: SharedWeightSupernet
  let quick: SupernetEvaluator
  let full: SupernetEvaluator
  let samples: Int, top: Int, rounds: Int
  /// Where this run departs from the paper's values.
  public let notes: [String]
  public var state: State

  public struct State: SharedWeightState {
    public var net: SharedWeightSupernet.State
    /// This round's quick scores, in sampling order.
    var round: [ScoredArchitecture] = []
    /// Every full-data score, rounds in order.
    public var history: [ScoredArchitecture] = []
    /// Per finished round, the index into `history` of its best.
    var winners: [Int] = []
  }

  /// Builds the supernet.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    net = try Self.supernet(c, h, epochs: try h.int("epochs"), schedule: .cosine)
    let (samples, cut) = net.sampleCount(try h.int("samples"), key: "samples")
    self.samples = samples
    notes = cut.map { [$0] } ?? []
    top = try h.int("top")
    let evalBatches = try h.int("eval_batches"), roundSteps = try h.int("round_steps")
    guard samples >= 1, top >= 1, evalBatches >= 1, roundSteps >= 1 else {
      throw RunError(
        "E310", "samples, top, eval_batches and round_steps must be at least 1",
        help: "the paper samples 1000, re-scores the top 10 and scores on 10 minibatches")
    }
    quick = net.evaluator(validationImages: evalBatches * net.settings.batchSize)
    full = net.evaluator()
    rounds = max(1, net.totalSteps / roundSteps)
    state = State(net: net.state)
  }

  /// Supernet epochs, then the selection rounds (`samples` quick scores and `top` full ones each).
  public var phases: [Phase] {
    [
      Phase("supernet", units: net.settings.epochs, stepsPerUnit: net.stepsPerEpoch),
      Phase("selection", unit: "round", units: rounds, stepsPerUnit: samples + min(top, samples)),
    ]
  }
  /// The shared weights.
  public var parameterSets: [ParameterSet] { net.parameterSets }
  /// The supernet.
  public var supernet: SharedWeightSupernet { net }

  /// One minibatch on a random architecture; or a quick score of a random architecture, then a
  /// full score of one of the round's best.
  public func step(at p: LoopPosition) throws {
    if p.phase == 0 {
      let a = net.space.sample(rng: &net.rng)
      try net.step([(net.planner.plan(a), net.nextBatch())], epoch: p.unit)
      return
    }
    if p.step < samples {
      let a = net.space.sample(rng: &net.rng)
      state.round.append(ScoredArchitecture(architecture: a, score: try quick.score(a)))
      return
    }
    let best = state.round.enumerated().sorted { x, y in
      x.element.score.signal != y.element.score.signal
        ? x.element.score.signal > y.element.score.signal : x.offset < y.offset
    }
    guard best.indices.contains(p.step - samples) else {
      throw RunError(
        "E303", "the random-ws round holds \(best.count) scores at step \(p.step + 1) of its round",
        help: "the checkpoint was edited or damaged; start a new run")
    }
    let a = best[p.step - samples].element.architecture
    state.history.append(ScoredArchitecture(architecture: a, score: try full.score(a)))
  }

  /// The supernet epoch's losses, or the round's winner.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    if p.phase == 0 {
      let m = net.finishEpoch(epoch: p.unit)
      return (m, SharedWeightSupernet.summary(m))
    }
    let rescored = Array(state.history.suffix(min(top, samples)))
    guard !rescored.isEmpty else {
      throw RunError("E303", "the random-ws round ended without a re-scored architecture", help: "start a new run")
    }
    let first = state.history.count - rescored.count
    let winner = rescored.indices.dropFirst().reduce(0) {
      rescored[$1].score.signal > rescored[$0].score.signal ? $1 : $0
    }
    state.winners.append(first + winner)
    state.round = []
    let w = rescored[winner]
    let m: Metrics = [
      "round": .int(p.unit), "arch": .text(net.space.text(w.architecture)), "signal": .number(w.score.signal),
      "best_signal": .number(state.winners.map { state.history[$0].score.signal }.max() ?? .nan),
    ]
    return (m, String(format: "round winner %.2f%%  best %.2f%%", w.score.signal, m["best_signal"]?.number ?? .nan))
  }

  /// The running loss, then the best score of the round so far.
  public var progressDetail: String { net.progress(state.history + state.round) }

  /// Checks that the round winners point into the history and the round's architectures are legal.
  public func restored() throws {
    guard state.winners.allSatisfy({ state.history.indices.contains($0) }) else {
      throw RunError("E303", "the random-ws winners point outside its history", help: "start a new run")
    }
    try net.space.checkRestored(state.round.map(\.architecture), in: "random-ws round")
  }

  /// The best round winner by its full held-out score.
  public func result() throws -> SearchResult {
    var r = try ScoredArchitecture.best(state.winners.map { state.history[$0] })
    r.scored = scoredPoints()
    return r
  }
}
