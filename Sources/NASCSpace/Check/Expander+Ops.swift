/// Op bodies: steps, named values, combinators, parallel branches and op template calls.
extension Expander {
  func envInt(_ env: Env, _ k: String, _ def: Int) -> Int {
    if case .int(let i)? = env[k] { return i }
    return def
  }

  /// Applies a list of steps to value `x`; nil after an error.
  func applySteps(_ steps: SyntaxNode?, _ b: inout GraphBuilder, _ x: Int, _ env: Env) -> Int? {
    guard let steps, !steps.isNull else { return x }
    guard let items = steps.items else {
      error(.wrongType, "expected a list of steps, found \(steps.typeName)", steps)
      return nil
    }
    var cur = x
    var scope: [String: Int] = ["input": x]
    for s in items {
      guard let next = applyStep(s, &b, cur, env, &scope) else { return nil }
      cur = next
    }
    return cur
  }

  /// The value ids a step's `from:` names (nil after an error).
  func fromValues(_ node: SyntaxNode, _ scope: [String: Int]) -> [Int]? {
    let names = node.items ?? [node]
    var out: [Int] = []
    for n in names {
      guard let name = n.scalar, let v = scope[name] else {
        error(
          .unknownVariable, "no value named '\(n.scalar ?? "")' here", n,
          help: DidYouMean.help(n.scalar ?? "", in: Array(scope.keys))
            ?? "name a step's output with 'as:'; 'input' is the op's input")
        return nil
      }
      out.append(v)
    }
    return out
  }

  func applyStep(_ s: SyntaxNode, _ b: inout GraphBuilder, _ x: Int, _ env: Env, _ scope: inout [String: Int]) -> Int? {
    var inputs = [x]
    if let f = s["from"] {
      guard let v = fromValues(f, scope) else { return nil }
      inputs = v
    }
    let asName = s["as"]?.scalar
    guard let out = applyStepBody(s, &b, inputs, env) else { return nil }
    if let asName { scope[asName] = out }
    return out
  }

  func applyStepBody(_ s: SyntaxNode, _ b: inout GraphBuilder, _ inputs: [Int], _ env: Env) -> Int? {
    let x = inputs[0]
    if let name = s.scalar, !s.isNull {
      if DSLSchema.primitives.contains(name) { return primitive(name, args: nil, site: s, &b, x, env) }
      return call(name, args: nil, site: s, &b, x, env)
    }
    guard let pairs = s.pairs else {
      error(.wrongType, "expected a step (a primitive, an op name or a mapping), found \(s.typeName)", s)
      return nil
    }
    if let w = s["when"] {
      guard let ok = bool(w, env, default: true) else { return nil }
      if !ok { return x }
    }
    let keys = pairs.filter { !["when", "with", "as", "from"].contains($0.key.scalar ?? "") }
    guard keys.count == 1, let k = keys[0].key.scalar else {
      if keys.count > 1 {
        error(
          .wrongType,
          "a step has exactly one primitive or 'op:' key, found \(keys.count): "
            + keys.compactMap { $0.key.scalar }.joined(separator: ", "), s, help: "split it into several list entries")
      } else {
        error(.missingKey, "this step names no primitive or op", s)
      }
      return nil
    }
    if k == "op" {
      guard let n = s["op"], let name = n.scalar else { return nil }
      return call(name, args: s["with"], site: n, &b, x, env)
    }
    if s["with"] != nil {
      error(
        .unknownKey, "'with' passes arguments to 'op:' calls only", s.keyNode("with")!,
        help: "primitives take their arguments in their own mapping, e.g. {conv: {kernel: 3}}")
    }
    if k == "parallel" { return parallel(s["parallel"]!, site: keys[0].key, &b, x, env) }
    if Self.multiInput.contains(k) { return combine(k, site: keys[0].key, &b, inputs) }
    if inputs.count > 1 {
      error(.wrongType, "'\(k)' reads one value; 'from' names \(inputs.count)", s["from"] ?? s)
      return nil
    }
    if DSLSchema.primitives.contains(k) { return primitive(k, args: s[k], site: keys[0].key, &b, x, env) }
    if ops[k] != nil {
      error(.unknownKey, "'\(k)' is an op; call it with 'op: \(k)'", keys[0].key, help: "write {op: \(k), with: {...}}")
    }
    return nil  // unknown keys are reported by the schema check
  }

