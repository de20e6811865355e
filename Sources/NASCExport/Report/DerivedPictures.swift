import NASCSpace

/// Pictures and tables of a decided architecture (an arch document compiled): one drawing per cell
/// template, the chosen op of every choice layer, the derived route.
public enum DerivedPictures {
  /// One `SVGCellDiagram` per cell template (its first instance), kept edges labelled with their op.
  public static func cells(_ ir: SpaceIR) -> [(template: String, svg: String)] {
    var seen = Set<String>()
    return ir.cells.filter { seen.insert($0.template).inserted }.map { c in
      let n = c.inputs.count
      let inputs = (0..<n).map { i in
        c.recurrent ? "x_t, h_{t-1}" : n == 1 ? "c_{k-1}" : n == 2 ? (i == 0 ? "c_{k-2}" : "c_{k-1}") : "c_{k-\(n - i)}"
      }
      var edges = [SVGCellDiagram.Edge]()
      for node in c.nodes {
        for e in node.edges {
          edges.append(.init(from: e.from, to: node.index, label: e.candidates.map(\.name).joined(separator: " | ")))
        }
      }
      let kind = c.recurrent ? " (recurrent)" : c.reduction ? " (reduction)" : ""
      let drawing = SVGCellDiagram(
        title: "\(c.template) cell\(kind)", inputs: inputs, nodes: c.nodes.map(\.index), edges: edges,
        outputNodes: c.outputNodes)
      return (c.template, drawing.render())
    }
  }

  /// Rows (layer, op, output shape, stride, shortcut) of every layer, with the op chosen where the
  /// space had a choice (`choices` are the searched space's layer choice ids).
  public static func layerRows(_ ir: SpaceIR, searched: SpaceIR?) -> [[String]] {
    let chosen = Set(searched?.layers.compactMap(\.choice) ?? [])
    let searchedLayers = Dictionary(
      (searched?.layers ?? []).map { ($0.layerIndex, $0) }, uniquingKeysWith: { a, _ in a })
    return ir.layers.map { l in
      let before = searchedLayers[l.layerIndex]
      let wasChoice = before?.choice.map(chosen.contains) ?? false
      let op = l.candidates.map(\.name).joined(separator: " | ")
      return [
        String(l.layerIndex), op, wasChoice ? "chosen of \(before!.candidates.count)" : "fixed", l.shape.description,
        String(l.stride), l.residual ? "yes" : "",
      ]
    }
  }

  /// The derived route (DenseNAS) drawn with its head ops, or nil when the network has none.
  public static func route(_ ir: SpaceIR) -> String? {
    guard let r = ir.network.route else { return nil }
    var heads = [Int: String]()
    for e in r.edges { heads[e.to] = e.head.candidates.first?.name }
    let path = r.blocks.map(\.index)
    return SVGRouteDiagram.svg(
      r, probabilities: [:], path: path, headOps: heads,
      title: "\(ir.name): derived path " + path.map(String.init).joined(separator: "→"))
  }
}
