/// Graphviz DOT of a space's cells (the first instance of each template), as DARTS drew them, of
/// a layer chain, or of a routing graph (DenseNAS).
public enum DotWriter {
  static func q(_ s: String) -> String { "\"" + s.replacingAll("\"", "\\\"") + "\"" }

  /// The DOT text: the routing graph when the body has one (see `dot(_:name:)`), else the cells and
  /// the layer chain.
  public static func dot(_ ir: SpaceIR) -> String {
    if let route = ir.network.route { return dot(route, name: ir.name) }
    var out = "digraph \(q(ir.name)) {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n"
    var seen = Set<String>()
    for c in ir.cells where !seen.contains(c.template) {
      seen.insert(c.template)
      let p = c.template
      out += "  subgraph \(q("cluster_" + p)) {\n    label=\(q(p));\n"
      for i in 0..<c.inputs.count {
        out += "    \(q("\(p)_\(i)")) [label=\(q("c_{k-\(c.inputs.count - i)}")), shape=ellipse];\n"
      }
      for n in c.nodes {
        out += "    \(q("\(p)_\(n.index)")) [label=\(q(String(n.index)))];\n"
        for e in n.edges {
          let label = e.candidates.count == 1 ? e.candidates[0].name : "\(e.candidates.count) ops"
          out += "    \(q("\(p)_\(e.from)")) -> \(q("\(p)_\(n.index)")) [label=\(q(label))];\n"
        }
      }
      out += "    \(q("\(p)_out")) [label=\(q("c_{k}")), shape=ellipse];\n"
      for j in c.outputNodes { out += "    \(q("\(p)_\(j)")) -> \(q("\(p)_out"));\n" }
      out += "  }\n"
    }
    var prev = "stem"
    for l in ir.layers {
      let id = "layer\(l.layerIndex)"
      let label = l.candidates.count == 1 ? l.candidates[0].name : "\(l.choice ?? id): \(l.candidates.count) ops"
      out += "  \(q(id)) [label=\(q(label + "\\n" + l.shape.description))];\n  \(q(prev)) -> \(q(id));\n"
      prev = id
    }
    return out + "}\n"
  }

  /// The DOT text of a routing graph: one node per block (its index, width@HxW, stage and stacked
  /// layer count) inside one cluster per stage, one edge per connection. A supernet's edges are
  /// labelled `stride 2` where they halve the resolution; a decided route's (one path) carry the
  /// head op of their connection too.
  public static func dot(_ route: RouteIR, name: String) -> String {
    var out = "digraph \(q(name)) {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n"
    var stages = [Int]()
    for b in route.blocks where !stages.contains(b.stage) { stages.append(b.stage) }
    for stage in stages {
      out += "  subgraph \(q("cluster_stage\(stage)")) {\n    label=\(q("stage \(stage)"));\n"
      for b in route.blocks where b.stage == stage {
        let s = b.shape
        let layers = b.layers.count == 1 ? "1 layer" : "\(b.layers.count) layers"
        let label = "\(b.index)\\n\(s.channels)@\(s.height)x\(s.width)\\nstage \(b.stage)\\n\(layers)"
        out += "    \(q("b\(b.index)")) [label=\(q(label))];\n"
      }
      out += "  }\n"
    }
    let decided = route.pathChoice == nil
    for e in route.edges {
      var parts = [String]()
      if decided, let op = e.head.candidates.first?.name { parts.append(op) }
      if e.stride == 2 { parts.append("stride 2") }
      let attrs = parts.isEmpty ? "" : " [label=\(q(parts.joined(separator: "\\n")))]"
      out += "  \(q("b\(e.from)")) -> \(q("b\(e.to)"))\(attrs);\n"
    }
    return out + "}\n"
  }
}
