import Foundation
import NASCSpace

/// The per-cell view of an architecture's node decisions: what genotypes and cell pictures show.
public struct DecidedCell: Equatable, Sendable {
  /// The template.
  public var template: String
  /// Per intermediate node (in order), its kept inputs.
  public var nodes: [(node: Int, inputs: [DerivedInput])]
  /// The nodes forming the output.
  public var outputNodes: [Int]

  /// Equality over all fields.
  public static func == (a: DecidedCell, b: DecidedCell) -> Bool {
    a.template == b.template && a.outputNodes == b.outputNodes && a.nodes.count == b.nodes.count
      && zip(a.nodes, b.nodes).allSatisfy { $0.node == $1.node && $0.inputs == $1.inputs }
  }
}

/// Encodings of an `Architecture`: the arch document, the DARTS genotype and the NB201 string, one
/// implementation each, and decoding from the genotype and the NB201 string.
extension ArchSpace {
  /// The decided cells of `a` whose nodes select inputs (DARTS-style cells).
  public func decidedCells(_ a: Architecture) -> [DecidedCell] {
    cells.compactMap { c in
      let nodes = units.compactMap { u -> (node: Int, inputs: [DerivedInput])? in
        guard case .node(let n) = u, n.template == c.template else { return nil }
        return (n.node, a.pairs(n.key) ?? [])
      }
      guard !nodes.isEmpty else { return nil }
      // A loose-ends cell (ENAS) outputs the nodes that no kept input reads.
      let outputs =
        c.looseEnds
        ? c.outputNodes.filter { j in !nodes.contains { $0.inputs.contains { $0.input == j } } } : c.outputNodes
      return DecidedCell(template: c.template, nodes: nodes, outputNodes: outputs)
    }
  }

  /// The `arch:` document of `a` (op units by choice id, node units as `template.nodeN: [[op, input], ...]`),
  /// naming its space by `spacePath`.
  public func archDocument(_ a: Architecture, spacePath: String, header: [String]) -> String {
    var s = header.map { "# " + $0 }.joined(separator: "\n")
    if !s.isEmpty { s += "\n" }
    s += "nasc: 1\narch:\n  space: \(spacePath)\n  choices:\n"
    for case .op(let o) in units {
      guard let op = a.op(o.key) else { continue }
      if let parts = o.decisions[op] {
        for p in parts { s += "    \(p.id): \(p.value)\n" }
      } else {
        s += "    \(o.key): \(op)\n"
      }
    }
    for case .node(let n) in units {
      let list = (a.pairs(n.key) ?? []).map { "[\($0.op), \($0.input)]" }.joined(separator: ", ")
      s += "    \(n.key): [\(list)]\n"
    }
    for case .route(let r) in units {
      guard let d = a.route(r.key) else { continue }
      s += "    \(r.key): [\(d.path.map(String.init).joined(separator: ", "))]\n"
      for o in r.opUnits(on: d.path) { if let op = d.ops[o.key] { s += "    \(o.key): \(op)\n" } }
    }
    return s
  }

  /// The DARTS genotype of `a`, when the space has a `normal` template of two-input selecting cells
  /// or is one recurrent cell (`Genotype(recurrent=[...], concat=[...])`).
  public func genotype(_ a: Architecture) -> DartsGenotype? {
    let decided = decidedCells(a)
    if cells.count == 1, cells[0].recurrent, let c = decided.first, c.template == cells[0].template {
      var g = DartsGenotype(normal: [], normalConcat: [], reduce: [], reduceConcat: [])
      g.recurrent = c.nodes.flatMap { $0.inputs.map { DartsGenotype.Pair($0.op, $0.input) } }
      g.concat = c.outputNodes
      return g
    }
    guard let n = decided.first(where: { $0.template == "normal" }),
      cells.first(where: { $0.template == "normal" })?.inputs == 2
    else { return nil }
    let r = decided.first { $0.template == "reduce" }
    func pairs(_ c: DecidedCell) -> [DartsGenotype.Pair] {
      c.nodes.flatMap { $0.inputs.map { DartsGenotype.Pair($0.op, $0.input) } }
    }
    return DartsGenotype(
      normal: pairs(n), normalConcat: n.outputNodes, reduce: r.map(pairs) ?? [], reduceConcat: r?.outputNodes ?? [])
  }

  /// The NAS-Bench-201 string of `a`, when the space is one one-input cell template whose every
  /// edge is an op unit.
  public func nb201(_ a: Architecture) -> NB201Arch? {
    guard cells.count == 1, cells[0].inputs == 1, !units.isEmpty, units.allSatisfy({ edgeOf[$0.key] != nil }) else {
      return nil
    }
    var byNode = [Int: [(op: String, from: Int)]]()
    for u in units {
      guard let e = edgeOf[u.key], let op = a.op(u.key) else { return nil }
      byNode[e.to, default: []].append((op, e.from))
    }
    return NB201Arch(nodes: byNode.keys.sorted().map { byNode[$0]!.sorted { $0.from < $1.from } })
  }

  /// The short text of `a` in the space's own terms: the NB201 string, else the genotype, else the
  /// op units' choices joined (`layer[0].op=ir_3x3_t3 ...`).
  public func text(_ a: Architecture) -> String {
    if let s = nb201(a) { return s.description }
    if let g = genotype(a) { return g.description }
    return units.map { u in
      switch u {
      case .op(let o): return "\(o.key)=\(a.op(o.key) ?? "?")"
      case .node(let n):
        return "\(n.key)=" + (a.pairs(n.key) ?? []).map { "\($0.op)~\($0.input)" }.joined(separator: ",")
      case .route(let r):
        guard let d = a.route(r.key) else { return "\(r.key)=?" }
        return
          (["\(r.key)=" + d.path.map(String.init).joined(separator: "-")]
          + r.opUnits(on: d.path).map { "\($0.key)=\(d.ops[$0.key] ?? "?")" }).joined(separator: " ")
      }
    }.joined(separator: " ")
  }

