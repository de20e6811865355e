/// What counting needs to know about one node of a cell template.
struct NodeCountInfo {
  /// Derivable candidates per incoming edge (1 for fixed edges).
  var edgeCounts: [Int]
  /// k of the inputs choice, or nil when every edge is kept.
  var k: Int?
  /// Whether the k picks are independent (ENAS: an input and an op per pick, repeats allowed).
  var repeats = false
  /// Whether 1..k inputs may be kept (`exact: false`, One-Shot) instead of exactly k.
  var atMost = false
}

/// Where a cell input comes from.
struct CellSource {
  var item: Int
  var shape: Shape
}

/// Cell templates → cell instances.
extension Expander {
  func expandCell(
    _ name: String, site: SyntaxNode, cellIndex: Int, c: Int, sources: [CellSource], reductionPrev: Bool,
    baseEnv: Env
  ) -> CellInstance? {
    attemptedCells.insert(name)
    guard let t = cells[name] else {
      error(
        .unknownCell, "unknown cell template '\(name)'", site,
        help: DidYouMean.help(name, in: Array(cells.keys)) ?? "define it under 'cells:'")
      return nil
    }
    let nIn = t["inputs"]?.int ?? 2
    guard nIn >= 1, nIn <= sources.count else { return nil }  // out-of-range counts are reported by the schema check
    let reduction = t["reduction"]?.bool ?? false
    var env = baseEnv
    env["C"] = .int(c)
    env["reduction"] = .bool(reduction)
    env["reduction_prev"] = .bool(reductionPrev)
    let srcs = Array(sources.suffix(nIn))
    var inputs: [CellInput] = []
    let pre = t["preprocess"]?.items
    if let pre, pre.count != srcs.count {
      error(
        .preprocessCount,
        "cell '\(name)' has \(srcs.count) input\(srcs.count == 1 ? "" : "s") but \(pre.count) preprocess op\(pre.count == 1 ? "" : "s")",
        t["preprocess"]!, help: "give one preprocess op per input")
      return nil
    }
    for (i, s) in srcs.enumerated() {
      var g = PrimGraph.identity(s.shape)
      if let pre {
        guard let ref = opRef(pre[i]) else { return nil }
        guard case .fixed(let entry) = ref else {
          error(.wrongType, "preprocess ops are fixed; a choice is not allowed here", pre[i])
          return nil
        }
        var e = env
        e["C_out"] = .int(c)
        e["stride"] = .int(1)
        guard let built = build(entry, input: s.shape, e) else { return nil }
        g = built
      }
      inputs.append(CellInput(source: s.item, sourceShape: s.shape, preprocess: g))
    }
    var shapes = inputs.map(\.preprocess.outputShape)
    guard let nodesNode = t["nodes"] else {
      error(.missingKey, "cell '\(name)' has no 'nodes'", cellKeys[name] ?? t, help: "e.g. 'nodes: 4'")
      return nil
    }
    var specs: [SyntaxNode?] = []
    if let n = nodesNode.int {
      if n > 1000 {
        error(.tooLarge, "cell '\(name)' has \(n) nodes; at most 1000 are supported", nodesNode)
        return nil
      }
      specs = Array(repeating: nil, count: max(0, n))
    } else if let items = nodesNode.items {
      specs = items
    } else {
      return nil
    }
    if specs.isEmpty {
      error(.outOfRange, "cell '\(name)' needs at least one intermediate node", nodesNode)
      return nil
    }
    if decisions == nil, nodeCountChecked.insert(name).inserted { checkWellKnownNodeCount(name, t, inputs: nIn) }
    var nodes: [CellNode] = []
    var countInfo: [NodeCountInfo] = []
    let exclude = deriveExclude
    for (ti, spec) in specs.enumerated() {
      let idx = nIn + ti
      let fromNode = spec?["from"] ?? t["from"]
      var from: [Int] = Array(0..<idx)
      if fromNode?.scalar == "intermediate" {
        from = Array(nIn..<idx)
        if from.isEmpty {
          error(
            .badNodeReference, "node \(idx) is the first intermediate node; 'from: intermediate' leaves it no input",
            fromNode!,
            help: "give the first node its own 'from: [0]'")
          return nil
        }
      }
      if let fn = fromNode, fn.scalar != "all", let items = fn.items {
        from = []
        for it in items {
          guard let j = it.int else { continue }
          if j >= idx || j < 0 {
            error(
              .badNodeReference,
              j == idx
                ? "node \(idx) reads itself (a cycle)"
                : (j < nIn + specs.count && j > 0
                  ? "node \(idx) reads node \(j), which comes later (edges must go forward)"
                  : "node \(idx) reads node \(j), which does not exist"),
              it, help: "node \(idx) may read nodes 0..\(idx - 1) (0..\(nIn - 1) are the cell inputs)")
            continue
          }
          from.append(j)
        }
        if from.isEmpty { return nil }
      }
      let opNode = spec?["op"] ?? t["op"]
      let opsList = spec?["ops"]?.items
      if let opsList, opsList.count != from.count {
        error(.wrongType, "node \(idx) reads \(from.count) nodes but 'ops' lists \(opsList.count)", spec!["ops"]!)
        return nil
      }
      let selectNode = spec?["select"] ?? t["select"]
      var k: Int? = nil
      let repeats = selectNode?["repeats"]?.bool ?? false
      if let sel = selectNode {
        let kk = sel["k"]?.int ?? 1
        if kk > from.count, !repeats {
          error(
            .kTooLarge, "node \(idx) keeps \(kk) inputs but has only \(from.count)", sel["k"] ?? sel,
            help:
              "node \(idx) can read at most \(from.count) earlier nodes; use k ≤ \(from.count) or let this node read more nodes"
          )
        }
        k = repeats ? kk : min(kk, from.count)
      }
      // a shared per-node projection (recurrent cells): edges read concat(state, project(state))
      var project: PrimGraph? = nil
      if let pn = spec?["project"] ?? t["project"] {
        guard let ref = opRef(pn) else { return nil }
        guard case .fixed(let entry) = ref else {
          error(.wrongType, "project is a fixed op; a choice is not allowed here", pn)
          return nil
        }
        var e = env
        e["C_out"] = .int(c)
        e["stride"] = .int(1)
        guard let g = build(entry, input: Shape(c, shapes[from[0]].height, shapes[from[0]].width), e) else {
          return nil
        }
        project = g
      }
      // candidate edges
      struct EdgeSpec {
        var from: Int
        var stride: Int
        var entries: [CandidateEntry]
        var isChoice: Bool
        var k = 1
        var exact = true
        var project: PrimGraph? = nil
        var env: Env
        var input: Shape
        var site: SyntaxNode
      }
      var specsE: [EdgeSpec] = []
      for (ei, j) in from.enumerated() {
        guard let refNode = opsList?[ei] ?? opNode else {
          error(
            .missingKey, "cell '\(name)' gives no op for the edges of node \(idx)", spec ?? cellKeys[name] ?? t,
            help: "add 'op: {choice: LIST}' to the cell or the node")
          return nil
        }
        guard let ref = opRef(refNode) else { return nil }
        let stride = reduction && j < nIn ? 2 : 1
        var cEdge = c
        if case .choice = ref, let pk = partialK, pk > 1 {
          if c % pk != 0 {
            error(.channelDivisibility, "partial channels K = \(pk) does not divide C = \(c) in cell '\(name)'", site)
            return nil
          }
          cEdge = c / pk
        }
        let src = shapes[j]
        if src.channels != c, (spec?["edge_project"] ?? t["edge_project"]) == nil {
          error(
            .channelMismatch, "node \(j) of cell '\(name)' has \(src.channels) channels but the cell width C is \(c)",
            refNode,
            help: j < nIn ? "add 'preprocess:' ops that map the cell inputs to C channels" : nil)
          return nil
        }
        var e = env
        e["C_out"] = .int(cEdge)
        e["stride"] = .int(stride)
        var edgeProject: PrimGraph? = nil
        if let pn = spec?["edge_project"] ?? t["edge_project"] {
          guard let ref = opRef(pn), case .fixed(let entry) = ref else {
            error(.wrongType, "edge_project is a fixed op; a choice is not allowed here", pn)
            return nil
          }
          var pe = env
          pe["C_out"] = .int(c)
          pe["stride"] = .int(1)
          guard let g = build(entry, input: src, pe) else { return nil }
          edgeProject = g
        }
        let projected = project?.outputShape.channels ?? edgeProject?.outputShape.channels ?? 0
        let input = Shape((edgeProject == nil ? cEdge : src.channels) + projected, src.height, src.width)
        switch ref {
        case .fixed(let entry):
          specsE.append(
            EdgeSpec(
              from: j, stride: stride, entries: [entry], isChoice: false, project: edgeProject, env: e, input: input,
              site: refNode))
        case .choice(let list, _, let n):
          var withIn = e
          withIn["C_in"] = .int(cEdge)
          guard let app = applicable(list, withIn, site: n) else { return nil }
          let kOp = n["k"]?.int ?? 1
          if kOp > app.count {
            error(
              .kTooLarge, "the op choice keeps \(kOp) ops but edge \(j)→\(idx) has only \(app.count) candidates",
              n["k"] ?? n)
            return nil
          }
          specsE.append(
            EdgeSpec(
              from: j, stride: stride, entries: app, isChoice: true, k: kOp, exact: n["exact"]?.bool ?? true,
              project: edgeProject, env: e, input: input, site: n))
        }
      }
      // decisions
      let nodeKey = "\(name).node\(idx)"
      allChoiceIds.insert(nodeKey)
      var picked: [(spec: EdgeSpec, entry: CandidateEntry, id: String?)] = []
      var undecided = false
      if let d = decisions {
        if let pairs = d.nodes[nodeKey] {
          usedDecisions.insert(nodeKey)
          for (op, j) in pairs {
            guard let es = specsE.first(where: { $0.from == j }) else {
              diags.append(
                Diagnostic(
                  .archMismatch,
                  "node \(idx) of cell '\(name)' cannot read node \(j) (it reads \(from.map(String.init).joined(separator: ", ")))",
                  at: d.location(of: nodeKey)))
              return nil
            }
            guard let entry = es.entries.first(where: { $0.name == op }) else {
              diags.append(
                Diagnostic(
                  .archMismatch, "'\(op)' is not a candidate of edge \(j)→\(idx) in cell '\(name)'",
                  at: d.location(of: nodeKey),
                  help: DidYouMean.help(op, in: es.entries.map(\.name))
                    ?? "candidates: \(es.entries.map(\.name).joined(separator: ", "))"))
              return nil
            }
            picked.append((es, entry, nil))
          }
        } else {
          if k != nil {
            undecided = true
            diags.append(
              Diagnostic(
                .archIncomplete,
                "the architecture does not decide the inputs of node \(idx) of cell '\(name)' (\(nodeKey))",
                at: d.location))
          }
          for es in specsE {
            let id = "\(name).edge[\(es.from)→\(idx)].op"
            allChoiceIds.insert(id)
            if es.isChoice {
              guard let op = d.ops[id] else {
                undecided = true
                diags.append(Diagnostic(.archIncomplete, "the architecture does not decide '\(id)'", at: d.location))
                continue
              }
              usedDecisions.insert(id)
              guard let entry = es.entries.first(where: { $0.name == op }) else {
                diags.append(
                  Diagnostic(
                    .archMismatch, "'\(op)' is not a candidate of \(id)", at: d.location(of: id),
                    help: DidYouMean.help(op, in: es.entries.map(\.name))
                      ?? "candidates: \(es.entries.map(\.name).joined(separator: ", "))"))
                return nil
              }
              picked.append((es, entry, nil))
            } else {
              picked.append((es, es.entries[0], nil))
            }
          }
        }
        if undecided { return nil }
      }
      var edges: [CellEdge] = []
      if decisions != nil {
        for (es, entry, _) in picked {
          guard let g = build(entry, input: es.input, es.env) else { return nil }
          var edge = CellEdge(
            from: es.from, to: idx, stride: es.stride, choice: nil, candidates: [Candidate(name: entry.name, graph: g)],
            partialChannels: nil)
          edge.project = es.project
          edges.append(edge)
        }
      } else {
        var counts: [Int] = []
        var atMost = false
        for es in specsE {
          let id = "\(name).edge[\(es.from)→\(idx)].op"
          allChoiceIds.insert(id)
          var cands: [Candidate] = []
          for entry in es.entries {
            guard let g = build(entry, input: es.input, es.env) else { return nil }
            cands.append(Candidate(name: entry.name, graph: g))
          }
          warnIdenticalCandidates(cands, es.entries, place: "on edge \(es.from)→\(idx) of cell '\(name)'", env: es.env)
          if let first = cands.first {
            for cd in cands.dropFirst() where cd.graph.outputShape != first.graph.outputShape {
              let (code, what, help) = Self.candidateMismatch(
                cd.graph.outputShape, first.graph.outputShape, kind: "edge")
              error(
                code,
                "candidate '\(cd.name)' on edge \(es.from)→\(idx) of cell '\(name)' gives \(what(cd.graph.outputShape)) but '\(first.name)' gives \(what(first.graph.outputShape))",
                es.site, help: help)
              return nil
            }
          }
          if es.isChoice {
            let names = cands.map(\.name), here = "edge \(es.from)→\(idx)"
            if let first = cellCandidates[name], first.names != names {
              error(
                .candidatesDifferAcrossEdges,
                "\(here) of cell '\(name)' decides among [\(names.joined(separator: ", "))] but \(first.edge) among [\(first.names.joined(separator: ", "))]",
                es.site,
                help:
                  "the searched edges of a cell share one candidate table; move the 'when:' into the op's body ({when: stride == 2, body: [...]}) so the candidate stays on every edge"
              )
              return nil
            }
            if cellCandidates[name] == nil { cellCandidates[name] = (here, names) }
            register(ChoicePoint(id: id, kind: .op, candidates: names, k: es.k, location: es.site.location))
            let m = cands.filter { !exclude.contains($0.name) }.count
            // k summed ops out of m: C(m, k) subsets, or every subset of 1..k ops when not exact
            let subsets =
              es.exact
              ? Cardinality.smallBinomial(m, es.k) : (1...es.k).reduce(0) { $0 + Cardinality.smallBinomial(m, $1) }
            counts.append(subsets)
          } else {
            counts.append(1)
          }
          let isPartial = es.isChoice && partialK != nil && (partialK ?? 1) > 1
          if isPartial, es.stride == 2, es.input.height % 2 == 1 || es.input.width % 2 == 1 {
            // The bypassed channels are 2×2 max-pooled (floor), the ops pad (ceil): sizes would differ.
            error(
              .resolutionMismatch,
              "PC-DARTS partial channels on reduction edge \(es.from)→\(idx) of cell '\(name)' need an even input size, found \(es.input.height)x\(es.input.width)",
              es.site, help: "the bypassed channels are max-pooled 2x2; choose reductions where the size is even")
            return nil
          }
          var edge = CellEdge(
            from: es.from, to: idx, stride: es.stride, choice: es.isChoice ? id : nil, candidates: cands,
            partialChannels: isPartial ? partialK : nil)
          edge.project = es.project
          edges.append(edge)
        }
        if let k, let sel = selectNode {
          if sel["exact"]?.bool == false { atMost = true }
          register(
            ChoicePoint(
              id: "\(name).node\(idx).inputs", kind: .inputs, candidates: from.map(String.init), k: k,
              location: sel.location))
        }
        countInfo.append(NodeCountInfo(edgeCounts: counts, k: k, repeats: repeats, atMost: atMost))
      }
      // node shape: every edge must produce the same shape (channels c after partial-channel merge)
      var nodeShape: Shape? = nil
      for e in edges {
        var s = e.candidates[0].graph.outputShape
        if e.partialChannels != nil { s.channels = c }
        if let ns = nodeShape, ns != s {
          let what = ns.height != s.height || ns.width != s.width ? DiagnosticCode.resolutionMismatch : .channelMismatch
          error(
            what, "node \(idx) of cell '\(name)' sums a \(s) edge from node \(e.from) with \(ns) edges",
            spec ?? nodesNode,
            help: what == .resolutionMismatch
              ? "edges leaving the cell inputs of a reduction cell have stride 2; others stride 1" : nil)
          return nil
        }
        nodeShape = s
      }
      guard let ns = nodeShape else { return nil }
      shapes.append(ns)
      let combine = Combine(rawValue: t["combine"]?.scalar ?? "sum") ?? .sum
      var cellNode = CellNode(
        index: idx, edges: edges, inputsChoice: (k != nil && decisions == nil) ? "\(name).node\(idx).inputs" : nil,
        combine: combine, shape: ns)
      cellNode.project = project
      cellNode.repeats = repeats && k != nil
      nodes.append(cellNode)
    }
    if decisions == nil, cellCountInfo[name] == nil { cellCountInfo[name] = countInfo }
    // output
    let outNode = t["output"]
    var mode = outNode?.scalar ?? "concat"
    var outs = Array(nIn..<(nIn + specs.count))
    if mode == "last" { outs = [nIn + specs.count - 1] }
    if mode == "loose_ends" || mode == "mean_loose_ends", decisions != nil {
      // In a decided cell: the intermediate nodes that no kept edge reads.
      outs = outs.filter { j in !nodes.contains { $0.edges.contains { $0.from == j } } }
    }
    if let items = outNode?.items {
      mode = "concat"
      outs = []
      for it in items {
        guard let j = it.int else { continue }
        if j < 0 || j >= shapes.count {
          error(
            .badNodeReference, "the output of cell '\(name)' names node \(j), which does not exist", it,
            help: "nodes are 0..\(shapes.count - 1)")
          return nil
        }
        outs.append(j)
      }
    }
    if let o = decisions?.outputs["\(name).output"] {
      usedDecisions.insert("\(name).output")
      outs = o.filter { $0 >= 0 && $0 < shapes.count }
    }
    allChoiceIds.insert("\(name).output")
    guard let out0 = outs.first else {
      error(.outOfRange, "cell '\(name)' has an empty output", outNode ?? t)
      return nil
    }
    let first = shapes[out0]
    for j in outs where shapes[j].height != first.height || shapes[j].width != first.width {
      error(
        .resolutionMismatch, "cell '\(name)' concatenates node \(j) (\(shapes[j])) with node \(out0) (\(first))",
        outNode ?? t)
      return nil
    }
    var outShape = first
    if mode == "concat" || mode == "loose_ends" { outShape.channels = outs.reduce(0) { $0 + shapes[$1].channels } }
    if mode == "mean" || mode == "mean_loose_ends" || mode == "last" {
      for j in outs where shapes[j].channels != first.channels {
        error(
          .channelMismatch, "cell '\(name)' averages node \(j) (\(shapes[j])) with node \(out0) (\(first))",
          outNode ?? t)
        return nil
      }
    }
    var post: PrimGraph? = nil
    if let pn = t["postprocess"] {
      guard let ref = opRef(pn) else { return nil }
      guard case .fixed(let entry) = ref else {
        error(.wrongType, "postprocess is a fixed op; a choice is not allowed here", pn)
        return nil
      }
      var e = env
      e["C_out"] = .int(c)
      e["stride"] = .int(1)
      guard let g = build(entry, input: outShape, e) else { return nil }
      post = g
      outShape = g.outputShape
    }
    // unused intermediate nodes
    if decisions == nil, mode == "last" || mode == "mean" || outNode?.items != nil {
      for n in nodes
      where !outs.contains(n.index) && !nodes.contains(where: { $0.edges.contains { $0.from == n.index } }) {
        warn(
          .unusedNode, "node \(n.index) of cell '\(name)' is never used", outNode ?? t,
          help: "read it from a later node or add it to 'output'")
      }
    }
    let cpp = sources.count >= 2 ? sources[sources.count - 2].shape.channels : sources.last?.shape.channels ?? 0
    return CellInstance(
      template: name, cellIndex: cellIndex, reduction: reduction, reductionPrev: reductionPrev,
      cPrevPrev: cpp, cPrev: sources.last?.shape.channels ?? 0, c: c, inputs: inputs, nodes: nodes,
      outputNodes: outs, outputMode: mode, postprocess: post, shape: outShape)
  }
}