  /// Primitives that combine several named values (`from: [a, b]`).
  static let multiInput: Set<String> = ["add", "mul", "sub", "concat"]

  /// add / mul / sub (first minus the rest) / concat over the values named by `from`.
  func combine(_ k: String, site: SyntaxNode, _ b: inout GraphBuilder, _ inputs: [Int]) -> Int? {
    guard inputs.count >= 2 else {
      error(.missingKey, "'\(k)' combines values: name at least two with 'from: [a, b]'", site)
      return nil
    }
    let shapes = inputs.map { b.shape($0) }
    // Element-wise combinators broadcast 1x1 maps over the others (squeeze-and-excitation gates).
    let spatial = shapes.filter { $0.height != 1 || $0.width != 1 }.first ?? shapes[0]
    let first = k == "concat" ? shapes[0] : Shape(shapes[0].channels, spatial.height, spatial.width)
    for sh in shapes where sh.height != first.height || sh.width != first.width {
      if k != "concat", sh.height == 1, sh.width == 1 { continue }
      error(.resolutionMismatch, "'\(k)' combines \(shapes[0]) with \(sh)", site)
      return nil
    }
    if k == "concat" {
      return b.add(.concat, inputs, Shape(shapes.reduce(0) { $0 + $1.channels }, first.height, first.width))
    }
    for sh in shapes.dropFirst() where sh.channels != first.channels {
      error(.channelMismatch, "'\(k)' combines \(first.channels) channels with \(sh.channels)", site)
      return nil
    }
    let op: Primitive = k == "add" ? .add : (k == "mul" ? .mul : .sub)
    return b.add(op, inputs, first)
  }

  func parallel(_ p: SyntaxNode, site: SyntaxNode, _ b: inout GraphBuilder, _ x: Int, _ env: Env) -> Int? {
    guard let branches = p["branches"]?.items, let merge = p["merge"]?.scalar else { return nil }
    var outs: [Int] = []
    for br in branches {
      guard let o = applySteps(br, &b, x, env) else { return nil }
      outs.append(o)
    }
    let shapes = outs.map { b.shape($0) }
    guard let first = shapes.first else { return x }
    for (i, sh) in shapes.enumerated() where sh.height != first.height || sh.width != first.width {
      error(
        .resolutionMismatch,
        "branch \(i + 1) of 'parallel' produces \(sh.height)x\(sh.width) but branch 1 produces \(first.height)x\(first.width)",
        site)
      return nil
    }
    if merge == "add" {
      for (i, sh) in shapes.enumerated() where sh.channels != first.channels {
        error(
          .channelMismatch,
          "branch \(i + 1) of 'parallel' has \(sh.channels) channels but branch 1 has \(first.channels); 'add' needs equal channels",
          site)
        return nil
      }
      return outs.count == 1 ? outs[0] : b.add(.add, outs, first)
    }
    let c = shapes.reduce(0) { $0 + $1.channels }
    return outs.count == 1 ? outs[0] : b.add(.concat, outs, Shape(c, first.height, first.width))
  }

