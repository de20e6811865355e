/// A drawing of one derived cell: the cell inputs on the left, the intermediate nodes in the middle,
/// the output on the right, and one labelled arrow per kept (op, input) pair — the picture the DARTS
/// papers draw with Graphviz, written directly as SVG.
public struct SVGCellDiagram: Sendable {
  /// One kept op.
  public struct Edge: Sendable {
    /// Source node index (0..<inputs.count are the cell inputs).
    public var from: Int
    /// Destination node index.
    public var to: Int
    /// The op name.
    public var label: String
    /// Creates an edge.
    public init(from: Int, to: Int, label: String) {
      self.from = from
      self.to = to
      self.label = label
    }
  }

  /// Title above the drawing.
  public var title: String
  /// Names of the cell inputs (`c_{k-2}`, `c_{k-1}`).
  public var inputs: [String]
  /// Intermediate node indices, in order.
  public var nodes: [Int]
  /// The kept ops.
  public var edges: [Edge]
  /// Nodes joined into the output.
  public var outputNodes: [Int]

  /// Creates a drawing.
  public init(title: String, inputs: [String], nodes: [Int], edges: [Edge], outputNodes: [Int]) {
    self.title = title
    self.inputs = inputs
    self.nodes = nodes
    self.edges = edges
    self.outputNodes = outputNodes
  }

  /// Renders the SVG document.
  public func render() -> String {
    let rowH = 70.0, width = 640.0
    let rows = max(nodes.count, inputs.count)
    let height = 60 + Double(rows) * rowH
    var pos = [Int: (Double, Double)]()
    for (i, _) in inputs.enumerated() {
      pos[i] = (60, 50 + (Double(i) + 0.5) * (Double(rows) * rowH / Double(max(inputs.count, 1))))
    }
    for (i, n) in nodes.enumerated() {
      // Stagger the nodes horizontally so arrows between consecutive nodes stay visible.
      pos[n] = (250 + Double(i % 2) * 90, 50 + (Double(i) + 0.5) * rowH)
    }
    let out = (width - 60, 50 + Double(rows) * rowH / 2)
    var s = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(fmt(width))" height="\(fmt(height))" \
      viewBox="0 0 \(fmt(width)) \(fmt(height))" font-family="sans-serif" font-size="11">
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" \
      orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>
      <rect width="100%" height="100%" fill="white"/>
      <text x="12" y="20" font-size="13" font-weight="bold">\(xmlEscaped(title))</text>

      """
    for (k, e) in edges.enumerated() {
      guard let a = pos[e.from], let b = pos[e.to] else { continue }
      let colour = SVGLineChart.palette[k % SVGLineChart.palette.count]
      let bend = (e.from == e.to - 1 && e.from >= inputs.count) ? 0.0 : Double((k % 3) - 1) * 18
      let mx = (a.0 + b.0) / 2, my = (a.1 + b.1) / 2 + bend
      s += "<path d=\"M \(fmt(a.0 + 22)) \(fmt(a.1)) Q \(fmt(mx)) \(fmt(my)) \(fmt(b.0 - 22)) \(fmt(b.1))\" "
      s += "fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.6\" marker-end=\"url(#arrow)\"/>\n"
      s += "<text x=\"\(fmt(mx))\" y=\"\(fmt(my - 4))\" text-anchor=\"middle\" fill=\"\(colour)\">\(xmlEscaped(e.label))</text>\n"
    }
    for n in outputNodes {
      guard let a = pos[n] else { continue }
      s += "<line x1=\"\(fmt(a.0 + 22))\" y1=\"\(fmt(a.1))\" x2=\"\(fmt(out.0 - 26))\" y2=\"\(fmt(out.1))\" "
      s += "stroke=\"#bbb\" stroke-dasharray=\"4 3\" marker-end=\"url(#arrow)\"/>\n"
    }
    for (i, name) in inputs.enumerated() { s += box(pos[i]!, name, fill: "#cde") }
    for n in nodes { s += box(pos[n]!, String(n - inputs.count), fill: "#eec") }
    s += box(out, "c_{k}", fill: "#cdc")
    s += "</svg>\n"
    return s
  }

  private func box(_ p: (Double, Double), _ text: String, fill: String) -> String {
    "<rect x=\"\(fmt(p.0 - 22))\" y=\"\(fmt(p.1 - 13))\" width=\"44\" height=\"26\" rx=\"5\" fill=\"\(fill)\" stroke=\"#555\"/>\n"
      + "<text x=\"\(fmt(p.0))\" y=\"\(fmt(p.1 + 4))\" text-anchor=\"middle\">\(xmlEscaped(text))</text>\n"
  }
}
