import Foundation
import NASCSpace

/// DenseNAS' derivation of a routing graph (METHODS.md §5.4).
///
/// ```
/// P[0] = 1
/// for block j = 1 … final (topological order):
///     P[j]  = max_{i ∈ in(j)} P[i] · p(i→j)          p(i→j) = softmax(β_i / T)[j]
///     BP[j] = the lowest-numbered i attaining it        (ties broken deterministically)
/// path = backtrack BP from the final block to block 0
/// per connection i→j on the path: head op = argmax α of that branch
/// per block on the path: each stacked layer's op = argmax α (skip layers stay as skip)
/// ```
public enum ViterbiPath {
  /// A connection with its probability.
  public struct Edge: Sendable, Equatable {
    /// Source block (lower than `to`).
    public var from: Int
    /// Target block.
    public var to: Int
    /// Its probability p(from→to), in [0, 1].
    public var p: Double

    /// Creates an edge.
    public init(_ from: Int, _ to: Int, _ p: Double) {
      self.from = from
      self.to = to
      self.p = p
    }
  }

  /// The most probable path from block 0 to block `final` through `edges`, and its probability
  /// (the product along it, taken from block 0 on). Ties go to the lowest-numbered predecessor at
  /// each block, from the final block back. Nil when no path reaches `final`.
  public static func best(final: Int, edges: [Edge]) -> (path: [Int], probability: Double)? {
    var score = [Int: Double]()
    var back = [Int: Int]()
    score[0] = 1
    for j in 1...max(1, final) {
      for e in edges.filter({ $0.to == j }).sorted(by: { $0.from < $1.from }) {
        guard let s = score[e.from] else { continue }
        let v = s * e.p
        if score[j] == nil || v > score[j]! {
          score[j] = v
          back[j] = e.from
        }
      }
    }
    guard let p = score[final], final > 0 else { return nil }
    var path = [final]
    while path.last! != 0 { path.append(back[path.last!]!) }
    return (path.reversed(), p)
  }

  /// The unit's connections with their probabilities: per source block, `probabilities[from]` in
  /// connection order (1 for a block without path weights).
  static func connectionEdges(_ unit: ArchSpace.RouteUnit, _ probabilities: [Int: [Double]]) -> [Edge] {
    var seen = [Int: Int]()
    return unit.connections.map { c in
      let k = seen[c.from, default: 0]
      seen[c.from] = k + 1
      return Edge(c.from, c.to, probabilities[c.from]?[k] ?? 1)
    }
  }

  /// The derived decision of `unit`: the Viterbi path over `probabilities` (per block, its
  /// distribution over its connections in IR order), then the argmax of `logits` (per op choice id)
  /// for every head and stacked layer on it, among the unit's candidates (the first on ties).
  public static func derive(
    _ unit: ArchSpace.RouteUnit, probabilities: [Int: [Double]], logits: (String) -> [Float]?,
    names: (String) -> [String]?
  ) -> RouteDecision? {
    let edges = connectionEdges(unit, probabilities)
    guard let best = best(final: unit.final, edges: edges) else { return nil }
    var ops = [String: String]()
    for o in unit.opUnits(on: best.path) {
      guard let all = names(o.key), let z = logits(o.key), z.count == all.count else { continue }
      let kept = all.indices.filter { o.candidates.contains(all[$0]) }
      guard let top = kept.max(by: { z[$0] < z[$1] || (z[$0] == z[$1] && $0 > $1) }) else { continue }
      ops[o.key] = all[top]
    }
    return RouteDecision(path: best.path, ops: ops)
  }
}