  /// The architecture an arch document (as `archDocument` writes it) describes, or nil when it is
  /// no arch document or does not fit the space.
  public func decode(archDocument text: String) -> Architecture? {
    guard let d = Compiler.archChoices(text: text).decisions else { return nil }
    var out = [String: Architecture.Value]()
    for u in units {
      switch u {
      case .op(let o):
        if let banks = d.subsets[o.key] {
          out[o.key] = .op(Self.bankSubsetName(banks.sorted()))
        } else if let op = d.ops[o.key], o.decisions.isEmpty || o.candidates.contains(op) {
          // A value (a width) may be written 24 or 24.0.
          let numeric = Double(op).flatMap { v in o.candidates.first { Double($0) == v } }
          out[o.key] = .op(o.candidates.contains(op) ? op : numeric ?? op)
        } else if !o.decisions.isEmpty {
          // A composite layer written as its parts: the candidate whose decisions the document makes.
          let match = o.candidates.first { name in
            (o.decisions[name] ?? []).allSatisfy { p in
              d.ops[p.id].map { $0 == p.value || (Double($0) != nil && Double($0) == Double(p.value)) } ?? false
            }
          }
          if let match { out[o.key] = .op(match) }
        }
      case .node(let n):
        if let p = d.nodes[n.key] { out[n.key] = .pairs(p.map { DerivedInput(op: $0.op, input: $0.from) }) }
      case .route(let r):
        if let path = d.paths[r.key] {
          var ops = [String: String]()
          for o in r.opUnits(on: path) { ops[o.key] = d.ops[o.key] }
          out[r.key] = .route(RouteDecision(path: path, ops: ops))
        }
      }
    }
    let a = Architecture(decisions: out)
    return problem(a) == nil ? a : nil
  }

  /// The architecture a DARTS genotype describes (entries 2i, 2i+1 feed node i + 2), or nil when it
  /// does not fit the space.
  public func decode(genotype g: DartsGenotype) -> Architecture? {
    var d = [String: Architecture.Value]()
    for c in cells {
      let list = c.template == "normal" ? g.normal : c.template == "reduce" ? g.reduce : []
      let nodeUnits = units.compactMap { u -> NodeUnit? in
        if case .node(let n) = u, n.template == c.template { return n }
        return nil
      }
      var at = 0
      for n in nodeUnits {
        guard at + n.k <= list.count else { return nil }
        d[n.key] = .pairs(list[at..<(at + n.k)].map { DerivedInput(op: $0.op, input: $0.input) })
        at += n.k
      }
      guard at == list.count else { return nil }
    }
    let a = Architecture(decisions: d)
    return problem(a) == nil ? a : nil
  }

  /// The architecture an NB201 string describes, or nil when it does not fit the space.
  public func decode(nb201 s: NB201Arch) -> Architecture? {
    var d = [String: Architecture.Value]()
    var byEdge = [String: String]()
    for (i, node) in s.nodes.enumerated() { for (op, from) in node { byEdge["\(from)→\(i + 1)"] = op } }
    for u in units {
      guard let e = edgeOf[u.key], let op = byEdge["\(e.from)→\(e.to)"] else { return nil }
      d[u.key] = .op(op)
    }
    let a = Architecture(decisions: d)
    return problem(a) == nil ? a : nil
  }

  /// The architecture of a text in the space's own terms (an NB201 string, a genotype, or `text`'s
  /// `key=op` list), or nil.
  public func decode(text: String) -> Architecture? {
    let t = text.trimmingCharacters(in: .whitespaces)
    if t.hasPrefix("|"), let s = try? NB201Arch.parse(t) { return decode(nb201: s) }
    if t.hasPrefix("Genotype"), let g = try? DartsGenotype.parse(t) { return decode(genotype: g) }
    var d = [String: Architecture.Value]()
    for item in t.split(separator: " ") {
      let kv = item.split(separator: "=", maxSplits: 1).map(String.init)
      guard kv.count == 2 else { return nil }
      if case .node? = unit(kv[0]) {
        let pairs = kv[1].split(separator: ",").compactMap { p -> DerivedInput? in
          let f = p.split(separator: "~")
          guard f.count == 2, let i = Int(f[1]) else { return nil }
          return DerivedInput(op: String(f[0]), input: i)
        }
        d[kv[0]] = .pairs(pairs)
      } else if case .route? = unit(kv[0]) {
        let parts = kv[1].split(separator: "-", omittingEmptySubsequences: false)
        let path = parts.compactMap { Int($0) }
        guard path.count == parts.count else { return nil }
        d[kv[0]] = .route(RouteDecision(path: path, ops: [:]))
      } else {
        d[kv[0]] = .op(kv[1])
      }
    }
    // A route's ops are written as `key=op` items after its path.
    if let r = routeUnit, case .route(var route)? = d[r.key] {
      for o in r.opUnits(on: route.path) {
        if case .op(let op)? = d.removeValue(forKey: o.key) { route.ops[o.key] = op }
      }
      d[r.key] = .route(route)
    }
    // A route's op off its path (or without a path) is no decision of this space.
    if routeUnit != nil, d.keys.contains(where: { $0.hasPrefix("route.") && unit($0) == nil }) { return nil }
    let a = Architecture(decisions: d)
    return problem(a) == nil ? a : nil
  }
}
