import NASCSpace
import Foundation
import NASCTensor

/// Random search (the baseline of METHODS.md §14): architectures drawn uniformly from the
/// derivation rule's outputs, each scored by the evaluator; the best by the search signal wins.
///
/// ```
/// repeat budget times:
///   a = uniform_sample(space)        (a new one; a space smaller than the budget is used up)
///   a.score = evaluate(a)
/// return argmax_signal(history)
/// ```
public final class RandomSearch: SearchMethod {
  /// The registry name.
  public static let name = "random"
  let space: ArchSpace
  let evaluator: any Evaluator
  let budget: Int
  var state: State
  /// The architectures of `state.history`, for de-duplication (rebuilt on restore).
  var seen = Set<Architecture>()

  /// What a checkpoint keeps: the generator and every scored architecture.
  struct State: Codable {
    var rng: UInt64
    var history: [ScoredArchitecture] = []
  }

  /// Reads `budget`; the evaluator decides how architectures are scored.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    budget = try h.int("budget")
    guard budget >= 1 else { throw RunError("E310", "budget must be at least 1", help: "set budget=1 or more") }
    evaluator = try c.requireEvaluator(Self.name)
    space = evaluator.space
    try space.checkSampleable()
    state = State(rng: c.run.seed)
  }

  /// One phase: `budget` architectures.
  public var phases: [Phase] { [Phase("sample", unit: "architecture", units: budget, stepsPerUnit: 1)] }
  /// No tensors: everything is in the state.
  public var parameterSets: [ParameterSet] { [] }

  /// Draws a new architecture and scores it.
  public func step(at p: LoopPosition) throws {
    var rng = RNG(seed: state.rng)
    var a = space.sample(rng: &rng)
    var tries = 1
    while seen.contains(a) && tries < 1000 {
      a = space.sample(rng: &rng)
      tries += 1
    }
    state.rng = rng.state
    state.history.append(ScoredArchitecture(architecture: a, score: try evaluator.score(a)))
    seen.insert(a)
  }

  /// The architecture just scored and the best so far.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    ScoredArchitecture.report(state.history, space: space)
  }

  /// The state as JSON.
  public func saveState() throws -> Data { try MethodState.encode(state) }
  /// Restores it.
  public func restoreState(_ data: Data) throws {
    let s = try MethodState.decode(State.self, from: data, method: Self.name)
    try space.checkRestored(s.history.map(\.architecture), in: "random state")
    state = s
    seen = Set(state.history.map(\.architecture))
  }

  /// The best architecture by the search signal.
  public func result() throws -> SearchResult { try ScoredArchitecture.best(state.history) }
}
