import Foundation
import NASCSpace
import NASCTensor

/// FairNAS (Chu et al., ICCV 2021; METHODS.md §9).
///
/// ```
/// supernet, strict fairness: each step, on one batch:
///   m = lcm of the layers' candidate counts c_l (6 on FairNAS' space); when that exceeds twice the
///   largest count, m = the largest count (each candidate then trains ⌊m/c_l⌋ or ⌈m/c_l⌉ times)
///   per layer l: random permutations of its candidates, concatenated, cut to m
///   for k = 1..m: path k takes the k-th entry at every layer; backprop CE(path_k); accumulate
///   one SGD step (cosine lr) on the accumulated gradients
///   → within a step every candidate of layer l is trained exactly m / c_l times
/// expectation fairness: one uniform path per step
/// search, NSGA-II over (accuracy ↑, MACs ↓, params ↓), accuracy with inherited weights after
/// BN recalibration:
///   P = population random paths
///   per generation: offspring = population × (binary tournament parents → crossover → each layer
///     redrawn with p = mutation_prob), unvisited ones only; P = the population best of P ∪
///     offspring by front, then crowding distance
/// return the most accurate path; pareto.jsonl holds the non-dominated front of every path scored;
///   per --target (macs<=N, params<=N): the most accurate path scored that meets it
/// ```
public final class FairNAS: SharedWeightMethod {
  /// The registry name.
  public static let name = "fairnas"
  /// Reports one architecture per `--target`.
  public static let usesTargets = true
  let net: SharedWeightSupernet
  let evaluator: SupernetEvaluator
  let strict: Bool
  let units: [ArchSpace.OpUnit]
  let paths: Int
  let populationSize: Int, generations: Int, mutationProb: Double
  let targets: [CostTarget]
  /// Where this run departs from the paper's values.
  public let notes: [String]
  public var state: State
  var seen = Set<Architecture>()

  public struct State: SharedWeightState {
    public var net: SharedWeightSupernet.State
    public var history: [ScoredArchitecture] = []
    /// Indices into `history`.
    var population: [Int] = []
  }

  /// How many times the largest candidate count the lcm of the counts may be before the strict
  /// rule falls back to m = the largest count (see `init`).
  static let maxPathFactor = 2

