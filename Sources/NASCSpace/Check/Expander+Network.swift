/// The macro skeleton → `NetworkIR`.
extension Expander {
  /// The most cells, layers or repeats one network may expand to (checked before expanding).
  static let maxItems = 10_000

  func expandNetwork(_ sk: SyntaxNode, input: Shape, evalSkeleton: Bool) -> NetworkIR? {
    var env: Env = ["classes": .int(classes), "affine": .bool(affine), "search": .bool(searchMode)]
    if let t = tokens { env["tokens"] = .int(t) }
    guard let c0 = int(sk["C"], env, default: 16, what: "C") else { return nil }
    env["C"] = .int(c0)
    // Body items, counted before anything is expanded.
    var body: [SyntaxNode] = []
    var totalCells = 0
    if let b = sk["body"]?.items {
      body = b
      var total = 0
      for it in b {
        let r = max(1, it["repeat"]?.int ?? 1)
        if r > Self.maxItems || total + r > Self.maxItems {
          error(
            .tooLarge,
            "the network would have \(r > Self.maxItems ? r : total + r) items; at most \(Self.maxItems) are supported",
            it["repeat"] ?? it)
          return nil
        }
        total += r
        if it["cell"] != nil { totalCells += r }
      }
    } else if let n = sk["cells"] {
      guard let count = cellsOverride ?? n.int, count >= 1 else { return nil }
      if count > Self.maxItems {
        error(.tooLarge, "\(count) cells is more than the \(Self.maxItems) supported", n)
        return nil
      }
      totalCells = count
      var reds: Set<Int> = [count / 3, 2 * count / 3]
      if cellsOverride == nil, let r = sk["reductions"] {
        if let items = r.items {
          reds = []
          for it in items {
            guard let i = it.int else { continue }
            if i < 0 || i >= count {
              error(.outOfRange, "reduction position \(i) is outside the \(count) cells (0..\(count - 1))", it)
              return nil
            }
            reds.insert(i)
          }
        }
      }
      let normal = sk["normal"]?.scalar ?? "normal"
      let reduce = sk["reduce"]?.scalar ?? "reduce"
      let site = sk["cells"]!
      for i in 0..<count {
        let name = reds.contains(i) ? reduce : normal
        let nameNode = (reds.contains(i) ? sk["reduce"] : sk["normal"]) ?? site
        body.append(
          nameNode.located(
            .mapping([
              (
                key: nameNode.located(.scalar("cell", quoted: false)),
                value: nameNode.located(.scalar(name, quoted: false))
              )
            ])))
      }
    } else {
      error(
        .emptyNetwork, "the network has neither 'cells' nor 'body'", sk,
        help: "add 'cells: 8' (cell spaces) or a 'body:' list (layer-wise spaces)")
      return nil
    }
    env["cells"] = .int(totalCells)
    // Stem.
    var sb = GraphBuilder(input: input)
    var senv = env
    senv["C_in"] = .int(input.channels)
    senv["C_out"] = .int(c0)
    senv["stride"] = .int(1)
    senv["H"] = .int(input.height)
    senv["W"] = .int(input.width)
    guard let stemOut = applySteps(sk["stem"], &sb, 0, senv) else { return nil }
    let stem = sb.finish(stemOut)
    var pp = CellSource(item: -1, shape: stem.outputShape)
    var p = pp
    var prevRed = false
    var c = c0
    var items: [NetworkItem] = []
    var cellIndex = 0
    var layerIndex = 0
    var memoryIndex = 0
    var cellItem: [Int: Int] = [:]
    var widths = WidthState.fixed(stem.outputShape.channels)
    fixedWidthVariants = [:]
    for it in body {
      let kinds = ["cell", "op", "layer", "steps", "route", "memory"].filter { it[$0] != nil }
      guard kinds.count == 1 else {
        error(
          kinds.isEmpty ? .missingKey : .wrongType,
          kinds.isEmpty
            ? "a body item needs one of 'cell', 'op', 'layer', 'steps', 'route' or 'memory'"
            : "a body item has exactly one of 'cell', 'op', 'layer', 'steps', 'route', 'memory'; found \(kinds.joined(separator: ", "))",
          it)
        continue
      }
      let repeatN = min(Self.maxItems, max(1, it["repeat"]?.int ?? 1))
      env["C"] = .int(c)
      env["C_prev"] = .int(p.shape.channels)
      switch kinds[0] {
      case "cell":
        guard let nameNode = it["cell"], let name = nameNode.scalar else { continue }
        guard notAfterWidthChoice(widths, "cell '\(name)'", at: nameNode) else { return nil }
        for _ in 0..<repeatN {
          let red = cells[name]?["reduction"]?.bool ?? false
          if let cn = it["C"] {
            guard let v = int(cn, env, what: "C") else { return nil }
            c = v
          } else if red {
            c *= 2
          }
          let recurrent = it["recurrent"]?.bool ?? false
          // A recurrent cell reads concat(x_t, h_{t-1}) with h of C channels.
          let sources =
            recurrent
            ? [CellSource(item: p.item, shape: Shape(p.shape.channels + c, p.shape.height, p.shape.width))] : [pp, p]
          guard
            var inst = expandCell(
              name, site: nameNode, cellIndex: cellIndex, c: c, sources: sources,
              reductionPrev: prevRed, baseEnv: env)
          else { return nil }
          if recurrent {
            inst.recurrent = true
            if inst.shape.channels != c {
              error(
                .channelMismatch,
                "recurrent cell '\(name)' outputs \(inst.shape.channels) channels but its hidden state has C = \(c)",
                nameNode, help: "a recurrent cell's output is its next hidden state; use 'output: mean' or 'last'")
              return nil
            }
          }
          cellItem[cellIndex] = items.count
          items.append(.cell(inst))
          pp = p
          p = CellSource(item: items.count - 1, shape: inst.shape)
          prevRed = red
          cellIndex += 1
          widths = .fixed(inst.shape.channels)
        }
      case "op", "steps":
        for _ in 0..<repeatN {
          var e = env
          guard let out = int(it["out"], env, default: p.shape.channels, what: "out"),
            let stride = int(it["stride"], env, default: 1, what: "stride")
          else { return nil }
          e["C_out"] = .int(out)
          e["stride"] = .int(stride)
          let label = it["op"]?.scalar ?? it["name"]?.scalar ?? "steps"
          func buildFixed(_ input: Shape) -> PrimGraph? {
            var e = e
            if it["out"] == nil { e["C_out"] = .int(input.channels) }
            if let opNode = it["op"], let op = opNode.scalar {
              return build(CandidateEntry(name: op, op: op, args: it["with"], when: nil, node: opNode), input: input, e)
            }
            var b = GraphBuilder(input: input)
            e["C_in"] = .int(input.channels)
            e["H"] = .int(input.height)
            e["W"] = .int(input.width)
            return applySteps(it["steps"], &b, 0, e).map { b.finish($0) }
          }
          guard
            let (g, next) = followWidths(
              widths, shape: p.shape, item: items.count, what: "'\(label)'", at: it, buildFixed)
          else { return nil }
          widths = next
          items.append(.fixed(name: label, graph: g))
          pp = p
          p = CellSource(item: items.count - 1, shape: g.outputShape)
          prevRed = Self.downsamples(from: pp.shape, to: p.shape)
          c = g.outputShape.channels
        }
      case "memory":
        guard let m = it["memory"], notAfterWidthChoice(widths, "a memory block", at: m),
          let block = expandMemory(m, index: memoryIndex, input: p.shape, env: env)
        else {
          return nil
        }
        widths = .fixed(block.shape.channels)
        memoryIndex += 1
        items.append(.memory(block))
        pp = p
        p = CellSource(item: items.count - 1, shape: block.shape)
        prevRed = Self.downsamples(from: pp.shape, to: p.shape)
        c = block.shape.channels
      case "route":
        if items.contains(where: { if case .route = $0 { true } else { false } }), let r = it["route"] {
          error(
            .invalidValue, "a network holds at most one route", r,
            help: "put every candidate block into one route's 'blocks'")
          return nil
        }
        guard let r = it["route"], notAfterWidthChoice(widths, "a routing block", at: r),
          let route = expandRoute(r, input: p.shape, networkInput: input, env: env)
        else {
          return nil
        }
        widths = .fixed(route.shape.channels)
        items.append(.route(route))
        pp = p
        p = CellSource(item: items.count - 1, shape: route.shape)
        prevRed = Self.downsamples(from: pp.shape, to: p.shape)
        c = route.shape.channels
      default:  // layer
        let outNode = it["out"]
        var outChoice: WidthChoice? = nil
        var out = p.shape.channels
        if let outNode, outNode.pairs != nil {
          guard
            let w = widthChoice(
              outNode, id: widthChoiceID(it, firstLayer: layerIndex, count: repeatN), env: env)
          else { return nil }
          outChoice = w
        } else {
          guard let o = int(outNode, env, default: p.shape.channels, what: "out") else { return nil }
          out = o
        }
        guard let stride0 = int(it["stride"], env, default: 1, what: "stride") else { return nil }
        for r in 0..<repeatN {
          let output: WidthState =
            outChoice.map { WidthState(decision: $0.channels.count > 1 ? $0.id : nil, channels: $0.channels) }
            ?? (outNode == nil ? widths : .fixed(out))
          guard
            let l = expandLayer(
              it, index: layerIndex, input: p.shape, widths: Self.widthPairs(input: widths, output: output),
              stride: r == 0 ? stride0 : 1, env: env)
          else { return nil }
          var layer = l
          if let d = output.decision, output.varies {
            layer.widthChoice = d
            layer.widthChannels = output.channels
          }
          items.append(.layer(layer))
          layerIndex += 1
          pp = p
          p = CellSource(item: items.count - 1, shape: layer.shape)
          prevRed = Self.downsamples(from: pp.shape, to: p.shape)
          c = layer.shape.channels
          widths = output
        }
      }
    }
    if items.isEmpty { return nil }
    // Head.
    let headSteps = sk["head"]
    func buildHead(_ input: Shape) -> PrimGraph? {
      var hb = GraphBuilder(input: input)
      var henv = env
      henv["C_in"] = .int(input.channels)
      henv["C_out"] = .int(classes)
      henv["stride"] = .int(1)
      guard let headOut = (headSteps == nil ? defaultHead(&hb, henv) : applySteps(headSteps, &hb, 0, henv)) else {
        return nil
      }
      return hb.finish(headOut)
    }
    guard
      let (head, _) = followWidths(
        widths, shape: p.shape, item: items.count, what: "the head", at: headSteps ?? sk, buildHead)
    else { return nil }
    if head.outputShape.elements != classes {
      error(
        .channelMismatch,
        "the head produces \(head.outputShape.elements) outputs but the input declares \(classes) classes",
        headSteps ?? sk)
    }
    // Auxiliary head.
    var aux: AuxiliaryHead? = nil
    if evalSkeleton, let a = sk["auxiliary"] {
      guard let after = int(a["after"], env, default: 2 * totalCells / 3, what: "after", min: 0) else { return nil }
      guard let itemIdx = cellItem[after] else {
        error(
          .outOfRange, "the auxiliary head attaches after cell \(after), but there are \(totalCells) cells",
          a["after"] ?? a)
        return nil
      }
      let src = items[itemIdx].shape
      var ab = GraphBuilder(input: src)
      var aenv = env
      aenv["C_in"] = .int(src.channels)
      aenv["C_out"] = .int(classes)
      aenv["stride"] = .int(1)
      aenv["affine"] = .bool(true)
      guard let ao = applySteps(a["body"], &ab, 0, aenv) else { return nil }
      aux = AuxiliaryHead(after: itemIdx, graph: ab.finish(ao), weight: a["weight"]?.double ?? 0.4)
    }
    var net = NetworkIR(
      input: input, classes: classes, stem: stem, items: items, head: head, auxiliary: aux,
      dropPath: sk["drop_path"]?.double ?? 0)
    net.tokens = tokens
    net.sequence = tokenSequence
    net.widthVariants = fixedWidthVariants
    return net
  }

