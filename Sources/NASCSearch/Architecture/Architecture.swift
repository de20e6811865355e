import NASCSpace
import NASCTensor

/// Every choice of a space decided: per `ArchSpace` unit key, an op or a node's (op, input) pairs.
/// Node pairs keep the order they were derived in (GDAS lists them by weight), but equality and
/// hashing compare them as sets, so populations and caches de-duplicate by value.
public struct Architecture: Hashable, Codable, Sendable {
  /// One unit's decision.
  public enum Value: Hashable, Codable, Sendable {
    /// The chosen op.
    case op(String)
    /// A node's kept (op, input) pairs.
    case pairs([DerivedInput])
    /// A routing graph's path and the ops on it.
    case route(RouteDecision)

    /// The value with node pairs sorted by input, then op.
    var canonical: Value {
      if case .pairs(let p) = self { return .pairs(Architecture.canonical(p)) }
      return self
    }
  }

  /// The decisions by unit key.
  public var decisions: [String: Value]

  /// Creates an architecture.
  public init(decisions: [String: Value]) { self.decisions = decisions }

  /// Equal when every unit decides the same (node pairs compared as sets).
  public static func == (a: Architecture, b: Architecture) -> Bool {
    a.decisions.mapValues(\.canonical) == b.decisions.mapValues(\.canonical)
  }

  /// Hashes the canonical form.
  public func hash(into h: inout Hasher) { h.combine(decisions.mapValues(\.canonical)) }

  static func canonical(_ p: [DerivedInput]) -> [DerivedInput] {
    p.sorted { $0.input != $1.input ? $0.input < $1.input : $0.op < $1.op }
  }

  /// The op chosen for unit `key`.
  public func op(_ key: String) -> String? {
    if case .op(let o)? = decisions[key] { return o }
    return nil
  }

  /// The pairs kept by node unit `key`.
  public func pairs(_ key: String) -> [DerivedInput]? {
    if case .pairs(let p)? = decisions[key] { return p }
    return nil
  }
}

extension ArchSpace {
  /// An architecture drawn uniformly from the derivation rule's outputs: a uniform op per op unit;
  /// per node, k distinct inputs uniformly (or k inputs with repeats) each with a uniform op.
  public func sample(rng: inout RNG) -> Architecture {
    var d = [String: Architecture.Value]()
    for u in units {
      switch u {
      case .op(let o): d[o.key] = .op(o.candidates[rng.nextInt(below: o.candidates.count)])
      case .node(let n):
        var pool = n.inputs
        var picks = [DerivedInput]()
        for _ in 0..<n.k {
          let i = rng.nextInt(below: pool.count)
          picks.append(DerivedInput(op: n.ops[rng.nextInt(below: n.ops.count)], input: pool[i]))
          if n.distinct { pool.remove(at: i) }
        }
        d[n.key] = .pairs(Architecture.canonical(picks))
      case .route(let r): d[r.key] = .route(r.sample(rng: &rng))
      }
    }
    return Architecture(decisions: d)
  }

  /// `a` with exactly one decision changed, uniformly among the decisions that can change: a
  /// different op of an op unit, or, in one kept pair of a node, a different op or a different
  /// input (one the node does not keep yet, when inputs are distinct); on a route, a different op of
  /// one head or stacked layer on the path, or the path taken elsewhere from one of its blocks
  /// (`RouteUnit.reroute`).
  public func mutate(_ a: Architecture, rng: inout RNG) -> Architecture {
    // Every single change that is possible, counted so that the draw is uniform over decisions.
    var slots = [(unit: Int, pair: Int, input: Bool)]()
    for (i, u) in units.enumerated() {
      switch u {
      case .op(let o): if o.candidates.count > 1 { slots.append((i, 0, false)) }
      case .node(let n):
        let kept = a.pairs(n.key) ?? []
        for p in kept.indices {
          if n.ops.count > 1 { slots.append((i, p, false)) }
          let free = n.distinct ? n.inputs.filter { x in !kept.contains { $0.input == x } } : n.inputs
          if free.count > (n.distinct ? 0 : 1) { slots.append((i, p, true)) }
        }
      case .route(let r):
        guard let d = a.route(r.key) else { continue }
        for (k, o) in r.opUnits(on: d.path).enumerated() where o.candidates.count > 1 { slots.append((i, k, false)) }
        if !r.reroutable(d.path).isEmpty { slots.append((i, 0, true)) }
      }
    }
    guard !slots.isEmpty else { return a }
    let s = slots[rng.nextInt(below: slots.count)]
    var d = a.decisions
    switch units[s.unit] {
    case .op(let o):
      let others = o.candidates.filter { $0 != a.op(o.key) }
      d[o.key] = .op(others[rng.nextInt(below: others.count)])
    case .node(let n):
      var kept = a.pairs(n.key) ?? []
      if s.input {
        let current = kept[s.pair].input
        let free =
          n.distinct ? n.inputs.filter { x in !kept.contains { $0.input == x } } : n.inputs.filter { $0 != current }
        kept[s.pair].input = free[rng.nextInt(below: free.count)]
      } else {
        let others = n.ops.filter { $0 != kept[s.pair].op }
        kept[s.pair].op = others[rng.nextInt(below: others.count)]
      }
      d[n.key] = .pairs(Architecture.canonical(kept))
    case .route(let r):
      var route = a.route(r.key)!
      if s.input {
        route = r.reroute(route, rng: &rng) ?? route
      } else {
        let o = r.opUnits(on: route.path)[s.pair]
        let others = o.candidates.filter { $0 != route.ops[o.key] }
        route.ops[o.key] = others[rng.nextInt(below: others.count)]
      }
      d[r.key] = .route(route)
    }
    return Architecture(decisions: d)
  }