  /// Builds the supernet; every decision must be an op choice (layers, or cell edges decided one
  /// by one).
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    net = try Self.supernet(c, h, epochs: try h.int("epochs"), schedule: .cosine)
    units = try net.space.units.map { u in
      guard case .op(let o) = u else {
        throw RunError(
          "E310", "fairnas trains one op per choice fairly, but \(u.key) chooses a cell node's inputs",
          help: "use a layer-wise space (spaces/fairnas-digits.yaml) or one whose cell edges each choose an op")
      }
      return o
    }
    evaluator = net.evaluator()
    targets = c.run.costTargets
    for t in targets {
      let cheapest = net.costRange.least
      guard t.admits(cheapest) else {
        throw RunError(
          "E316",
          "no architecture of \(c.ir.name) meets --target \(t): the cheapest has \(cheapest.macs) MACs and \(cheapest.params) params",
          help: "loosen the target")
      }
    }
    strict = try h.string("fairness") == "strict"
    populationSize = try h.int("population")
    generations = try h.int("generations")
    mutationProb = try h.double("mutation_prob")
    guard populationSize >= 2, generations >= 0, (0...1).contains(mutationProb) else {
      throw RunError(
        "E310", "population must be at least 2, generations at least 0 and mutation_prob in [0, 1]",
        help: "e.g. --set population=20")
    }
    let counts = units.map(\.candidates.count)
    // The lcm, stopped once it exceeds every bound that uses it (no overflow).
    let lcm = counts.reduce(1) { a, b in a > 1 << 20 ? a : a / Self.gcd(a, b) * b }
    var notes = [String]()
    let largest = counts.max() ?? 1
    if strict && lcm > Self.maxPathFactor * largest {
      // Equal counts per step would need too many paths: m = the largest count, each layer's
      // sequence drawn from fresh permutations (counts per step differ by at most one).
      paths = largest
      notes.append(
        "the layers' candidate counts \(Set(counts).sorted()) have lcm \(lcm): \(paths) paths per step instead, fair to within one activation per step"
      )
    } else {
      paths = strict ? lcm : 1
    }
    if strict && Set(counts).count > 1 && lcm <= Self.maxPathFactor * largest {
      notes.append("layers have \(Set(counts).sorted()) candidates: \(lcm) paths per step (their lcm)")
    }
    self.notes = notes
    state = State(net: net.state)
  }

  static func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? max(a, 1) : gcd(b, a % b) }

  /// Supernet epochs, then the NSGA-II generations (the first scores the initial population).
  public var phases: [Phase] {
    [
      Phase("supernet", units: net.settings.epochs, stepsPerUnit: net.stepsPerEpoch),
      Phase("nsga2", unit: "generation", units: 1 + generations, stepsPerUnit: 1),
    ]
  }
  /// The supernet's weights.
  public var parameterSets: [ParameterSet] { net.parameterSets }
  /// The supernet.
  public var supernet: SharedWeightSupernet { net }

  /// The paths of one strictly fair step: per layer a sequence of `paths` candidates made of
  /// random permutations; path k takes entry k of every sequence.
  func fairPaths() -> [Architecture] {
    var columns = [[String]]()
    for u in units {
      var sequence = [String]()
      while sequence.count < paths {
        var perm = u.candidates
        net.rng.shuffle(&perm)
        sequence += perm
      }
      columns.append(Array(sequence.prefix(paths)))
    }
    return (0..<paths).map { k in
      Architecture(decisions: Dictionary(uniqueKeysWithValues: zip(units.map(\.key), columns.map { .op($0[k]) })))
    }
  }

  /// One fair supernet step, or one NSGA-II generation.
  public func step(at p: LoopPosition) throws {
    if p.phase == 0 {
      let batch = net.nextBatch()
      let archs = strict ? fairPaths() : [net.space.sample(rng: &net.rng)]
      try net.step(archs.map { (net.planner.plan($0), batch) }, epoch: p.unit)
      return
    }
    if p.unit == 0 {
      var fresh = [Int]()
      for _ in 0..<(10 * populationSize) where fresh.count < populationSize {
        if let i = try admit(net.space.sample(rng: &net.rng)) { fresh.append(i) }
      }
      state.population = fresh
      return
    }
    let pop = state.population
    let points = pop.map { objectives(state.history[$0]) }
    var rank = [Int](repeating: 0, count: pop.count), crowd = [Double](repeating: 0, count: pop.count)
    for (r, front) in Pareto.fronts(points).enumerated() {
      for (i, d) in zip(front, Pareto.crowding(points, front: front)) { (rank[i], crowd[i]) = (r, d) }
    }
    func tournament() -> Architecture {
      let a = net.rng.nextInt(below: pop.count), b = net.rng.nextInt(below: pop.count)
      let better = rank[a] != rank[b] ? (rank[a] < rank[b] ? a : b) : (crowd[a] >= crowd[b] ? a : b)
      return state.history[pop[better]].architecture
    }
    var offspring = [Int]()
    for _ in 0..<(10 * populationSize) where offspring.count < populationSize {
      let child = net.space.crossover(tournament(), tournament(), rng: &net.rng)
      if let i = try admit(net.space.resample(child, probability: mutationProb, rng: &net.rng)) { offspring.append(i) }
    }
    let merged = pop + offspring
    state.population = Pareto.select(merged.map { objectives(state.history[$0]) }, count: populationSize).map {
      merged[$0]
    }
  }

  /// (−accuracy, MACs, params): every objective minimised.
  func objectives(_ s: ScoredArchitecture) -> [Double] {
    let c = net.costs(s.architecture)
    return [-s.score.signal, Double(c.macs), Double(c.params)]
  }

  /// Scores `a` unless it was scored before; returns its history index.
  func admit(_ a: Architecture) throws -> Int? {
    guard seen.insert(a).inserted else { return nil }
    state.history.append(ScoredArchitecture(architecture: a, score: try evaluator.score(a)))
    return state.history.count - 1
  }

  /// The non-dominated front of every architecture scored, most accurate first.
  public var paretoFront: [ScoredArchitecture] {
    let all = state.history
    return Pareto.nonDominated(all.map(objectives)).map { all[$0] }.sorted { $0.score.signal > $1.score.signal }
  }

  /// The supernet epoch's losses, or the generation's front.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    if p.phase == 0 {
      let m = net.finishEpoch(epoch: p.unit, extra: ["paths_per_step": .int(strict ? paths : 1)])
      return (m, SharedWeightSupernet.summary(m))
    }
    let front = paretoFront
    guard let best = front.first else {
      throw RunError("E310", "no architecture could be scored", help: "the space has nothing to decide")
    }
    let m: Metrics = [
      "generation": .int(p.unit), "scored": .int(state.history.count), "front_size": .int(front.count),
      "best_arch": .text(net.space.text(best.architecture)), "best_signal": .number(best.score.signal),
      "best_mmacs": .number(Double(net.costs(best.architecture).macs) / 1e6),
    ]
    let summary = String(
      format: "scored %d  front %d  best %.2f%% (%.3g MMACs)", state.history.count, front.count, best.score.signal,
      Double(net.costs(best.architecture).macs) / 1e6)
    return (m, summary)
  }

  /// Checks the population and rebuilds the set of scored architectures.
  public func restored() throws {
    guard state.population.allSatisfy({ state.history.indices.contains($0) }) else {
      throw RunError("E303", "the fairnas population points outside its history", help: "start a new run")
    }
    seen = Set(state.history.map(\.architecture))
  }

  /// The most accurate architecture of the front, with the front as `pareto.jsonl`.
  public func result() throws -> SearchResult {
    let front = paretoFront
    var r = try ScoredArchitecture.best(front)
    for t in targets {
      // The front holds the most accurate architecture under any cost limit.
      if let best = front.first(where: { t.admits(net.costs($0.architecture)) }) {
        r.alternatives[t.slug] = best.architecture
      } else {
        let least = state.history.map { net.costs($0.architecture) }.min { $0.macs < $1.macs }
        r.unmet.append(
          "none of the \(state.history.count) architectures scored meets --target \(t) (the cheapest scored: \(least?.macs ?? 0) MACs, \(least?.params ?? 0) params)"
        )
      }
    }
    r.scored = net.points(state.history, front: Set(front.map(\.architecture)))
    r.files["pareto.jsonl"] = front.map { s in
      let c = net.costs(s.architecture)
      return JSONValue.object([
        ("arch", .string(net.space.text(s.architecture))), ("supernet_val_acc", .double(s.score.signal)),
        ("macs", .int(c.macs)), ("params", .int(c.params)),
      ]).serialized(indent: 0)
    }.map { $0 + "\n" }.joined()
    return r
  }
}
