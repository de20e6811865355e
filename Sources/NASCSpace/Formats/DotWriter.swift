/// Graphviz DOT of a space or a decided architecture: the network skeleton (stem, every body item,
/// head) and one drawing per cell template, as the DARTS paper drew its cells (inputs `c_{k-2}`,
/// `c_{k-1}`, intermediate nodes `0…`, output `c_{k}`, one edge per kept op labelled with the op);
/// layer chains, fixed blocks, routing graphs (DenseNAS) and memory blocks (SMASH) as nodes of the
/// skeleton. A supernet's edges and layers name how many candidates they choose among; a decided
/// architecture's (compiled with an arch) name the chosen op.
public enum DotWriter {
  /// The whole picture: the network skeleton in a cluster `network`, then one cluster per cell
  /// template (its first instance). `dot -Tsvg` draws it.
  public static func dot(_ ir: SpaceIR) -> String {
    var out = header(ir.name)
    out += network(ir)
    for cell in templates(ir) { out += cluster(cell, ir: ir) }
    return out + "}\n"
  }

  /// One graph per cell template (its first instance), in the order the network first uses them:
  /// the separate `normal` and `reduction` drawings of the DARTS paper.
  public static func cells(_ ir: SpaceIR) -> [(template: String, dot: String)] {
    templates(ir).map { c in
      (c.template, header(ir.name + " " + c.template) + cellBody(c, ir: ir, indent: "  ") + "}\n")
    }
  }

  /// The DOT text of a routing graph on its own: one node per block (its index, width@HxW, stage
  /// and stacked layer count) inside one cluster per stage, one edge per connection. A supernet's
  /// edges are labelled `stride 2` where they halve the resolution; a decided route's (one path)
  /// carry the head op of their connection too.
  public static func dot(_ route: RouteIR, name: String) -> String {
    header(name) + routeBody(route, indent: "  ") + "}\n"
  }

  // MARK: - Text

  /// `s` as a quoted DOT string (backslashes and quotes escaped, line breaks as spaces).
  static func q(_ s: String) -> String { "\"" + escape(s) + "\"" }

  /// A quoted label of several lines.
  static func label(_ lines: [String]) -> String { "\"" + lines.map(escape).joined(separator: "\\n") + "\"" }

  static func escape(_ s: String) -> String {
    var out = ""
    for ch in s {
      switch ch {
      case "\\": out += "\\\\"
      case "\"": out += "\\\""
      case "\n", "\r", "\r\n": out += " "
      default: out.append(ch)
      }
    }
    return out
  }

  static func header(_ name: String) -> String {
    "digraph \(q(name)) {\n  rankdir=LR;\n  fontname=\"Helvetica\";\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
      + "  edge [fontname=\"Helvetica\", fontsize=10];\n"
  }

  /// The first instance of each cell template, in network order.
  static func templates(_ ir: SpaceIR) -> [CellInstance] {
    var seen = Set<String>()
    return ir.cells.filter { seen.insert($0.template).inserted }
  }

  /// `"k ops"`, or the op itself when there is one, or the few ops named.
  static func choiceLabel(_ candidates: [Candidate]) -> String {
    if candidates.count == 1 { return candidates[0].name }
    var families = [String]()
    for c in candidates where !families.contains(c.opName) { families.append(c.opName) }
    if candidates.count <= 3 { return candidates.map(\.name).joined(separator: " | ") }
    return families.count == candidates.count || families.count > 3
      ? "\(candidates.count) ops" : "\(candidates.count) ops: " + families.joined(separator: ", ")
  }

  // MARK: - Network skeleton

  /// The node id of body item `i` (-1: the stem).
  static func itemID(_ i: Int) -> String { i < 0 ? "net:stem" : "net:item\(i)" }