  func defaultHead(_ b: inout GraphBuilder, _ env: Env) -> Int? {
    let g = b.add(.globalAvgPool, [0], Shape(b.shape(0).channels, 1, 1))
    return b.add(.linear(inFeatures: b.shape(g).channels, outFeatures: classes, bias: true), [g], Shape(classes, 1, 1))
  }

  /// The layer of body item `it` at every (input, output) width pair it can see: one build per pair,
  /// merged into one layer whose candidates hold the widest graphs and whose variants hold each pair's.
  func expandLayer(
    _ it: SyntaxNode, index: Int, input: Shape, widths pairs: [(input: Int, output: Int)], stride: Int, env: Env
  ) -> LayerIR? {
    guard let refNode = it["layer"] else { return nil }
    var built: [LayerIR] = []
    for (k, pair) in pairs.enumerated() {
      guard
        let l = buildLayer(
          refNode, id: "layer[\(index)].op", index: index, input: Shape(pair.input, input.height, input.width),
          out: pair.output, stride: stride, env: env, residualNode: it["residual"], counted: k == 0)
      else { return nil }
      if pairs.count > 1, l.shape.channels != pair.output {
        error(
          .channelMismatch,
          "layer \(index) gives \(l.shape.channels) channels where its width is \(pair.output): its op does not use C_out",
          refNode, help: "a layer after or with a width choice must write C_out channels")
        return nil
      }
      built.append(l)
    }
    guard pairs.count > 1 else { return built.first }
    var layer = built[0]
    let names = layer.candidates.map(\.name)
    if let other = built.first(where: { $0.candidates.map(\.name) != names }) {
      error(
        .widthNotShared,
        "layer \(index) has candidates [\(names.joined(separator: ", "))] at one width and [\(other.candidates.map(\.name).joined(separator: ", "))] at another",
        refNode,
        help: "a candidate's 'when:' reads a width that a width choice changes; make it independent of C_in and C_out")
      return nil
    }
    for j in layer.candidates.indices {
      guard
        let g = widestGraph(
          built.map { $0.candidates[j].graph }, what: "candidate '\(names[j])' of layer \(index)", at: refNode)
      else { return nil }
      layer.candidates[j].graph = g
    }
    let widest = built.max { $0.shape.channels < $1.shape.channels }!
    layer.inputShape = Shape(built.map(\.inputShape.channels).max()!, input.height, input.width)
    layer.shape = widest.shape
    layer.residual = built.first { $0.inputShape == layer.inputShape && $0.shape == layer.shape }?.residual ?? false
    layer.variants = built.map {
      WidthVariant(
        inputChannels: $0.inputShape.channels, outputChannels: $0.shape.channels, graphs: $0.candidates.map(\.graph),
        residual: $0.residual)
    }
    return layer
  }