extension ViterbiPath {
  /// DenseNAS' derivation with a latency bound: the Viterbi decision, or when its cost under
  /// `costs` exceeds `target` (> 0), the most probable decision within it (`mostProbable`). Nil
  /// when no path reaches the final block or no decision meets the target.
  public static func derive(
    _ unit: ArchSpace.RouteUnit, probabilities: [Int: [Double]], logits: (String) -> [Float]?,
    names: (String) -> [String]?, costs: RouteCosts, target: Double
  ) -> RouteDecision? {
    guard let d = derive(unit, probabilities: probabilities, logits: logits, names: names) else { return nil }
    guard target > 0, costs.cost(of: d) > target else { return d }
    return mostProbable(unit, probabilities: probabilities, logits: logits, names: names, costs: costs, within: target)
  }

  /// The most probable decision of `unit` whose cost under `costs` is at most `budget`: the path
  /// and ops maximising Σ log p(i→j) over the path + Σ log softmax(α) of the chosen ops, by dynamic
  /// programming over the blocks and the budget cut into `bins` steps (each cost rounded up, so
  /// what it returns meets the budget). Nil when no decision fits.
  public static func mostProbable(
    _ unit: ArchSpace.RouteUnit, probabilities: [Int: [Double]], logits: (String) -> [Float]?,
    names: (String) -> [String]?, costs: RouteCosts, within budget: Double, bins: Int = 1000
  ) -> RouteDecision? {
    let room = budget - costs.fixed
    guard room > 0, bins >= 1 else { return nil }
    let step = room / Double(bins)
    // A cost beyond the budget weighs bins + 1 (infeasible), so no conversion overflows.
    func weight(_ c: Double) -> Int { c <= 0 ? 0 : Int(min(c / step * (1 - 1e-12), Double(bins + 1)).rounded(.up)) }
    /// A layer's options: (candidate name or nil for a fixed head, weight, log-probability).
    typealias Option = (name: String?, w: Int, v: Double)
    func options(_ o: ArchSpace.OpUnit?, _ layer: RouteCosts.Layer) -> [Option] {
      guard let o, let all = names(o.key), let z = logits(o.key), z.count == all.count, layer.costs.count == all.count
      else { return [(nil, weight(layer.costs.first ?? 0), 0)] }
      let m = Double(z.max() ?? 0)
      let lse = m + Foundation.log(z.reduce(0.0) { $0 + Foundation.exp(Double($1) - m) })
      return all.indices.filter { o.candidates.contains(all[$0]) }.map {
        (all[$0], weight(layer.costs[$0]), Double(z[$0]) - lse)
      }
    }
    /// A chain of layers as a knapsack: best[b] = the largest log-probability within weight b, and
    /// per layer and b the option taken.
    func chain(_ layers: [(key: String?, options: [Option])]) -> (best: [Double], picks: [[Int]]) {
      var best = [Double](repeating: 0, count: bins + 1)
      var picks = [[Int]]()
      for l in layers {
        var next = [Double](repeating: -.infinity, count: bins + 1)
        var pick = [Int](repeating: -1, count: bins + 1)
        for b in 0...bins {
          for (k, opt) in l.options.enumerated() where opt.w <= b && best[b - opt.w] > -.infinity {
            let v = best[b - opt.w] + opt.v
            if v > next[b] { (next[b], pick[b]) = (v, k) }
          }
        }
        best = next
        picks.append(pick)
      }
      return (best, picks)
    }
    // Per connection: its head and its target's stacked layers as one chain.
    var chains = [(layers: [(key: String?, options: [Option])], best: [Double], picks: [[Int]])]()
    let logp = connectionEdges(unit, probabilities).map { Foundation.log($0.p) }
    for (e, c) in unit.connections.enumerated() {
      var layers = [(key: String?, options: [Option])]()
      layers.append((c.head?.key, options(c.head, costs.heads[e])))
      let stackUnits = unit.stacks[c.to] ?? []
      for s in costs.stacks[c.to] ?? [] {
        let u = stackUnits.first { $0.key == s.id }
        layers.append((u?.key, options(u, s)))
      }
      let (best, picks) = chain(layers)
      chains.append((layers, best, picks))
    }
    // Over the blocks: score[j][b] = the most probable way from block 0 to j within weight b.
    var score = [Int: [Double]]()
    var back = [Int: [(edge: Int, a: Int)]]()
    score[0] = [Double](repeating: 0, count: bins + 1)
    let order = Set(unit.connections.map(\.to)).sorted()
    for j in order {
      var s = [Double](repeating: -.infinity, count: bins + 1)
      var bk = [(edge: Int, a: Int)](repeating: (-1, 0), count: bins + 1)
      for (e, c) in unit.connections.enumerated() where c.to == j {
        guard let from = score[c.from] else { continue }
        let g = chains[e].best
        for b in 0...bins {
          for a in 0...b where from[a] > -.infinity && g[b - a] > -.infinity {
            let v = from[a] + logp[e] + g[b - a]
            if v > s[b] { (s[b], bk[b]) = (v, (e, a)) }
          }
        }
      }
      score[j] = s
      back[j] = bk
    }
    guard let last = score[unit.final], last[bins] > -.infinity else {
      // Rounding each cost up can leave no decision within the bins although the cheapest fits.
      return cheapest(unit, names: names, costs: costs).flatMap { costs.cost(of: $0) <= budget ? $0 : nil }
    }
    var path = [unit.final]
    var ops = [String: String]()
    var b = bins
    while path.last! != 0 {
      let j = path.last!
      let (e, a) = back[j]![b]
      var c = b - a
      let ch = chains[e]
      for l in stride(from: ch.layers.count - 1, through: 0, by: -1) {
        let opt = ch.layers[l].options[ch.picks[l][c]]
        if let key = ch.layers[l].key, let name = opt.name { ops[key] = name }
        c -= opt.w
      }
      path.append(unit.connections[e].from)
      b = a
    }
    return RouteDecision(path: path.reversed(), ops: ops)
  }
}

