/// Candidates that are written differently but build one graph.
extension Expander {
  /// A rounding that maps two values of one argument to one result: which argument, its two values
  /// as written, the expression, and the rounding's inputs and result under each value.
  struct Collision {
    var parameter: String
    var values: (String, String)
    var valueNode: SyntaxNode?
    var expression: String?
    var function: String?
    var inputs: (Double, Double)?
    var result: Double?
    /// Whether the rounding is the whole expression (`round8(m * C_out)`), not a part of it.
    var whole = false
  }

  /// W001 for each candidate of one choice whose graph here equals an earlier candidate's: a width
  /// rounding (`round8`, `floor`, `//`) can map two multipliers to one width (1.0 and 1.05 of 32
  /// channels both round8 to 32), which leaves the choice with two names for one layer. `entries`
  /// are the candidates as written, one per graph; `place` names the layer or edge.
  func warnIdenticalCandidates(_ cands: [Candidate], _ entries: [CandidateEntry], place: String, env: Env) {
    guard cands.count == entries.count, cands.count > 1 else { return }
    var first: [PrimGraph: Int] = [:]
    for j in cands.indices {
      guard let i = first[cands[j].graph] else {
        first[cands[j].graph] = j
        continue
      }
      let (a, b) = (entries[i], entries[j])
      let c = collision(a, b, env: env)
      // Once per pair and place: the layers of a stage, the edges of a cell's instances repeat it.
      let key = "\((c?.valueNode ?? b.node).location)|\(cands[i].name)|\(cands[j].name)"
      guard reportedIdentical.insert(key).inserted else { continue }
      var msg = "candidates '\(cands[i].name)' and '\(cands[j].name)' \(place) are identical"
      var help = "drop one of them; the duplicate would get its own architecture weight for the same graph"
      if let c {
        msg += ": with \(c.parameter) = \(c.values.0) and \(c.parameter) = \(c.values.1)"
        if let f = c.function, let x = c.expression, let (p, q) = c.inputs, let r = c.result {
          let rounding = c.whole ? x : "\(f) in '\(x)'"
          msg += ", \(rounding) rounds \(Self.number(p)) and \(Self.number(q)) to the same \(Self.number(r))"
          help =
            "\(Self.roundingMeaning(f)); drop one value or pick values that give different widths, else the duplicate gets its own architecture weight for the same graph"
        } else {
          msg += ", they build the same graph"
        }
      } else {
        msg += ": they build the same graph"
      }
      warn(.duplicateCandidate, msg, c?.valueNode ?? b.node, help: help)
    }
  }

  /// The argument two entries of one op give different values, and the rounding in the op's template
  /// that maps both to one result, where one can be found.
  func collision(_ a: CandidateEntry, _ b: CandidateEntry, env: Env) -> Collision? {
    guard a.op == b.op, let pa = a.args?.pairs, let pb = b.args?.pairs else { return nil }
    var differing: [Collision] = []
    for (k, va) in pa {
      guard let key = k.scalar, let vb = pb.first(where: { $0.key.scalar == key })?.value,
        let sa = va.scalar, let sb = vb.scalar, !Self.sameValues([sa], [sb])
      else { continue }
      differing.append(Collision(parameter: key, values: (sa, sb), valueNode: vb))
    }
    guard let template = ops[a.op], let ea = templateEnv(template, a, env), let eb = templateEnv(template, b, env)
    else { return differing.first }
    let texts = Self.scalars(in: template)
    for var c in differing {
      for text in texts {
        guard let expr = try? Expr.parse(text), expr.variables.contains(c.parameter) else { continue }
        for (f, x, full) in Self.roundings(in: expr) where x.variables.contains(c.parameter) {
          guard let p = try? x.evaluate(ea).number, let q = try? x.evaluate(eb).number, p != q,
            let r = try? full.evaluate(ea).number, let s = try? full.evaluate(eb).number, r == s
          else { continue }
          c.function = f
          c.expression = text
          c.inputs = (p, q)
          c.result = r
          c.whole = full.description == expr.description
          return c
        }
      }
    }
    return differing.first
  }

  /// The variables inside op template `t` called with `entry`'s arguments on a layer's `env`, or
  /// nil when one does not evaluate.
  func templateEnv(_ t: SyntaxNode, _ entry: CandidateEntry, _ env: Env) -> Env? {
    var e = env
    func eval(_ n: SyntaxNode, _ in: Env) -> ExprValue? {
      if let i = n.int { return .int(i) }
      if let d = n.double { return .real(d) }
      guard let s = n.scalar, let x = try? Expr.parse(s) else { return nil }
      return try? x.evaluate(`in`)
    }
    for (k, v) in entry.args?.pairs ?? [] {
      guard let key = k.scalar, let val = eval(v, env) else { return nil }
      e[key == "out" ? "C_out" : key] = val
    }
    for (k, v) in t["params"]?.pairs ?? [] {
      guard let key = k.scalar, entry.args?[key] == nil else { continue }
      guard let val = eval(v, e) else { return nil }
      e[key] = val
    }
    return e
  }

  /// Every scalar (an expression or a number) in a template's body, cases and parameters.
  static func scalars(in node: SyntaxNode) -> [String] {
    if let s = node.scalar, !node.isNull { return [s] }
    if let items = node.items { return items.flatMap { scalars(in: $0) } }
    return (node.pairs ?? []).flatMap { scalars(in: $0.value) }
  }

  /// The roundings in an expression: (function, the value it rounds, the rounding itself).
  static func roundings(in e: Expr) -> [(String, Expr, Expr)] {
    switch e {
    case .literal, .variable: return []
    case .unary(_, let x): return roundings(in: x)
    case .binary(let op, let x, let y):
      let inner = roundings(in: x) + roundings(in: y)
      return op == "//" ? [("//", .binary("/", x, y), e)] + inner : inner
    case .call(let f, let args):
      let inner = args.flatMap { roundings(in: $0) }
      return (f == "round8" || f == "floor") && args.count == 1 ? [(f, args[0], e)] + inner : inner
    }
  }

  static func roundingMeaning(_ f: String) -> String {
    switch f {
    case "round8": return "round8 rounds to a multiple of 8 (at least 8)"
    case "floor": return "floor drops the fraction"
    default: return "// rounds the quotient down"
    }
  }

  /// A number as a person writes it: 32, 33.6.
  static func number(_ d: Double) -> String {
    d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
  }
}