  /// Whether a body item that is not a cell maps `input` to a smaller feature map. The cell after it
  /// sees `reduction_prev` true, as after a reduction cell: its first input (the item's input) has the
  /// larger size, so a two-input cell's `preprocess` must reduce it.
  static func downsamples(from input: Shape, to output: Shape) -> Bool {
    output.height < input.height || output.width < input.width
  }

  /// One layer: a fixed op (possibly with value choices) or an op choice, on `input` → `out` channels.
  func buildLayer(
    _ refNode: SyntaxNode, id: String, index: Int, input: Shape, out: Int, stride: Int, env: Env,
    residualNode: SyntaxNode?, counted: Bool, defaultResidual: Bool = true
  ) -> LayerIR? {
    guard let ref = opRef(refNode) else { return nil }
    allChoiceIds.insert(id)
    var e = env
    e["C_in"] = .int(input.channels)
    e["C_out"] = .int(out)
    e["stride"] = .int(stride)
    e["H"] = .int(input.height)
    e["W"] = .int(input.width)
    var entries: [CandidateEntry]
    var isChoice = false
    switch ref {
    case .fixed(let entry):
      entries = [entry]
    case .choice(let list, _, let n):
      guard let app = applicable(list, e, site: n) else { return nil }
      entries = app
      isChoice = true
      if let shared = refNode["with"] {
        guard let merged = sharedArguments(shared, into: entries) else { return nil }
        entries = merged
      }
    }
    // Value choices (`{choice: [...]}` arguments) expand an entry into one candidate per combination.
    let prefix = id.hasSuffix(".op") ? String(id.dropLast(3)) : id
    var valueChoices: [ValueChoice] = []
    var expanded: [CandidateEntry] = []
    for entry in entries {
      guard let args = entry.args, let pairs = args.pairs, pairs.contains(where: { $0.value["choice"] != nil }) else {
        var plain = entry
        if isChoice { plain.decisions = [ChoiceDecision(id: id, value: entry.name)] }
        expanded.append(plain)
        continue
      }
      guard
        let (combos, vcs) = valueCombinations(
          entry, prefix: prefix, index: index, pairs: pairs, args: args, opChoice: isChoice ? id : nil)
      else { return nil }
      for vc in vcs {
        if let old = valueChoices.first(where: { $0.id == vc.id }) {
          if !Self.sameValues(old.values, vc.values) {
            error(
              .badValue,
              "the value choice \(vc.id) lists [\(vc.values.joined(separator: ", "))] here but [\(old.values.joined(separator: ", "))] for another candidate",
              entry.node, help: "one choice point has one list of values; give every candidate the same list")
            return nil
          }
        } else {
          valueChoices.append(vc)
        }
      }
      expanded += combos
      if expanded.count > 10_000 {
        error(.tooLarge, "the candidates of layer \(index) combine to more than 10,000", refNode)
        return nil
      }
    }
    let composite = !valueChoices.isEmpty
    if composite, !isChoice {
      // A fixed op with value choices still makes the layer a choice (of its combinations).
      isChoice = true
    }
    if composite {
      for vc in valueChoices { allChoiceIds.insert(vc.id) }
    }
    if let d = decisions, isChoice {
      guard
        let pool = decide(
          expanded, id: id, opChoice: !composite || expanded.contains { $0.decisions.first?.id == id },
          valueChoices: valueChoices, d)
      else { return nil }
      expanded = [pool]
      isChoice = false
      valueChoices = []
    } else if composite {
      for vc in valueChoices {
        register(ChoicePoint(id: vc.id, kind: .value, candidates: vc.values, k: 1, location: refNode.location))
      }
    }
    entries = expanded
    var cands: [Candidate] = []
    for entry in entries {
      guard let g = build(entry, input: input, e) else { return nil }
      var cand = Candidate(name: entry.name, graph: g)
      if composite, isChoice {
        cand.decisions = entry.decisions
        cand.family = entry.family ?? entry.name
      }
      cands.append(cand)
    }
    guard let firstCand = cands.first else { return nil }
    if decisions == nil { warnIdenticalCandidates(cands, entries, place: "of \(id)", env: e) }
    let outShape = firstCand.graph.outputShape
    for cd in cands.dropFirst() where cd.graph.outputShape != outShape {
      let (code, what, help) = Self.candidateMismatch(cd.graph.outputShape, outShape, kind: "layer")
      error(
        code,
        "candidate '\(cd.name)' of \(id) gives \(what(cd.graph.outputShape)) but '\(cands[0].name)' gives \(what(outShape))",
        refNode, help: help)
      return nil
    }
    var residual = false
    let r = residualNode
    if (r == nil && defaultResidual) || r?.scalar == "auto" {
      residual = stride == 1 && input == outShape
    } else if r?.bool == true {
      if input != outShape {
        error(
          .channelMismatch, "layer \(index) adds a residual but maps \(input) to \(outShape)", r!,
          help: "use 'residual: auto'")
        return nil
      }
      residual = true
    }
    if isChoice {
      var cp = ChoicePoint(id: id, kind: .op, candidates: cands.map(\.name), k: 1, location: refNode.location)
      if composite {
        let opPart = cands.contains { $0.decisions.first?.id == id }
        cp.parts = (opPart ? [id] : []) + valueChoices.map(\.id)
      }
      register(cp)
      if counted { layerCounts.append(cands.filter { !deriveExclude.contains($0.opName) }.count) }
    }
    var layer = LayerIR(
      layerIndex: index, choice: isChoice ? id : nil, candidates: cands, stride: stride, residual: residual,
      inputShape: input, shape: outShape)
    layer.valueChoices = valueChoices
    return layer
  }