extension ViterbiPath {
  /// The cheapest decision of `unit` under `costs`: the path and ops of least total cost (the first
  /// candidate and the lowest-numbered predecessor on ties).
  public static func cheapest(_ unit: ArchSpace.RouteUnit, names: (String) -> [String]?, costs: RouteCosts)
    -> RouteDecision?
  {
    func pick(_ o: ArchSpace.OpUnit?, _ layer: RouteCosts.Layer) -> (name: String?, cost: Double) {
      guard let o, let all = names(o.key), layer.costs.count == all.count else { return (nil, layer.costs.first ?? 0) }
      let kept = all.indices.filter { o.candidates.contains(all[$0]) }
      guard let k = kept.min(by: { layer.costs[$0] < layer.costs[$1] }) else { return (nil, 0) }
      return (all[k], layer.costs[k])
    }
    var best = [0: 0.0]
    var back = [Int: Int]()
    var ops = [Int: [(key: String, name: String)]]()
    for j in Set(unit.connections.map(\.to)).sorted() {
      for (e, c) in unit.connections.enumerated() where c.to == j {
        guard let from = best[c.from] else { continue }
        var total = from
        var chosen = [(key: String, name: String)]()
        let h = pick(c.head, costs.heads[e])
        total += h.cost
        if let key = c.head?.key, let n = h.name { chosen.append((key, n)) }
        let stackUnits = unit.stacks[c.to] ?? []
        for s in costs.stacks[c.to] ?? [] {
          let u = stackUnits.first { $0.key == s.id }
          let p = pick(u, s)
          total += p.cost
          if let key = u?.key, let n = p.name { chosen.append((key, n)) }
        }
        if best[j] == nil || total < best[j]! {
          best[j] = total
          back[j] = e
          ops[j] = chosen
        }
      }
    }
    guard best[unit.final] != nil else { return nil }
    var path = [unit.final]
    var decided = [String: String]()
    while path.last! != 0 {
      let j = path.last!
      for (k, n) in ops[j] ?? [] { decided[k] = n }
      path.append(unit.connections[back[j]!].from)
    }
    return RouteDecision(path: path.reversed(), ops: decided)
  }
}
