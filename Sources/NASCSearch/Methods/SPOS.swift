import Foundation
import NASCSpace
import NASCTensor

/// Single Path One-Shot (Guo et al., ECCV 2020; METHODS.md §8).
///
/// ```
/// supernet: for t = 1..T:
///   a = uniform path; with sampler flops_bins: a bin drawn uniformly, then uniform paths until
///       one falls in it (at most 500 tries, else any path)
///   one SGD step (lr · (1 − t/T)) on CE(supernet_a(batch)); only a runs: the other weights get no
///   gradient, so neither momentum nor weight decay touches them
/// evolution: candidates = population random legal paths
///   (legal: unvisited, MACs ≤ flops_limit, params ≤ params_limit)
///   for g = 1..G:
///     top = the select_k best of everything scored so far
///     mutants    = mutation_num × (random parent in top, each layer redrawn with p = mutation_prob)
///     crossovers = crossover_num × (two random parents in top, each layer from either)
///     fill with random legal paths up to population       (each generator: ≤ 10 × its quota tries)
///   score(a) = val accuracy with the inherited weights after BN recalibration
/// return the best path scored
/// ```
public final class SPOS: SharedWeightMethod {
  /// The registry name.
  public static let name = "spos"
  let net: SharedWeightSupernet
  let evaluator: SupernetEvaluator
  let uniform: Bool
  let bins: [ClosedRange<Double>]
  let macsLimit: Double?
  let paramsLimit: Double?
  let population: Int, selectK: Int, generations: Int
  let mutationNum: Int, crossoverNum: Int, mutationProb: Double
  /// Where this run departs from the paper's values.
  public let notes: [String]
  public var state: State
  /// The architectures of `state.history` (rebuilt on restore).
  var seen = Set<Architecture>()

  public struct State: SharedWeightState {
    public var net: SharedWeightSupernet.State
    public var history: [ScoredArchitecture] = []
  }

