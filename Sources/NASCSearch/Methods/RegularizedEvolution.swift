import NASCSpace
import Foundation
import NASCTensor

/// Regularized (aging) evolution (Real et al., AAAI 2019; METHODS.md §14.1).
///
/// ```
/// population = queue(); history = []
/// while |population| < P:  a = random_arch(); a.score = evaluate(a); push(a); history += a
/// while |history| < budget:
///   sample = S members of population, uniformly with replacement
///   parent = argmax_signal(sample)
///   child = mutate(parent)            (exactly one decision changed)
///   child.score = evaluate(child); push(child); history += child
///   pop_oldest(population)            (the oldest leaves, not the worst)
/// return argmax_signal(history)
/// ```
public final class RegularizedEvolution: SearchMethod {
  /// The registry name.
  public static let name = "evolution"
  let space: ArchSpace
  let evaluator: any Evaluator
  let populationSize: Int
  let sampleSize: Int
  let budget: Int
  var state: State

  /// What a checkpoint keeps: the generator, the population (oldest first) and the history.
  struct State: Codable {
    var rng: UInt64
    var population: [ScoredArchitecture] = []
    var history: [ScoredArchitecture] = []
  }

  /// Reads P, S and the budget; the evaluator decides how architectures are scored.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    populationSize = try h.int("population")
    sampleSize = try h.int("sample_size")
    budget = try h.int("budget")
    guard populationSize >= 1, sampleSize >= 1, budget >= 1 else {
      throw RunError(
        "E310", "population, sample_size and budget must be at least 1", help: "e.g. --set population=10")
    }
    evaluator = try c.requireEvaluator(Self.name)
    space = evaluator.space
    try space.checkSampleable()
    state = State(rng: c.run.seed)
  }

  /// Two phases: the random initial population, then `budget − P` aging cycles.
  public var phases: [Phase] {
    let p = min(populationSize, budget)
    return [
      Phase("population", unit: "architecture", units: p, stepsPerUnit: 1),
      Phase("evolve", unit: "cycle", units: budget - p, stepsPerUnit: 1),
    ]
  }
  /// No tensors: everything is in the state.
  public var parameterSets: [ParameterSet] { [] }

  /// A random member (phase 0) or one aging cycle (phase 1).
  public func step(at p: LoopPosition) throws {
    var rng = RNG(seed: state.rng)
    defer { state.rng = rng.state }
    if p.phase == 0 {
      let a = space.sample(rng: &rng)
      add(ScoredArchitecture(architecture: a, score: try evaluator.score(a)))
      return
    }
    guard !state.population.isEmpty else {
      throw RunError(
        "E303", "the evolution state has no population to draw parents from",
        help: "the checkpoint was edited or damaged; start a new run")
    }
    let sample = (0..<sampleSize).map { _ in state.population[rng.nextInt(below: state.population.count)] }
    let parent = sample.dropFirst().reduce(sample[0]) { $1.score.signal > $0.score.signal ? $1 : $0 }
    let child = space.mutate(parent.architecture, rng: &rng)
    add(ScoredArchitecture(architecture: child, score: try evaluator.score(child)))
    state.population.removeFirst()
  }

  func add(_ member: ScoredArchitecture) {
    state.population.append(member)
    state.history.append(member)
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
    try space.checkRestored((s.population + s.history).map(\.architecture), in: "evolution state")
    state = s
  }

  /// The best architecture of the history by the search signal.
  public func result() throws -> SearchResult { try ScoredArchitecture.best(state.history) }

  /// The current population, oldest first (for tests).
  public var population: [ScoredArchitecture] { state.population }
}