  static func network(_ ir: SpaceIR) -> String {
    let n = ir.network
    let input = n.tokens.map { "\($0) tokens" } ?? n.input.description
    var out = "  subgraph \(q("cluster:network")) {\n    label=\(q("\(ir.name): network (\(ir.mode.rawValue))"));\n"
    out += "    \(q("net:input")) [label=\(label(["input", input])), shape=ellipse];\n"
    out += "    \(q("net:stem")) [label=\(label(["stem", n.stem.outputShape.description]))];\n"
    out += "    \(q("net:input")) -> \(q("net:stem"));\n"
    // What each item's output node is (a route ends in its final block).
    var exit = [Int: String]()
    for (i, item) in n.items.enumerated() {
      let id = itemID(i)
      let previous = i == 0 ? "net:stem" : exit[i - 1] ?? itemID(i - 1)
      switch item {
      case .cell(let c):
        let kind = c.recurrent ? "recurrent cell" : c.reduction ? "reduction cell" : "cell"
        out += "    \(q(id)) [label=\(label(["\(kind) \(c.cellIndex): \(c.template)", c.shape.description])), "
        out += "style=\"rounded,filled\", fillcolor=\(c.reduction ? "\"#f4e1c1\"" : "\"#d7e6f4\"")];\n"
        var sources = [Int]()
        for input in c.inputs where !sources.contains(input.source) { sources.append(input.source) }
        for s in sources {
          let from = s < 0 ? "net:stem" : exit[s] ?? itemID(s)
          out += "    \(q(from)) -> \(q(id))\(s == i - 1 || (s < 0 && i == 0) ? "" : " [style=dashed]");\n"
        }
      case .layer(let l):
        out += "    \(q(id)) [label=\(label(layerLines(l, ir: ir)))];\n"
        out += "    \(q(previous)) -> \(q(id));\n"
      case .fixed(let name, let g):
        out += "    \(q(id)) [label=\(label([name, g.outputShape.description])), shape=box, style=\"\"];\n"
        out += "    \(q(previous)) -> \(q(id));\n"
      case .route(let r):
        out += routeBody(r, indent: "    ")
        out += "    \(q(previous)) -> \(q("b\(r.blocks.first?.index ?? 0)"));\n"
        exit[i] = "b\(r.final)"
      case .memory(let m):
        out += memoryBody(m, item: i, previous: previous, indent: "    ")
        exit[i] = "net:item\(i):out"
      }
    }
    let last = n.items.isEmpty ? "net:stem" : exit[n.items.count - 1] ?? itemID(n.items.count - 1)
    out += "    \(q("net:head")) [label=\(label(["head", "\(n.classes) classes"])), shape=ellipse];\n"
    out += "    \(q(last)) -> \(q("net:head"));\n"
    if let aux = n.auxiliary {
      let from = exit[aux.after] ?? itemID(aux.after)
      out += "    \(q("net:auxiliary")) [label=\(label(["auxiliary head", "weight \(aux.weight)"])), shape=ellipse];\n"
      out += "    \(q(from)) -> \(q("net:auxiliary")) [style=dotted];\n"
    }
    return out + "  }\n"
  }

  /// A layer's lines: the chosen op or the choice, then its output shape, stride and shortcut.
  static func layerLines(_ l: LayerIR, ir: SpaceIR) -> [String] {
    var lines = ["layer \(l.layerIndex): " + (l.choice == nil ? l.candidates[0].name : choiceLabel(l.candidates))]
    var detail = l.shape.description
    if l.stride != 1 { detail += "  stride \(l.stride)" }
    if l.residual { detail += "  +skip" }
    lines.append(detail)
    if let w = l.widthChoice, !l.widthChannels.isEmpty {
      lines.append("\(w): " + l.widthChannels.map(String.init).joined(separator: "|") + " channels")
    }
    return lines
  }

  /// A memory block: one node per layer (the banks it reads and writes, its op), in a cluster.
  static func memoryBody(_ m: MemoryBlockIR, item: Int, previous: String, indent: String) -> String {
    let id = "net:item\(item)"
    var out = "\(indent)subgraph \(q("cluster:memory\(item)")) {\n"
    out += "\(indent)  label=\(q("memory: \(m.banks) banks × \(m.width) channels"));\n"
    out += "\(indent)  \(q(id + ":in")) [label=\(label(["banks", m.inputShape.description])), shape=ellipse];\n"
    var prev = id + ":in"
    for (k, l) in m.layers.enumerated() {
      let banks = { (b: [Int], choice: String?) in
        (choice == nil ? "" : "⊆ ") + "{" + b.map(String.init).joined(separator: ",") + "}"
      }
      let op = l.layer.choice == nil ? l.layer.candidates[0].name : choiceLabel(l.layer.candidates)
      let lines = ["reads \(banks(l.reads, l.readChoice))", op, "writes \(banks(l.writes, l.writeChoice))"]
      out += "\(indent)  \(q("\(id):layer\(k)")) [label=\(label(lines))];\n"
      out += "\(indent)  \(q(prev)) -> \(q("\(id):layer\(k)"));\n"
      prev = "\(id):layer\(k)"
    }
    out += "\(indent)  \(q(id + ":out")) [label=\(label(["concat banks", m.shape.description])), shape=ellipse];\n"
    out += "\(indent)  \(q(prev)) -> \(q(id + ":out"));\n"
    out += "\(indent)}\n"
    out += "\(indent)\(q(previous)) -> \(q(id + ":in"));\n"
    return out
  }

  /// The blocks (a cluster per stage) and connections of a routing graph.
  static func routeBody(_ route: RouteIR, indent: String) -> String {
    var out = ""
    var stages = [Int]()
    for b in route.blocks where !stages.contains(b.stage) { stages.append(b.stage) }
    for stage in stages {
      out += "\(indent)subgraph \(q("cluster_stage\(stage)")) {\n\(indent)  label=\(q("stage \(stage)"));\n"
      for b in route.blocks where b.stage == stage {
        let s = b.shape
        let layers = b.layers.count == 1 ? "1 layer" : "\(b.layers.count) layers"
        let text = label(["\(b.index)", "\(s.channels)@\(s.height)x\(s.width)", "stage \(b.stage)", layers])
        out += "\(indent)  \(q("b\(b.index)")) [label=\(text)];\n"
      }
      out += "\(indent)}\n"
    }
    let decided = route.pathChoice == nil
    for e in route.edges {
      var parts = [String]()
      if decided, let op = e.head.candidates.first?.name { parts.append(op) }
      if e.stride == 2 { parts.append("stride 2") }
      let attrs = parts.isEmpty ? "" : " [label=\(label(parts))]"
      out += "\(indent)\(q("b\(e.from)")) -> \(q("b\(e.to)"))\(attrs);\n"
    }
    return out
  }

  // MARK: - Cells

  static func cluster(_ c: CellInstance, ir: SpaceIR) -> String {
    "  subgraph \(q("cluster_" + c.template)) {\n" + cellBody(c, ir: ir, indent: "    ") + "  }\n"
  }

  /// The names of a cell's nodes: inputs, intermediate nodes (DARTS numbers them from 0 after two
  /// inputs; a one-input cell's input is node 0), output.
  static func nodeName(_ c: CellInstance, _ index: Int) -> String {
    let n = c.inputs.count
    if index < n {
      if c.recurrent || n == 1 { return c.recurrent ? "0" : "c_{k-1}" }
      return n == 2 ? (index == 0 ? "c_{k-2}" : "c_{k-1}") : "c_{k-\(n - index)}"
    }
    return String(n == 1 ? index : index - n)
  }

  /// The title of a cell drawing: the template, and for a supernet what each edge and node chooses.
  static func cellTitle(_ c: CellInstance, ir: SpaceIR) -> String {
    var title = c.template + (c.recurrent ? " cell (recurrent)" : c.reduction ? " cell (reduction)" : " cell")
    let open = c.edges.filter { $0.candidates.count > 1 }
    if let first = open.first, open.allSatisfy({ $0.candidates.map(\.name) == first.candidates.map(\.name) }) {
      title += ": each edge one of " + first.candidates.map(\.name).joined(separator: ", ")
    }
    let keeps = Set(c.nodes.compactMap { $0.inputsChoice.flatMap { ir.choicePoint($0)?.k } })
    if keeps.count == 1, let k = keeps.first { title += "; each node keeps \(k) of its inputs" }
    if let p = c.edges.compactMap(\.partialChannels).first { title += "; ops on 1/\(p) of the channels" }
    return title
  }

  static func cellBody(_ c: CellInstance, ir: SpaceIR, indent: String) -> String {
    let p = c.template
    func id(_ i: Int) -> String { "\(p)_\(i)" }
    var out = "\(indent)label=\(q(cellTitle(c, ir: ir)));\n"
    out += "\(indent)node [style=filled, shape=rect];\n"
    if c.recurrent {
      out += "\(indent)\(q(p + "_x")) [label=\(q("x_{t}")), fillcolor=darkseagreen2];\n"
      out += "\(indent)\(q(p + "_h")) [label=\(q("h_{t-1}")), fillcolor=darkseagreen2];\n"
      out += "\(indent)\(q(p + "_x")) -> \(q(id(0)));\n\(indent)\(q(p + "_h")) -> \(q(id(0)));\n"
    }
    for i in 0..<c.inputs.count {
      let fill = c.recurrent ? "lightblue" : "darkseagreen2"
      out += "\(indent)\(q(id(i))) [label=\(q(nodeName(c, i))), fillcolor=\(fill)];\n"
    }
    for n in c.nodes {
      out += "\(indent)\(q(id(n.index))) [label=\(q(nodeName(c, n.index))), fillcolor=lightblue];\n"
    }
    for n in c.nodes {
      for e in n.edges {
        out += "\(indent)\(q(id(e.from))) -> \(q(id(n.index))) [label=\(q(choiceLabel(e.candidates)))];\n"
      }
    }
    var output = c.recurrent ? "h_{t}" : "c_{k}"
    if !["concat", "last"].contains(c.outputMode) { output += " (\(c.outputMode.replacingAll("_", " ")))" }
    out += "\(indent)\(q(p + "_out")) [label=\(q(output)), fillcolor=palegoldenrod];\n"
    for j in c.outputNodes { out += "\(indent)\(q(id(j))) -> \(q(p + "_out"));\n" }
    return out
  }
}