  /// Builds the supernet; iterations are rounded up to whole epochs of the training part.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    let data = try c.requireData(Self.name)
    let iterations = try h.int("iterations")
    guard iterations >= 1 else {
      throw RunError("E310", "iterations must be at least 1, not \(iterations)", help: "e.g. --set iterations=3000")
    }
    let probe = try SharedWeightSettings(h, epochs: 1, schedule: .linear, decayOnlyWeights: true)
    let perEpoch = SharedWeightSupernet.stepsPerEpoch(data, probe)
    let epochs = (iterations + perEpoch - 1) / perEpoch
    net = try SharedWeightSupernet(
      ir: c.ir, settings: try SharedWeightSettings(h, epochs: epochs, schedule: .linear, decayOnlyWeights: true),
      data: data, augmentation: c.augmentation, seed: c.run.seed, threads: c.run.threads)
    try net.space.checkSampleable()
    evaluator = net.evaluator()
    let spaceLow = Double(net.costRange.least.macs) / 1e6
    let spaceHigh = Double(net.costRange.most.macs) / 1e6
    var low = try h.double("flops_min"), high = try h.double("flops_max")
    let binCount = try h.int("flops_bins")
    guard (low == 0 && high == 0) || (low >= 0 && high > low), binCount >= 1 else {
      throw RunError(
        "E310", "the FLOPs bins need 0 ≤ flops_min < flops_max and flops_bins ≥ 1 (got \(low), \(high), \(binCount))",
        help: "flops_min = flops_max = 0 bins the space's own range")
    }
    if high == 0 { (low, high) = (spaceLow, spaceHigh) }
    var notes = [String]()
    var uniform = try h.string("sampler") == "uniform"
    if !uniform && (high < spaceLow || low > spaceHigh) {
      notes.append(
        String(
          format:
            "no path of this space falls in the FLOPs bins [%.4g, %.4g) MMACs (its paths have %.4g–%.4g): paths are sampled uniformly; set flops_min = flops_max = 0 for bins over the space's own range",
          low, high, spaceLow, spaceHigh))
      uniform = true
    }
    self.uniform = uniform
    let count = binCount
    bins = (0..<count).map { i in
      (low + (high - low) * Double(i) / Double(count))...(low + (high - low) * Double(i + 1) / Double(count))
    }
    let limit = try h.double("flops_limit")
    macsLimit = limit > 0 ? limit : nil
    let pLimit = try h.double("params_limit")
    paramsLimit = pLimit > 0 ? pLimit : nil
    // A limit that even the cheapest path exceeds is an error now, not after the supernet trains.
    if let l = macsLimit, Double(net.costRange.least.macs) / 1e6 > l {
      throw RunError(
        "E316",
        String(format: "flops_limit %.4g MMACs is below the cheapest path of %@ (%.4g MMACs)", l, c.ir.name, spaceLow),
        help: "raise flops_limit (MMACs; 0 = no limit)")
    }
    if let l = paramsLimit, Double(net.costRange.least.params) / 1e6 > l {
      throw RunError(
        "E316",
        String(
          format: "params_limit %.4g M is below the cheapest path of %@ (%.4g M params)", l, c.ir.name,
          Double(net.costRange.least.params) / 1e6),
        help: "raise params_limit (millions; 0 = no limit)")
    }
    population = try h.int("population")
    selectK = try h.int("select_k")
    generations = try h.int("generations")
    mutationNum = try h.int("mutation_num")
    crossoverNum = try h.int("crossover_num")
    mutationProb = try h.double("mutation_prob")
    guard population >= 1, (1...population).contains(selectK), generations >= 0, mutationNum >= 0, crossoverNum >= 0,
      (0...1).contains(mutationProb)
    else {
      throw RunError(
        "E310",
        "population ≥ 1, 1 ≤ select_k ≤ population, generations, mutation_num and crossover_num ≥ 0, 0 ≤ mutation_prob ≤ 1",
        help: "the paper uses population 50, select_k 10, 20 generations, 25 mutants and 25 crossovers")
    }
    if epochs * net.stepsPerEpoch != iterations {
      notes.append(
        "iterations \(iterations) rounded up to \(epochs) whole epochs of \(net.stepsPerEpoch) steps (\(epochs * net.stepsPerEpoch) iterations)"
      )
    }
    if !uniform && high > low {
      notes.append(String(format: "FLOPs bins: %d between %.4g and %.4g MMACs", count, low, high))
    }
    self.notes = notes
    state = State(net: net.state)
  }

  /// Supernet epochs, then the generations of the evolution (the first also scores the random
  /// initial population).
  public var phases: [Phase] {
    [
      Phase("supernet", units: net.settings.epochs, stepsPerUnit: net.stepsPerEpoch),
      Phase("evolution", unit: "generation", units: max(1, generations), stepsPerUnit: 1),
    ]
  }
  /// The supernet's weights.
  public var parameterSets: [ParameterSet] { net.parameterSets }
  /// The supernet.
  public var supernet: SharedWeightSupernet { net }

  /// MMACs of `a` as a whole network.
  func megaMACs(_ a: Architecture) -> Double { Double(net.costs(a).macs) / 1e6 }

  /// A uniform path, or one in a uniformly drawn FLOPs bin.
  func samplePath() -> Architecture {
    if uniform { return net.space.sample(rng: &net.rng) }
    let bin = bins[net.rng.nextInt(below: bins.count)]
    for _ in 0..<500 {
      let a = net.space.sample(rng: &net.rng)
      if bin.contains(megaMACs(a)) { return a }
    }
    return net.space.sample(rng: &net.rng)
  }

  /// One supernet step on one sampled path, or one generation of the evolution.
  public func step(at p: LoopPosition) throws {
    if p.phase == 0 {
      let plan = net.planner.plan(samplePath())
      try net.step([(plan, net.nextBatch())], epoch: p.unit)
      return
    }
    var candidates = [Architecture]()
    if p.unit == 0 { try fill(&candidates, to: population) }
    let top = Array(ranked().prefix(selectK))
    if !top.isEmpty && p.unit < generations {
      try generate(&candidates, quota: mutationNum) { [self] in
        net.space.resample(
          top[net.rng.nextInt(below: top.count)].architecture, probability: mutationProb, rng: &net.rng)
      }
      try generate(&candidates, quota: crossoverNum) { [self] in
        let a = top[net.rng.nextInt(below: top.count)], b = top[net.rng.nextInt(below: top.count)]
        return net.space.crossover(a.architecture, b.architecture, rng: &net.rng)
      }
      try fill(&candidates, to: population)
    }
  }

  /// Everything scored so far, best first (ties: scored earlier first).
  func ranked() -> [ScoredArchitecture] {
    state.history.enumerated().sorted { x, y in
      x.element.score.signal != y.element.score.signal
        ? x.element.score.signal > y.element.score.signal : x.offset < y.offset
    }.map(\.element)
  }

  /// Adds up to `quota` legal candidates made by `make` (at most 10 × quota tries), scoring each.
  func generate(_ candidates: inout [Architecture], quota: Int, make: () -> Architecture) throws {
    var made = 0
    for _ in 0..<(10 * quota) where made < quota {
      let a = make()
      if try admit(a, into: &candidates) { made += 1 }
    }
  }

  /// Random legal candidates until there are `count`.
  func fill(_ candidates: inout [Architecture], to count: Int) throws {
    let need = count - candidates.count
    guard need > 0 else { return }
    try generate(&candidates, quota: need) { net.space.sample(rng: &net.rng) }
  }

  /// Scores `a` and adds it when it is legal: never scored before and within the MACs and params limits.
  func admit(_ a: Architecture, into candidates: inout [Architecture]) throws -> Bool {
    guard !seen.contains(a) else { return false }
    if let limit = macsLimit, megaMACs(a) > limit { return false }
    if let limit = paramsLimit, Double(net.costs(a).params) / 1e6 > limit { return false }
    seen.insert(a)
    state.history.append(ScoredArchitecture(architecture: a, score: try evaluator.score(a)))
    candidates.append(a)
    return true
  }

  /// The supernet epoch's losses, or the generation's best.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    if p.phase == 0 {
      let m = net.finishEpoch(epoch: p.unit)
      return (m, SharedWeightSupernet.summary(m))
    }
    guard let best = ranked().first else {
      throw RunError(
        "E316", "no architecture is legal: every one drawn exceeds flops_limit or params_limit",
        help: "raise flops_limit (MMACs) or params_limit (millions; 0 = no limit)")
    }
    let top = ranked().prefix(selectK)
    let m: Metrics = [
      "generation": .int(p.unit), "scored": .int(state.history.count),
      "best_arch": .text(net.space.text(best.architecture)),
      "best_signal": .number(best.score.signal), "best_mmacs": .number(megaMACs(best.architecture)),
      "top_mean_signal": .number(top.map(\.score.signal).reduce(0, +) / Double(top.count)),
    ]
    let summary = String(
      format: "scored %d  best %.2f%% (%.3g MMACs)  top-%d mean %.2f%%", state.history.count, best.score.signal,
      megaMACs(best.architecture), top.count, m["top_mean_signal"]?.number ?? .nan)
    return (m, summary)
  }

  /// Rebuilds the set of scored architectures.
  public func restored() throws {
    seen = Set(state.history.map(\.architecture))
  }

  /// The best path scored.
  public func result() throws -> SearchResult {
    var r = try ScoredArchitecture.best(ranked())
    r.scored = scoredPoints()
    return r
  }
}
