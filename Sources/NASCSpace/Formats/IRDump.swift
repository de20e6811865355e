/// `nasc compile --dump ir`: the fully expanded IR, readably.
public enum IRDump {
  /// One primitive, e.g. `conv 16->16 k3x3 s1 p1 g16`.
  public static func describe(_ p: Primitive) -> String {
    switch p {
    case .conv(let c):
      var s = "conv \(c.cin)->\(c.cout) k\(c.kh)x\(c.kw) s\(c.sh == c.sw ? "\(c.sh)" : "\(c.sh),\(c.sw)")"
      s += " p\(c.ph == c.pw ? "\(c.ph)" : "\(c.ph),\(c.pw)")"
      if c.dh != 1 { s += " d\(c.dh)" }
      if c.groups != 1 { s += " g\(c.groups)" }
      if c.bias { s += " bias" }
      return s
    case .batchNorm(let ch, let affine): return "bn \(ch)\(affine ? " affine" : "")"
    case .zero(let s): return "zero s\(s)"
    case .maxPool(let q), .avgPool(let q):
      var s = "\(p.name) k\(q.kh)x\(q.kw) s\(q.sh) p\(q.ph)"
      if case .avgPool = p, q.countIncludePad { s += " count_pad" }
      return s
    case .linear(let i, let o, let b): return "linear \(i)->\(o)\(b ? "" : " nobias")"
    case .tiedLinear(let i, let o, let b): return "linear \(i)->\(o) tied\(b ? "" : " nobias")"
    case .embedding(let t, let d): return "embedding \(t)->\(d)"
    case .dropout(let d): return "dropout \(d)"
    case .channelShuffle(let g): return "channel_shuffle g\(g)"
    case .slice(let a, let n, let st): return "slice \(a):\(n):\(st)"
    default: return p.name
    }
  }

  /// A primitive graph on one line per node.

  /// A layer's candidates; with weight-shared widths, each group's widest graph once (what the
  /// supernet holds), then the decisions of every member and the widths it slices.
  static func layerCandidates(_ cands: [Candidate]) -> String {
    var out = ""
    for group in Candidate.sharingGroups(cands) {
      guard group.members.count > 1 else {
        let c = cands[group.members[0]]
        let d =
          c.decisions.isEmpty ? "" : "  (" + c.decisions.map { "\($0.id)=\($0.value)" }.joined(separator: ", ") + ")"
        out += "    \(c.name):\(d)\n" + graph(c.graph, indent: "      ")
        continue
      }
      let family = cands[group.members[0]].family ?? ""
      out += "    \(family): \(group.members.count) widths share one set of weights, built at:\n"
      out += graph(group.widest, indent: "      ")
      for i in group.members {
        let c = cands[i]
        let widths = c.graph.nodes.enumerated().compactMap { k, n -> String? in
          guard n.shape.channels != group.widest.nodes[k].shape.channels else { return nil }
          return "%\(k + 1)→\(n.shape.channels)"
        }
        out +=
          "      \(c.name)  (" + c.decisions.map { "\($0.id)=\($0.value)" }.joined(separator: ", ") + ")"
          + (widths.isEmpty ? "  widest\n" : "  slices " + widths.joined(separator: " ") + "\n")
      }
    }
    return out
  }

  public static func graph(_ g: PrimGraph, indent: String) -> String {
    if g.nodes.isEmpty { return "\(indent)identity  -> \(g.input)\n" }
    var out = ""
    for (i, n) in g.nodes.enumerated() {
      let ins = n.inputs == [i] ? "" : " <- " + n.inputs.map { $0 == 0 ? "in" : "%\($0)" }.joined(separator: ", ")
      out += "\(indent)%\(i + 1) = \(describe(n.op))\(ins)  -> \(n.shape)\n"
    }
    return out
  }

  /// What the item before a cell was, when it made `reduction_prev` true: ` reduction_prev` after a
  /// reduction cell, ` after_downsampling(item N)` after an op, layer or other item that lowered the
  /// resolution (the variable is true there too).
  static func previousLabel(_ c: CellInstance, item i: Int, _ items: [NetworkItem]) -> String {
    guard c.reductionPrev, i > 0 else { return "" }
    if case .cell(let p) = items[i - 1], p.reduction { return " reduction_prev" }
    return " after_downsampling(item \(i - 1))"
  }

