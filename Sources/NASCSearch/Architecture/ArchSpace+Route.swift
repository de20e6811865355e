import NASCSpace
import NASCTensor

/// A routing graph's decision (DenseNAS): a path from block 0 to the final block, and the head op
/// of each connection on it and the op of each stacked layer of its blocks, by choice id
/// (`route.edge[i→j].op`, `route.block[k].layer[l].op`).
public struct RouteDecision: Hashable, Codable, Sendable {
  /// The blocks of the path, from 0 to the final block.
  public var path: [Int]
  /// The op of every searched head and stacked layer on the path, by choice id.
  public var ops: [String: String]

  /// Creates a decision.
  public init(path: [Int], ops: [String: String]) {
    self.path = path
    self.ops = ops
  }
}

extension ArchSpace {
  /// A routing graph's decision unit: its connections with their head op units, and per block its
  /// stacked layers' op units. Fixed heads (the final block's) have no unit.
  public struct RouteUnit: Sendable {
    /// A connection.
    public struct Connection: Sendable {
      /// Source block.
      public var from: Int
      /// Target block.
      public var to: Int
      /// The head's op unit, or nil when the head is fixed.
      public var head: OpUnit?
    }

    /// `route.path`.
    public var key: String
    /// The final block's index.
    public var final: Int
    /// The connections in IR order.
    public var connections: [Connection]
    /// Per block index, its stacked layers' op units (searched layers only).
    public var stacks: [Int: [OpUnit]]

    /// Reads the unit of `route` (a searched one) with `excluded` candidates left out.
    init(_ route: RouteIR, excluded: Set<String>) {
      key = route.pathChoice ?? "route.path"
      final = route.final
      func unit(_ l: LayerIR) -> OpUnit? {
        guard let id = l.choice else { return nil }
        let kept = l.candidates.filter { !excluded.contains($0.opName) }
        return OpUnit(key: id, candidates: kept.map(\.name), costs: kept.map { ArchSpace.cost($0) })
      }
      connections = route.edges.map { Connection(from: $0.from, to: $0.to, head: unit($0.head)) }
      var stacks = [Int: [OpUnit]]()
      for b in route.blocks { stacks[b.index] = b.layers.compactMap(unit) }
      self.stacks = stacks
    }

    /// The connection from `i` to `j`.
    public func connection(_ i: Int, _ j: Int) -> Connection? { connections.first { $0.from == i && $0.to == j } }

    /// The op units a decision with `path` makes: the heads of its connections, then the stacked
    /// layers of its blocks.
    public func opUnits(on path: [Int]) -> [OpUnit] {
      let heads = zip(path, path.dropFirst()).compactMap { connection($0, $1)?.head }
      return heads + path.dropFirst().flatMap { stacks[$0] ?? [] }
    }

    /// Per block, the number of decisions from it to the final block (heads × stacks × onward),
    /// as a Double (the DenseNAS space has ~10^45).
    func waysToFinal() -> [Int: Double] {
      var ways = [final: 1.0]
      for c in connections.reversed() {
        let onward = ways[c.to] ?? 0
        let stack = (stacks[c.to] ?? []).reduce(1.0) { $0 * Double($1.candidates.count) }
        ways[c.from, default: 0] += Double(c.head?.candidates.count ?? 1) * stack * onward
      }
      return ways
    }

    /// A decision drawn uniformly from all of the unit's decisions: each connection taken with the
    /// share of the decisions through it, then a uniform op per head and stacked layer.
    func sample(rng: inout RNG) -> RouteDecision {
      let ways = waysToFinal()
      var path = [0]
      while path.last! != final {
        let out = connections.filter { $0.from == path.last! }
        let w = out.map { c in
          Double(c.head?.candidates.count ?? 1) * (stacks[c.to] ?? []).reduce(1.0) { $0 * Double($1.candidates.count) }
            * (ways[c.to] ?? 0)
        }
        let total = w.reduce(0, +)
        var u = Double(rng.nextFloat()) * total
        var pick = out.count - 1
        for (i, x) in w.enumerated() {
          if u < x {
            pick = i
            break
          }
          u -= x
        }
        path.append(out[pick].to)
      }
      var ops = [String: String]()
      for o in opUnits(on: path) { ops[o.key] = o.candidates[rng.nextInt(below: o.candidates.count)] }
      return RouteDecision(path: path, ops: ops)
    }

    /// The positions of `path` (not the final block) whose block has another connection to take.
    func reroutable(_ path: [Int]) -> [Int] {
      path.indices.dropLast().filter { k in connections.filter { $0.from == path[k] }.count > 1 }
    }

    /// `d` with its path changed from one block on: at a block of the path drawn uniformly among
    /// those with a choice, another of its connections drawn uniformly, then a uniform connection
    /// at every block up to the final one; ops kept where the new path has the same layers, the
    /// others drawn uniformly. Nil when no block of the path has a choice.
    func reroute(_ d: RouteDecision, rng: inout RNG) -> RouteDecision? {
      let places = reroutable(d.path)
      guard !places.isEmpty else { return nil }
      let k = places[rng.nextInt(below: places.count)]
      var path = Array(d.path[...k])
      let others = connections.filter { $0.from == path[k] && $0.to != d.path[k + 1] }
      path.append(others[rng.nextInt(below: others.count)].to)
      while path.last! != final {
        let out = connections.filter { $0.from == path.last! }
        path.append(out[rng.nextInt(below: out.count)].to)
      }
      var ops = [String: String]()
      for o in opUnits(on: path) {
        ops[o.key] =
          d.ops[o.key].flatMap { o.candidates.contains($0) ? $0 : nil }
          ?? o.candidates[rng.nextInt(below: o.candidates.count)]
      }
      return RouteDecision(path: path, ops: ops)
    }

    /// What is wrong with `d`, or nil.
    func problem(_ d: RouteDecision) -> String? {
      guard d.path.first == 0, d.path.last == final else { return "\(key) must run from block 0 to block \(final)" }
      for (i, j) in zip(d.path, d.path.dropFirst()) where connection(i, j) == nil {
        return "\(key): block \(i) does not connect to block \(j)"
      }
      let units = opUnits(on: d.path)
      for o in units {
        guard let op = d.ops[o.key] else { return "no op for \(o.key)" }
        if !o.candidates.contains(op) { return "'\(op)' is not a candidate of \(o.key)" }
      }
      if let stray = d.ops.keys.sorted().first(where: { k in !units.contains { $0.key == k } }) {
        return "\(stray) is not on \(key) \(d.path)"
      }
      return nil
    }
  }

  /// The route unit of the space, if it has one.
  public var routeUnit: RouteUnit? {
    for case .route(let r) in units { return r }
    return nil
  }
}

extension Architecture {
  /// The route decision at `key`.
  public func route(_ key: String) -> RouteDecision? {
    if case .route(let r)? = decisions[key] { return r }
    return nil
  }
}
