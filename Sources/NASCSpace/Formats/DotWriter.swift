/// Graphviz DOT of a space's cells (the first instance of each template), as DARTS drew them, or of
/// a layer chain.
public enum DotWriter {
  static func q(_ s: String) -> String { "\"" + s.replacingAll("\"", "\\\"") + "\"" }

  /// The DOT text.
  public static func dot(_ ir: SpaceIR) -> String {
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
}