  /// Calls op template `name` with arguments `args` (evaluated in the caller's variables).
  func call(_ name: String, args: SyntaxNode?, site: SyntaxNode, _ b: inout GraphBuilder, _ x: Int, _ env: Env) -> Int?
  {
    guard let t = ops[name] else {
      let known = Array(ops.keys) + DSLSchema.primitives
      error(
        .unknownOp, "unknown op '\(name)'", site,
        help: DidYouMean.help(name, in: known) ?? "define it under 'ops:' or see Grammar.md for built-in ops")
      return nil
    }
    if callStack.contains(name) || callStack.count > 32 {
      error(.opCycle, "op '\(name)' uses itself (\((callStack + [name]).joined(separator: " -> ")))", site)
      return nil
    }
    usedOps.insert(name)
    callStack.append(name)
    siteStack.append((name, site))
    defer {
      callStack.removeLast()
      siteStack.removeLast()
    }
    let sh = b.shape(x)
    var cenv = env
    cenv["C_in"] = .int(sh.channels)
    cenv["H"] = .int(sh.height)
    cenv["W"] = .int(sh.width)
    let declared = t["params"]?.pairs ?? []
    let names = declared.compactMap { $0.key.scalar }
    for (k, v) in args?.pairs ?? [] {
      guard let key = k.scalar else { continue }
      if v["choice"] != nil {
        error(
          .wrongType, "a value choice cannot be used in a fixed op call", v,
          help: "put the choice in a candidate list or a layer's 'with:'")
        return nil
      }
      switch key {
      case "out", "C_out":
        guard let o = int(v, env, what: "output channels", divisibility: true) else { return nil }
        cenv["C_out"] = .int(o)
      case "stride":
        guard let s = int(v, env, what: "stride") else { return nil }
        cenv["stride"] = .int(s)
      default:
        guard names.contains(key) else {
          error(
            .unknownArgument, "op '\(name)' has no parameter '\(key)'", k,
            help: DidYouMean.help(key, in: names + ["out", "stride"])
              ?? "its parameters: \((names + ["out", "stride"]).joined(separator: ", "))")
          return nil
        }
        guard let val = value(v, env) else { return nil }
        cenv[key] = val
      }
    }
    for (k, v) in declared {
      guard let key = k.scalar, args?[key] == nil else { continue }
      guard let val = value(v, cenv) else { return nil }
      cenv[key] = val
    }
    var out: Int? = nil
    if let cases = t["cases"]?.items {
      var matched = false
      for c in cases {
        if let w = c["when"] {
          guard let ok = bool(w, cenv, default: true) else { return nil }
          if !ok { continue }
        }
        matched = true
        out = applySteps(c["body"], &b, x, cenv)
        break
      }
      if !matched {
        error(
          .badValue,
          "no case of op '\(name)' applies here (stride \(cenv["stride"]?.description ?? "?"), C_in \(sh.channels), C_out \(cenv["C_out"]?.description ?? "?"))",
          site)
        return nil
      }
    } else if let body = t["body"] {
      out = applySteps(body, &b, x, cenv)
    } else {
      error(.missingKey, "op '\(name)' has neither 'body' nor 'cases'", t)
      return nil
    }
    guard let y = out else { return nil }
    if let r = t["residual"] {
      let ys = b.shape(y)
      let same = ys == sh
      let auto = r.scalar == "auto"
      if auto {
        if same && envInt(cenv, "stride", 1) == 1 { return b.add(.add, [y, x], ys) }
      } else if r.bool == true {
        if !same {
          error(
            .channelMismatch, "op '\(name)' adds a residual but maps \(sh) to \(ys)", site,
            help: "use 'residual: auto' to add it only where shapes match")
          return nil
        }
        return b.add(.add, [y, x], ys)
      }
    }
    return y
  }

  /// Instantiates one candidate (or fixed op) on `input` with the given variables.
  func build(_ entry: CandidateEntry, input: Shape, _ env: Env) -> PrimGraph? {
    var b = GraphBuilder(input: input)
    var e = env
    e["C_in"] = .int(input.channels)
    e["H"] = .int(input.height)
    e["W"] = .int(input.width)
    let y: Int?
    if DSLSchema.primitives.contains(entry.op), ops[entry.op] == nil {
      y = primitive(entry.op, args: nil, site: entry.node, &b, 0, e)
    } else {
      y = call(entry.op, args: entry.args, site: entry.node, &b, 0, e)
    }
    guard let y else { return nil }
    return b.finish(y)
  }
}