  /// Expands the value choices of an entry's arguments into one candidate per combination (row-major,
  /// the last argument varying fastest), each named `entry_<param><value>…` and carrying its
  /// decisions: the op (`opChoice`, when the layer chooses among ops) and one value per choice.
  func valueCombinations(
    _ entry: CandidateEntry, prefix: String, index: Int, pairs: [(key: SyntaxNode, value: SyntaxNode)],
    args: SyntaxNode, opChoice: String?
  )
    -> ([CandidateEntry], [ValueChoice])?
  {
    var dims: [(name: String, values: [SyntaxNode])] = []
    var choices: [ValueChoice] = []
    for (k, v) in pairs {
      guard let written = v["choice"], let name = k.scalar else { continue }
      // An inline list, or a named list of values under `candidates:`.
      guard let c = candidateList(written) else { return nil }
      guard let items = c.items, !items.isEmpty else {
        error(.emptyCandidates, "a value choice needs a non-empty list of values", c)
        return nil
      }
      for it in items where it.double == nil && (it.scalar ?? "").isEmpty {
        error(.wrongType, "value candidates are numbers or expressions", it)
        return nil
      }
      let values = items.map { $0.scalar ?? "" }
      for (i, value) in values.enumerated() where values[..<i].contains(where: { Self.sameValues([$0], [value]) }) {
        error(
          .badValue, "the value \(value) appears twice in the choice of '\(name)'", items[i],
          help: "each value is one candidate; remove the duplicate")
        return nil
      }
      dims.append((name, items))
      choices.append(ValueChoice(id: "\(prefix).\(name)", parameter: name, values: values))
    }
    var combos: [[(String, SyntaxNode)]] = [[]]
    for d in dims {
      combos = combos.flatMap { c in d.values.map { c + [(d.name, $0)] } }
      if combos.count > 10_000 {
        error(.tooLarge, "the value choices of layer \(index) combine to more than 10,000 candidates", args)
        return nil
      }
    }
    let base = opChoice == nil ? entry.op : entry.name
    let entries = combos.map { combo -> CandidateEntry in
      let newPairs = pairs.map { p -> (key: SyntaxNode, value: SyntaxNode) in
        if let sel = combo.first(where: { $0.0 == p.key.scalar }) { return (p.key, sel.1) }
        return p
      }
      let name = base + "_" + combo.map { "\($0.0)\($0.1.scalar ?? "")" }.joined(separator: "_")
      var c = CandidateEntry(
        name: name, op: entry.op, args: args.located(.mapping(newPairs)), when: nil, node: entry.node)
      c.family = opChoice == nil ? entry.op : entry.name
      c.decisions =
        (opChoice.map { [ChoiceDecision(id: $0, value: entry.name)] } ?? [])
        + combo.map { ChoiceDecision(id: "\(prefix).\($0.0)", value: $0.1.scalar ?? "") }
      return c
    }
    return (entries, choices)
  }