  /// The whole IR.
  public static func dump(_ ir: SpaceIR) -> String {
    let n = ir.network
    var out = "space \(ir.name) mode=\(ir.mode.rawValue) input=\(n.input) classes=\(n.classes)\n"
    out += "stem:\n" + graph(n.stem, indent: "  ")
    for (i, item) in n.items.enumerated() {
      switch item {
      case .cell(let c):
        out += "item \(i): cell \(c.cellIndex) template=\(c.template)\(c.reduction ? " reduction" : "")"
        out += previousLabel(c, item: i, n.items)
        out +=
          (c.inputs.count >= 2 ? " C_prev_prev=\(c.cPrevPrev)" : "") + " C_prev=\(c.cPrev) C=\(c.c) -> \(c.shape)\n"
        for (j, inp) in c.inputs.enumerated() {
          out += "  input \(j) <- \(inp.source < 0 ? "stem" : "item \(inp.source)") \(inp.sourceShape)\n"
          out += graph(inp.preprocess, indent: "    ")
        }
        for node in c.nodes {
          out +=
            "  node \(node.index) = \(node.combine.rawValue) -> \(node.shape)\(node.inputsChoice.map { "  [\($0)]" } ?? "")\n"
          if let p = node.project { out += "    project (shared by the node's edges):\n" + graph(p, indent: "      ") }
          for e in node.edges {
            out +=
              "    edge \(e.from)→\(e.to) stride \(e.stride)\(e.choice.map { "  [\($0)]" } ?? "")\(e.partialChannels.map { " partial_channels=\($0)" } ?? "")\n"
            if let p = e.project {
              out += "      project (shared by the edge's candidates):\n" + graph(p, indent: "        ")
            }
            for cand in e.candidates {
              out += "      \(cand.name):\n" + graph(cand.graph, indent: "        ")
            }
          }
        }
        out += "  output = \(c.outputMode)(\(c.outputNodes.map(String.init).joined(separator: ", ")))\n"
        if let p = c.postprocess { out += "  postprocess:\n" + graph(p, indent: "    ") }
      case .layer(let l):
        out +=
          "item \(i): layer \(l.layerIndex) \(l.inputShape) -> \(l.shape) stride \(l.stride)\(l.residual ? " +residual" : "")\(l.choice.map { "  [\($0)]" } ?? "")\n"
        if !l.variants.isEmpty {
          let pairs = l.variants.map { "\($0.inputChannels)->\($0.outputChannels)\($0.residual ? "+residual" : "")" }
          out +=
            "  widths (weights at the widest, shared)\(l.widthChoice.map { " [\($0): \(l.widthChannels.map(String.init).joined(separator: "|"))]" } ?? ""): \(pairs.joined(separator: ", "))\n"
        }
        out += layerCandidates(l.candidates)
      case .fixed(let name, let g):
        out += "item \(i): \(name) -> \(g.outputShape)\n"
        if let v = n.widthVariants[i] {
          out +=
            "  input widths (weights at the widest, shared): \(v.map { "\($0.inputChannels)" }.joined(separator: ", "))\n"
        }
        out += graph(g, indent: "  ")
      case .memory(let m):
        out += "item \(i): memory \(m.banks) banks x \(m.width) channels \(m.inputShape) -> \(m.shape)\n"
        for l in m.layers {
          out +=
            "  layer \(l.layer.layerIndex) reads \(l.reads)\(l.readChoice.map { " [\($0)]" } ?? "") writes \(l.writes)\(l.writeChoice.map { " [\($0)]" } ?? "")\(l.layer.choice.map { "  [\($0)]" } ?? "")\n"
          for cand in l.layer.candidates { out += "    \(cand.name):\n" + graph(cand.graph, indent: "      ") }
        }
      case .route(let r):
        out += "item \(i): route \(r.inputShape) -> \(r.shape)\(r.pathChoice.map { "  [\($0)]" } ?? "")\n"
        for b in r.blocks {
          let next = b.targets.isEmpty ? "" : "  to " + b.targets.map(String.init).joined(separator: ", ")
          out += "  block \(b.index) stage \(b.stage) -> \(b.shape)\(next)\(b.next.map { "  [\($0)]" } ?? "")\n"
          for e in r.edges where e.to == b.index {
            out += "    from block \(e.from) stride \(e.stride)\(e.head.choice.map { "  [\($0)]" } ?? "")\n"
            for cand in e.head.candidates { out += "      \(cand.name):\n" + graph(cand.graph, indent: "        ") }
          }
          for l in b.layers {
            out += "    layer \(l.layerIndex)\(l.choice.map { "  [\($0)]" } ?? "")\n"
            for cand in l.candidates { out += "      \(cand.name):\n" + graph(cand.graph, indent: "        ") }
          }
        }
      }
    }
    out += "head:\n"
    if let v = n.widthVariants[n.items.count] {
      out +=
        "  input widths (weights at the widest, shared): \(v.map { "\($0.inputChannels)" }.joined(separator: ", "))\n"
    }
    out += graph(n.head, indent: "  ")
    if let a = n.auxiliary {
      out += "auxiliary (after item \(a.after), weight \(a.weight)):\n" + graph(a.graph, indent: "  ")
    }
    return out
  }
}