  /// Each unit's decision taken from `a` or `b` with equal probability.
  public func crossover(_ a: Architecture, _ b: Architecture, rng: inout RNG) -> Architecture {
    var d = [String: Architecture.Value]()
    for u in units {
      let from = rng.nextInt(below: 2) == 0 ? a : b
      d[u.key] = from.decisions[u.key] ?? a.decisions[u.key]
    }
    return Architecture(decisions: d)
  }

  /// The number of single decisions in which `a` and `b` differ (see `decisionCount`).
  public func distance(_ a: Architecture, _ b: Architecture) -> Int {
    var n = 0
    for u in units {
      switch u {
      case .op(let o): if a.op(o.key) != b.op(o.key) { n += 1 }
      case .node(let v):
        let p = a.pairs(v.key) ?? [], q = b.pairs(v.key) ?? []
        // Match pairs by input first so that a changed op counts once, a changed input once.
        var rest = q
        var unmatched = [DerivedInput]()
        for x in p {
          if let j = rest.firstIndex(of: x) {
            rest.remove(at: j)
          } else {
            unmatched.append(x)
          }
        }
        for x in unmatched {
          if let j = rest.firstIndex(where: { $0.input == x.input || $0.op == x.op }) {
            rest.remove(at: j)
            n += 1
          } else {
            n += 2
          }
        }
      case .route(let r):
        let p = a.route(r.key), q = b.route(r.key)
        if p?.path != q?.path { n += 1 }
        let ids = Set((p?.ops ?? [:]).keys).intersection((q?.ops ?? [:]).keys)
        n += ids.filter { p?.ops[$0] != q?.ops[$0] }.count
      }
    }
    return n
  }

  /// Throws `E303` when an architecture a checkpoint restored (`what`: "the enas state") is not
  /// one of this space's: a hand-edited or foreign checkpoint.
  public func checkRestored(_ archs: some Sequence<Architecture>, in what: String) throws {
    if let bad = archs.lazy.compactMap({ self.problem($0) }).first {
      throw RunError(
        "E303", "the checkpoint's \(what) holds an architecture not of this space: \(bad)", help: "start a new run")
    }
  }

  /// Checks that `a` decides every unit with a legal value; returns what is wrong, or nil.
  public func problem(_ a: Architecture) -> String? {
    for u in units {
      switch u {
      case .op(let o):
        guard let op = a.op(o.key) else { return "no op for \(o.key)" }
        if !o.candidates.contains(op) { return "'\(op)' is not a candidate of \(o.key)" }
      case .node(let n):
        guard let p = a.pairs(n.key) else { return "no inputs for \(n.key)" }
        if p.count != n.k { return "\(n.key) keeps \(p.count) inputs, not \(n.k)" }
        for x in p {
          if !n.ops.contains(x.op) { return "'\(x.op)' is not an op of \(n.key)" }
          if !n.inputs.contains(x.input) { return "\(n.key) cannot read node \(x.input)" }
        }
        if n.distinct && Set(p.map(\.input)).count != p.count { return "\(n.key) reads one input twice" }
      case .route(let r):
        guard let d = a.route(r.key) else { return "no path for \(r.key)" }
        if let p = r.problem(d) { return p }
      }
    }
    return nil
  }

  /// Parameters and MACs of the decided candidates, summed over units (one cell instance per
  /// template; the fixed parts of the network are not included).
  /// Width choices are not priced here (their units cost 0, and a layer's cost is at its widest
  /// input); `SharedWeightSupernet.costs` is the exact whole-network count.
  public func costs(_ a: Architecture) -> ChoiceCosts {
    var c = ChoiceCosts(params: 0, macs: 0)
    for u in units {
      switch u {
      case .op(let o):
        if let op = a.op(o.key), let i = o.candidates.firstIndex(of: op) {
          c.params += o.costs[i].params
          c.macs += o.costs[i].macs
        }
      case .node(let n):
        for x in a.pairs(n.key) ?? [] {
          if let e = n.inputs.firstIndex(of: x.input), let k = n.ops.firstIndex(of: x.op) {
            c.params += n.costs[e][k].params
            c.macs += n.costs[e][k].macs
          }
        }
      case .route(let r):
        guard let d = a.route(r.key) else { continue }
        for o in r.opUnits(on: d.path) {
          if let op = d.ops[o.key], let i = o.candidates.firstIndex(of: op) {
            c.params += o.costs[i].params
            c.macs += o.costs[i].macs
          }
        }
      }
    }
    return c
  }
}