  /// Whether two lists of values as written are the same numbers (`1` and `1.0` are).
  static func sameValues(_ a: [String], _ b: [String]) -> Bool {
    a.count == b.count
      && zip(a, b).allSatisfy { x, y in x == y || (Double(x) != nil && Double(x) == Double(y)) }
  }

  /// The choice's shared `with:` arguments given to every entry whose op takes them (an entry's own
  /// argument of the same name wins); an argument no entry takes is an error.
  func sharedArguments(_ shared: SyntaxNode, into entries: [CandidateEntry]) -> [CandidateEntry]? {
    guard let pairs = shared.pairs else {
      error(.wrongType, "a choice's 'with:' is a mapping of arguments, found \(shared.typeName)", shared)
      return nil
    }
    func takes(_ op: String, _ key: String) -> Bool {
      ["out", "C_out", "stride"].contains(key) || ops[op]?["params"]?[key] != nil
    }
    for (k, _) in pairs {
      guard let key = k.scalar else { continue }
      if !entries.contains(where: { takes($0.op, key) }) {
        error(
          .unknownArgument, "no candidate of this choice has a parameter '\(key)'", k,
          help: "the choice's 'with:' is passed to every candidate whose op declares the parameter")
        return nil
      }
    }
    return entries.map { entry in
      let own = entry.args?.pairs ?? []
      let extra = pairs.filter { p in
        guard let key = p.key.scalar else { return false }
        return takes(entry.op, key) && !own.contains { $0.key.scalar == key }
      }
      if extra.isEmpty { return entry }
      var e = entry
      e.args = (entry.args ?? shared).located(.mapping(own + extra))
      return e
    }
  }

