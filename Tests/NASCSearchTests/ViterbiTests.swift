import BigInt
import Foundation
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// DenseNAS' derivation and chained latency (METHODS.md §5.2, §5.4) against brute force: the Viterbi
/// path over random DAGs (ties included), the chained expected latency and its gradient, decision
/// costs and extremes, and the most probable decision within a budget, on a small routing space.
@Suite("Viterbi path, chained latency and budgeted derivation against brute force")
struct ViterbiTests {
  // MARK: - Viterbi over random DAGs

  /// A random DAG over blocks 0…final (edges i<j only, in shuffled order) in which every block lies
  /// on some path from 0 to final; each edge's probability from `p`.
  static func randomDAG(_ rng: inout RNG, p: (inout RNG) -> Double) -> (final: Int, edges: [ViterbiPath.Edge]) {
    let n = 2 + rng.nextInt(below: 7)  // 2…8 blocks
    let final = n - 1
    var pairs = Set<[Int]>()
    let density = 0.2 + 0.6 * rng.nextDouble()
    for i in 0..<n {
      for j in (i + 1)..<max(i + 1, n) where rng.nextDouble() < density { pairs.insert([i, j]) }
    }
    // Every block but 0 has an incoming edge (so it is reachable from 0, by induction on the index),
    // every block but final an outgoing one (so it reaches final, by induction downwards).
    for j in 1..<n where !pairs.contains(where: { $0[1] == j }) { pairs.insert([rng.nextInt(below: j), j]) }
    for i in 0..<final where !pairs.contains(where: { $0[0] == i }) {
      pairs.insert([i, i + 1 + rng.nextInt(below: final - i)])
    }
    var edges = pairs.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }.map { ViterbiPath.Edge($0[0], $0[1], p(&rng)) }
    rng.shuffle(&edges)
    return (final, edges)
  }

  /// Every path from 0 to `final` with its probability, multiplied left to right from block 0.
  static func allPaths(final: Int, edges: [ViterbiPath.Edge]) -> [(path: [Int], probability: Double)] {
    var out = [(path: [Int], probability: Double)]()
    func walk(_ path: [Int], _ p: Double) {
      let here = path.last!
      if here == final {
        out.append((path, p))
        return
      }
      for e in edges where e.from == here { walk(path + [e.to], p * e.p) }
    }
    walk([0], 1)
    return out
  }

  /// The documented winner: the largest probability, ties to the path whose reversed block sequence
  /// is lexicographically smallest (the lowest-numbered predecessor at each block from final back).
  static func bruteBest(final: Int, edges: [ViterbiPath.Edge]) -> (
    best: (path: [Int], probability: Double)?, tied: Int, forwardFirst: [Int]?
  ) {
    let all = allPaths(final: final, edges: edges)
    guard let top = all.map(\.probability).max() else { return (nil, 0, nil) }
    let tied = all.filter { $0.probability == top }
    let winner = tied.min { $0.path.reversed().lexicographicallyPrecedes($1.path.reversed()) }!
    // The tied path that comes first read from block 0 (another plausible rule, not the documented one).
    let forward = tied.map(\.path).min { $0.lexicographicallyPrecedes($1) }
    return (winner, tied.count, forward)
  }

  /// 150 random DAGs with probabilities uniform in (0, 1].
  @Test func viterbiMatchesBruteForceOnRandomDAGs() {
    var rng = RNG(seed: 0x5EED_0001)
    var multiPath = 0
    for trial in 0..<150 {
      let (final, edges) = Self.randomDAG(&rng) { 1 - $0.nextDouble() }
      let expected = Self.bruteBest(final: final, edges: edges)
      let want = try! #require(expected.best, "trial \(trial): the generator must connect 0 to final")
      if Self.allPaths(final: final, edges: edges).count > 1 { multiPath += 1 }
      guard let got = ViterbiPath.best(final: final, edges: edges) else {
        Issue.record("trial \(trial): nil for \(edges)")
        continue
      }
      #expect(got.path == want.path, "trial \(trial): \(edges)")
      #expect(got.probability == want.probability, "trial \(trial): \(edges)")
      #expect(got.path.first == 0 && got.path.last == final)
    }
    // The generator is not trivial: most graphs have several paths to choose from.
    #expect(multiPath >= 100)
  }

  /// 120 random DAGs with probabilities from {0.25, 0.5, 1}: products are exact, so many paths tie,
  /// and the DP must return exactly the documented tie winner.
  @Test func viterbiBreaksExactTiesByLowestPredecessorFromTheFinalBlockBack() {
    var rng = RNG(seed: 0x5EED_0002)
    let levels = [0.25, 0.5, 1.0]
    var tiedGraphs = 0, otherRuleDiffers = 0
    for trial in 0..<120 {
      let (final, edges) = Self.randomDAG(&rng) { levels[$0.nextInt(below: 3)] }
      let expected = Self.bruteBest(final: final, edges: edges)
      let want = try! #require(expected.best)
      if expected.tied > 1 { tiedGraphs += 1 }
      if expected.forwardFirst != want.path { otherRuleDiffers += 1 }
      let got = ViterbiPath.best(final: final, edges: edges)
      #expect(got?.path == want.path, "trial \(trial) (\(expected.tied) tied): \(edges)")
      #expect(got?.probability == want.probability, "trial \(trial): \(edges)")
    }
    #expect(tiedGraphs >= 30, "only \(tiedGraphs) graphs had tied best paths")
    // The rule is observable: in some graphs the lowest path read from block 0 is not the winner.
    #expect(otherRuleDiffers >= 5, "only \(otherRuleDiffers) graphs tell the tie rules apart")
  }

  /// Hand-made ties: with all probabilities 1 every path ties; the winner takes the lowest
  /// predecessor at each block from final back, not the lexicographically first path from 0.
  @Test func viterbiTieRuleByHand() {
    // 0→1→3, 0→2→3, 0→3: the lowest predecessor of 3 is 0, so the path is 0-3.
    let direct = [
      ViterbiPath.Edge(1, 3, 1), ViterbiPath.Edge(0, 2, 1), ViterbiPath.Edge(2, 3, 1),
      ViterbiPath.Edge(0, 3, 1), ViterbiPath.Edge(0, 1, 1),
    ]
    #expect(ViterbiPath.best(final: 3, edges: direct)?.path == [0, 3])
    // 0→2→3, 0→1→2, 1→3: predecessor of 3 is 1 (lower than 2), of 1 is 0 → 0-1-3, although the path
    // 0-1-2-3 comes first lexicographically from block 0.
    let viaOne = [
      ViterbiPath.Edge(0, 2, 0.5), ViterbiPath.Edge(2, 3, 1), ViterbiPath.Edge(0, 1, 1),
      ViterbiPath.Edge(1, 2, 0.5), ViterbiPath.Edge(1, 3, 0.5),
    ]
    #expect(ViterbiPath.best(final: 3, edges: viaOne)?.path == [0, 1, 3])
    #expect(ViterbiPath.best(final: 3, edges: viaOne)?.probability == 0.5)
    // A strictly better path beats a lower predecessor.
    let better = [
      ViterbiPath.Edge(0, 1, 1), ViterbiPath.Edge(1, 3, 0.25), ViterbiPath.Edge(0, 2, 1),
      ViterbiPath.Edge(2, 3, 0.5),
    ]
    #expect(ViterbiPath.best(final: 3, edges: better)?.path == [0, 2, 3])
  }

  @Test func viterbiWithoutAPathIsNil() {
    #expect(ViterbiPath.best(final: 3, edges: [ViterbiPath.Edge(0, 1, 0.5), ViterbiPath.Edge(2, 3, 0.5)]) == nil)
    #expect(ViterbiPath.best(final: 2, edges: []) == nil)
    // Edges that only leave the final block's predecessors unreachable.
    #expect(
      ViterbiPath.best(
        final: 4, edges: [ViterbiPath.Edge(0, 1, 1), ViterbiPath.Edge(1, 2, 1), ViterbiPath.Edge(3, 4, 1)]) == nil)
  }

  // MARK: - A small routing space

  /// Blocks 0 (stem) … 5 (final): 10 connections, heads of 3 ops (final heads fixed), stacked layers
  /// of a conv or skip (2 + 1 + 2 + 1 layers); 9 paths, 8100 decisions.
  static let spaceText = """
    nasc: 1
    input: {channels: 1, size: 8, classes: 10}
    candidates:
      h: [nor_conv_1x1, nor_conv_3x3, sep_conv_3x3]
      s: [nor_conv_3x3, skip_connect]
    network:
      stem: [{conv: {out: 8, kernel: 3}}]
      body:
        - route:
            head: {choice: h}
            stack: {choice: s}
            final: nor_conv_1x1
            blocks:
              - {out: 8, scale: 2, stage: 1, layers: 2}
              - {out: 16, scale: 2, stage: 1, layers: 1}
              - {out: 16, scale: 4, stage: 2, layers: 2}
              - {out: 32, scale: 4, stage: 2, layers: 1}
              - {out: 32, scale: 8, stage: 3}
    derive: {rule: viterbi}
    """

  /// The compiled small space with random α, β and a random cost table written into `costs`.
  struct Fixture {
    let ir: SpaceIR
    let route: RouteIR
    let unit: ArchSpace.RouteUnit
    var costs: RouteCosts
    let arch: ArchitectureParameters
    /// Per connection (route.edges order), each head candidate's cost.
    let headCost: [[Double]]
    /// Per block, per stacked layer, each candidate's cost.
    let stackCost: [Int: [[Double]]]
    let fixed: Double

    init(seed: UInt64) throws {
      let file = FileManager.default.temporaryDirectory.appendingPathComponent("viterbi-\(UUID().uuidString).yaml")
      try ViterbiTests.spaceText.write(to: file, atomically: true, encoding: .utf8)
      defer { try? FileManager.default.removeItem(at: file) }
      let r = Compiler.compile(path: file.path)
      ir = try #require(r.ir, "\(r.diagnostics)")
      route = try #require(ir.network.route)
      unit = try #require(ArchSpace(ir: ir).routeUnit)
      costs = try RouteCosts(
        ir: ir, tablePath: "", anyConditions: false, macUnit: ("MMACs", 1e6), method: "densenas")
      var rng = RNG(seed: seed)
      arch = ArchitectureParameters(ir: ir, inputs: false, rng: &rng)
      // α and β far from uniform (N(0, 1.5²)), so probabilities and temperatures matter.
      for p in arch.parameters { p.value = Tensor((0..<p.shape[0]).map { _ in 1.5 * rng.nextNormal() }) }
      // Distinct costs: each a random number in [1, 10) (the fixed heads too).
      func draw() -> Double { 1 + 9 * rng.nextDouble() }
      var heads = [[Double]]()
      for e in costs.heads.indices {
        let c = costs.heads[e].costs.map { _ in draw() }
        costs.heads[e].costs = c
        heads.append(c)
      }
      var stacks = [Int: [[Double]]]()
      for b in route.blocks {
        var layers = [[Double]]()
        for l in (costs.stacks[b.index] ?? []).indices {
          let c = costs.stacks[b.index]![l].costs.map { _ in draw() }
          costs.stacks[b.index]![l].costs = c
          layers.append(c)
        }
        stacks[b.index] = layers
      }
      headCost = heads
      stackCost = stacks
      fixed = 3.25
      costs.fixed = fixed
    }

    /// Every path from block 0 to the final block.
    var paths: [[Int]] {
      var out = [[Int]]()
      func walk(_ p: [Int]) {
        if p.last! == route.final { return out.append(p) }
        for j in route.block(p.last!)!.targets { walk(p + [j]) }
      }
      walk([0])
      return out
    }

    func edge(_ i: Int, _ j: Int) -> Int { route.edges.firstIndex { $0.from == i && $0.to == j }! }

    /// The searched layers of a path (from the IR): (choice id, cost per candidate), heads first.
    func layers(on path: [Int]) -> (searched: [(id: String, costs: [Double])], fixedHeads: Double) {
      var searched = [(id: String, costs: [Double])]()
      var fixedHeads = 0.0
      for (i, j) in zip(path, path.dropFirst()) {
        let e = edge(i, j)
        if let id = route.edges[e].head.choice {
          searched.append((id, headCost[e]))
        } else {
          fixedHeads += headCost[e][0]
        }
      }
      for j in path.dropFirst() {
        for (l, layer) in route.block(j)!.layers.enumerated() { searched.append((layer.choice!, stackCost[j]![l])) }
      }
      return (searched, fixedHeads)
    }

    /// Every decision with its brute-force cost and per-layer candidate indices.
    struct Decision {
      var decision: RouteDecision
      var cost: Double
      /// Per searched layer on the path: (choice id, candidate index).
      var picks: [(id: String, index: Int)]
      /// Layers on the path (searched and fixed heads).
      var layerCount: Int
    }

    func decisions() -> [Decision] {
      var out = [Decision]()
      for path in paths {
        let (searched, fixedHeads) = layers(on: path)
        // Every head (searched or fixed) and every stacked layer.
        let layerCount = path.count - 1 + path.dropFirst().reduce(0) { $0 + route.block($1)!.layers.count }
        var index = [Int](repeating: 0, count: searched.count)
        while true {
          var ops = [String: String]()
          var cost = fixed + fixedHeads
          for (l, s) in searched.enumerated() {
            ops[s.id] = ir.choicePoint(s.id)!.candidates[index[l]]
            cost += s.costs[index[l]]
          }
          out.append(
            Decision(
              decision: RouteDecision(path: path, ops: ops), cost: cost,
              picks: searched.indices.map { (searched[$0].id, index[$0]) },
              layerCount: layerCount))
          // odometer
          var l = searched.count - 1
          while l >= 0 {
            index[l] += 1
            if index[l] < searched[l].costs.count { break }
            index[l] = 0
            l -= 1
          }
          if l < 0 { break }
        }
      }
      return out
    }

    /// Block k's β logits, in Double.
    /// Block k's β logits, in Double (nil for a block without β: one target, or the final block).
    func beta(_ k: Int) -> [Double]? {
      route.block(k)?.next.flatMap { arch[$0] }.map { $0.value.scalars.map(Double.init) }
    }
    /// Choice `id`'s α logits, in Double.
    func alpha(_ id: String) -> [Double] { arch[id]!.value.scalars.map(Double.init) }
  }

  static func softmax(_ z: [Double]) -> [Double] {
    let m = z.max()!
    let e = z.map { Foundation.exp($0 - m) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
  }

  /// Σ over every decision of P(path)·P(ops)·cost, P(path) = Π pathProb(i)[index of j in i's
  /// targets] (1 where pathProb(i) is nil: a block with one target), P(ops) = Π opProb(id)[candidate].
  static func bruteExpectation(
    _ f: Fixture, _ all: [Fixture.Decision], pathProb: (Int) -> [Double]?, opProb: (String) -> [Double]
  ) -> Double {
    var total = 0.0
    for d in all {
      var p = 1.0
      for (i, j) in zip(d.decision.path, d.decision.path.dropFirst()) {
        p *= pathProb(i)?[f.route.block(i)!.targets.firstIndex(of: j)!] ?? 1
      }
      for (id, k) in d.picks { p *= opProb(id)[k] }
      total += p * d.cost
    }
    return total
  }

  @Test func smallSpaceHasTheExpectedShape() throws {
    let f = try Fixture(seed: 1)
    let all = f.decisions()
    #expect(f.paths.count == 9)
    #expect(all.count == 8100)
    #expect(f.ir.architectures == BigUInt(8100))
    // Fixed heads (into the final block) and searched ones.
    #expect(f.route.edges.filter { $0.head.choice == nil }.map { [$0.from, $0.to] } == [[3, 5], [4, 5]])
    // β follows the targets order, which the connections' order per block must match.
    for b in f.route.blocks {
      #expect(f.route.edges.filter { $0.from == b.index }.map(\.to) == b.targets)
    }
    // Every block with a choice of targets has β over them (one with a single target may have none).
    for b in f.route.blocks where b.targets.count > 1 {
      #expect(f.arch[b.next ?? ""]?.shape == [b.targets.count], "block \(b.index)")
    }
  }

  // MARK: - Chained latency

  @Test func chainedLatencyIsTheBruteForceExpectation() throws {
    let f = try Fixture(seed: 2)
    let all = f.decisions()
    let opProb: (String) -> [Double] = { Self.softmax(f.alpha($0)) }
    for temperature in [1.0, 2.0, 0.5] {
      let want =
        Self.bruteExpectation(
          f, all, pathProb: { f.beta($0).map { z in Self.softmax(z.map { $0 / temperature }) } }, opProb: opProb)
      let chained = withNoGrad {
        f.costs.chained(
          ops: { id in
            guard let a = f.arch[id] else { return nil }
            return (Array(0..<a.shape[0]), a.value.softmax())
          },
          paths: { k in
            guard let id = f.route.block(k)?.next, let b = f.arch[id] else { return nil }
            return (b.value * Float(1 / temperature)).softmax()
          })
      }
      #expect(chained.shape == [1])
      let got = Double(chained.scalars[0])
      #expect(abs(got - want) <= 1e-5 * want, "T=\(temperature): chained \(got), brute force \(want)")
      let expected = f.costs.expected(f.arch, temperature: Float(temperature))
      #expect(abs(expected - want) <= 1e-5 * want, "T=\(temperature): expected \(expected), brute force \(want)")
    }
    // Temperature matters here (β is far from uniform), so the T=2 check is not vacuous.
    let t1 = f.costs.expected(f.arch, temperature: 1), t2 = f.costs.expected(f.arch, temperature: 2)
    #expect(abs(t1 - t2) > 1e-3 * t1)
  }

  /// One-hot path weights on one path and one-hot op weights give exactly that decision's cost.
  @Test func chainedLatencyOfOneHotWeightsIsThatDecisionsCost() throws {
    let f = try Fixture(seed: 3)
    let all = f.decisions()
    for path in f.paths {
      for pick in [0, 1] {
        // Every searched layer on its candidate `pick` (heads 0 or 1 of 3, stacks conv or skip).
        let chained = withNoGrad {
          f.costs.chained(
            ops: { id in
              guard let a = f.arch[id] else { return nil }
              return (Array(0..<a.shape[0]), Tensor((0..<a.shape[0]).map { $0 == pick ? 1 : 0 }))
            },
            paths: { k in
              guard let b = f.route.block(k) else { return nil }
              let i = path.firstIndex(of: k)
              return Tensor(b.targets.map { i != nil && i! + 1 < path.count && $0 == path[i! + 1] ? 1 : 0 })
            })
        }
        let want = try #require(
          all.first { $0.decision.path == path && $0.picks.allSatisfy { $0.index == pick } }
        ).cost
        #expect(abs(Double(chained.scalars[0]) - want) <= 1e-5 * want, "path \(path) pick \(pick)")
      }
    }
  }

  @Test func chainedLatencyGradientMatchesFiniteDifferences() throws {
    let f = try Fixture(seed: 4)
    let all = f.decisions()
    let checked = [
      "route.block[0].next", "route.block[1].next", "route.block[3].next", "route.edge[1→2].op",
      "route.block[3].layer[1].op",
    ]
    for id in checked { f.arch[id]!.zeroGrad() }
    let lat = f.costs.chained(
      ops: { id in f.arch[id].map { (Array(0..<$0.shape[0]), $0.value.softmax()) } },
      paths: { k in f.route.block(k)?.next.flatMap { f.arch[$0] }.map { $0.value.softmax() } })
    lat.backward()
    // Brute force as a function of the logits, in Double.
    var logits = [String: [Double]]()
    for (id, p) in f.arch.entries { logits[id] = p.value.scalars.map(Double.init) }
    func brute(_ z: [String: [Double]]) -> Double {
      Self.bruteExpectation(
        f, all, pathProb: { f.route.block($0)!.next.map { Self.softmax(z[$0]!) } }, opProb: { Self.softmax(z[$0]!) })
    }
    let h = 1e-4
    for id in checked {
      let grad = try #require(f.arch[id]!.grad, "\(id) received no gradient").scalars
      #expect(grad.count == logits[id]!.count)
      var numeric = [Double]()
      for m in logits[id]!.indices {
        var up = logits, down = logits
        up[id]![m] += h
        down[id]![m] -= h
        numeric.append((brute(up) - brute(down)) / (2 * h))
      }
      let scale = max(1e-2, numeric.map(abs).max()!)
      for (g, n) in zip(grad, numeric) {
        #expect(abs(Double(g) - n) <= 2e-3 * scale, "\(id): analytic \(grad), numeric \(numeric)")
      }
      // Not vacuous: the gradient is not zero.
      #expect(numeric.map(abs).max()! > 1e-5, "\(id): \(numeric)")
    }
  }

  // MARK: - Costs of decisions and extremes

  @Test func decisionCostsAndExtremesMatchBruteForce() throws {
    for seed in [5, 6, 7] as [UInt64] {
      let f = try Fixture(seed: seed)
      let all = f.decisions()
      for d in all {
        let got = f.costs.cost(of: d.decision)
        #expect(abs(got - d.cost) <= 1e-12 * d.cost, "\(d.decision): cost(of:) \(got), brute force \(d.cost)")
      }
      let lo = all.map(\.cost).min()!, hi = all.map(\.cost).max()!
      let (cheapest, largest) = f.costs.extremes
      #expect(abs(cheapest - lo) <= 1e-12 * lo, "seed \(seed): cheapest \(cheapest), brute force \(lo)")
      #expect(abs(largest - hi) <= 1e-12 * hi, "seed \(seed): largest \(largest), brute force \(hi)")
    }
  }

  // MARK: - Derivation

  /// log P(decision): Σ log softmax(β)[path] + Σ log softmax(α)[ops], with the path probabilities
  /// given as `probabilities` (per block, in targets order).
  static func logProbability(_ f: Fixture, _ d: Fixture.Decision, _ probabilities: [Int: [Double]]) -> Double {
    var v = 0.0
    for (i, j) in zip(d.decision.path, d.decision.path.dropFirst()) {
      v += Foundation.log(probabilities[i]?[f.route.block(i)!.targets.firstIndex(of: j)!] ?? 1)
    }
    for (id, k) in d.picks {
      let z = f.alpha(id)
      let m = z.max()!
      v += z[k] - (m + Foundation.log(z.reduce(0) { $0 + Foundation.exp($1 - m) }))
    }
    return v
  }

  static func probabilities(_ f: Fixture) -> [Int: [Double]] {
    var out = [Int: [Double]]()
    for b in f.route.blocks {
      guard let id = b.next, let beta = f.arch[id] else { continue }
      out[b.index] = beta.value.detached().softmax().scalars.map(Double.init)
    }
    return out
  }

  @Test func deriveTakesTheViterbiPathAndArgmaxOps() throws {
    for seed in [8, 9, 10] as [UInt64] {
      let f = try Fixture(seed: seed)
      let probabilities = Self.probabilities(f)
      let d = try #require(
        ViterbiPath.derive(
          f.unit, probabilities: probabilities, logits: { f.arch[$0]?.value.scalars },
          names: { f.ir.choicePoint($0)?.candidates }))
      // The path: the largest product of softmax(β) among all paths.
      let best = f.paths.max { a, b in
        func p(_ path: [Int]) -> Double {
          zip(path, path.dropFirst()).reduce(1.0) {
            $0 * (probabilities[$1.0]?[f.route.block($1.0)!.targets.firstIndex(of: $1.1)!] ?? 1)
          }
        }
        return p(a) < p(b)
      }!
      #expect(d.path == best, "seed \(seed)")
      // The ops: argmax α of every searched layer on it, and nothing else.
      let (searched, _) = f.layers(on: d.path)
      #expect(Set(d.ops.keys) == Set(searched.map(\.id)))
      for (id, _) in searched {
        let z = f.alpha(id)
        #expect(d.ops[id] == f.ir.choicePoint(id)!.candidates[z.firstIndex(of: z.max()!)!], "seed \(seed) \(id)")
      }
    }
  }

  @Test func mostProbableWithinBudgetMatchesBruteForce() throws {
    let bins = 1000
    for seed in [11, 12, 13] as [UInt64] {
      let f = try Fixture(seed: seed)
      let all = f.decisions()
      let probabilities = Self.probabilities(f)
      let logp = all.map { Self.logProbability(f, $0, probabilities) }
      let (cheapest, largest) = f.costs.extremes
      let top = logp.indices.max { logp[$0] < logp[$1] }!
      // Budgets across the whole range, and between the cheapest and the most probable decision's
      // cost (where the budget excludes it).
      let budgets =
        [0.0, 0.05, 0.15, 0.3, 0.5, 0.75, 1.0].map { (cheapest + $0 * (largest - cheapest), $0 >= 0.05) }
        + [0.25, 0.5, 0.75, 0.95].map { (cheapest + $0 * (all[top].cost - cheapest), false) }
      var binding = 0
      for (budget, wide) in budgets {
        let got = ViterbiPath.mostProbable(
          f.unit, probabilities: probabilities, logits: { f.arch[$0]?.value.scalars },
          names: { f.ir.choicePoint($0)?.candidates }, costs: f.costs, within: budget, bins: bins)
        // Rounding each layer's cost up to a step of the room adds less than one step per layer, so a
        // decision with cost + layers · step ≤ budget surely fits; none above the budget may be chosen.
        let step = (budget - f.fixed) / Double(bins)
        let fits = all.indices.filter { all[$0].cost + Double(all[$0].layerCount) * step <= budget }
        let within = all.indices.filter { all[$0].cost <= budget }
        if wide { #expect(!fits.isEmpty, "seed \(seed) budget \(budget): the lower bound is vacuous") }
        if all[top].cost > budget { binding += 1 }
        guard let got else {
          #expect(fits.isEmpty, "seed \(seed) budget \(budget): nil although \(fits.count) decisions fit")
          continue
        }
        #expect(f.unit.problem(got) == nil, "\(got)")
        let (searched, _) = f.layers(on: got.path)
        #expect(Set(got.ops.keys) == Set(searched.map(\.id)), "\(got)")
        guard let mine = all.firstIndex(where: { $0.decision == got }) else {
          Issue.record("seed \(seed): \(got) is not a decision of the space")
          continue
        }
        #expect(all[mine].cost <= budget, "seed \(seed): cost \(all[mine].cost) > budget \(budget)")
        let upper = within.map { logp[$0] }.max()!
        #expect(logp[mine] <= upper + 1e-9)
        if let lower = fits.map({ logp[$0] }).max() {
          #expect(
            logp[mine] >= lower - 1e-9,
            "seed \(seed) budget \(budget): log p \(logp[mine]) below the best that fits, \(lower)")
        }
        if budget >= largest {
          // Everything fits: the most probable decision overall.
          #expect(abs(logp[mine] - logp.max()!) <= 1e-9)
        }
      }
      // The budget really constrains the choice for several of them.
      #expect(binding >= 4, "seed \(seed): only \(binding) budgets exclude the most probable decision")
      // Below the cheapest decision (or the fixed parts) nothing fits.
      for budget in [cheapest * (1 - 1e-6), cheapest - 1, f.fixed, f.fixed / 2, 0] {
        let none = ViterbiPath.mostProbable(
          f.unit, probabilities: probabilities, logits: { f.arch[$0]?.value.scalars },
          names: { f.ir.choicePoint($0)?.candidates }, costs: f.costs, within: budget, bins: bins)
        #expect(none == nil, "seed \(seed) budget \(budget): \(String(describing: none))")
      }
    }
  }
}