  /// The one entry an arch file's decisions pick among a layer's (expanded) entries: the op of
  /// `id` (an entry or, for a composite layer, a combination name) and each value its entry has.
  func decide(
    _ entries: [CandidateEntry], id: String, opChoice: Bool, valueChoices: [ValueChoice], _ d: Decisions
  ) -> CandidateEntry? {
    var pool = entries
    if opChoice || valueChoices.isEmpty || d.ops[id] != nil {
      guard let op = d.ops[id] else {
        diags.append(Diagnostic(.archIncomplete, "the architecture does not decide '\(id)'", at: d.location))
        return nil
      }
      usedDecisions.insert(id)
      if let exact = pool.first(where: { $0.name == op }) {
        for vc in valueChoices where d.ops[vc.id] != nil { usedDecisions.insert(vc.id) }
        return exact
      }
      pool = pool.filter { ($0.family ?? $0.name) == op && opChoice }
      if pool.isEmpty {
        let names = entries.reduce(into: [String]()) { n, e in
          let f = opChoice ? (e.family ?? e.name) : e.name
          if !n.contains(f) { n.append(f) }
        }
        diags.append(
          Diagnostic(
            .archMismatch, "'\(op)' is not a candidate of \(id)", at: d.location(of: id),
            help: DidYouMean.help(op, in: names) ?? "candidates: \(names.joined(separator: ", "))"))
        return nil
      }
    }
    for vc in valueChoices {
      guard pool.contains(where: { $0.decisions.contains { $0.id == vc.id } }) else {
        if d.ops[vc.id] != nil { usedDecisions.insert(vc.id) }
        continue
      }
      guard let v = d.ops[vc.id] else {
        diags.append(Diagnostic(.archIncomplete, "the architecture does not decide '\(vc.id)'", at: d.location))
        return nil
      }
      usedDecisions.insert(vc.id)
      guard let written = vc.values.first(where: { Self.sameValues([$0], [v]) }) else {
        diags.append(
          Diagnostic(
            .archMismatch, "\(v) is not a candidate value of \(vc.id) (\(vc.values.joined(separator: ", ")))",
            at: d.location(of: vc.id)))
        return nil
      }
      // Candidates may write one value differently (`3` and `3.0`): compare as numbers.
      pool = pool.filter { e in e.decisions.contains { $0.id == vc.id && Self.sameValues([$0.value], [written]) } }
    }
    guard pool.count == 1 else {
      diags.append(
        Diagnostic(
          .archMismatch, "the decisions leave \(pool.count) candidates of \(id), not one", at: d.location(of: id)))
      return nil
    }
    return pool[0]
  }
}
