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
    // Layered left to right: inputs, then one column per intermediate node (zig-zag in height so no
    // three nodes are collinear), then the output. An edge that skips columns arcs away from the
    // middle (over the top row, under the bottom one) so that it passes no node; labels go on top
    // of everything, at the apex of their edge, with a white halo.
    let colW = 120.0
    let width = 170 + Double(nodes.count) * colW + 90
    let height = 320.0
    let mid = height / 2 + 10
    var pos = [Int: (Double, Double)]()
    var column = [Int: Int]()
    for (i, _) in inputs.enumerated() {
      pos[i] = (60, inputs.count == 1 ? mid : 70 + Double(i) * (height - 110) / Double(inputs.count - 1))
      column[i] = -1
    }
    for (i, n) in nodes.enumerated() {
      pos[n] = (190 + Double(i) * colW, i % 2 == 0 ? mid - 42 : mid + 42)
      column[n] = i
    }
    let out = (width - 50, mid)
    var s = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(fmt(width))" height="\(fmt(height))" \
      viewBox="0 0 \(fmt(width)) \(fmt(height))" font-family="sans-serif" font-size="11">
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" \
      orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>
      <rect width="100%" height="100%" fill="white"/>
      <text x="12" y="20" font-size="13" font-weight="bold">\(xmlEscaped(title))</text>

      """
    var labels = ""
    var placed = [(x: Double, y: Double, w: Double)]()
    var seen = [String: Int]()
    for (k, e) in edges.enumerated() {
      guard let a = pos[e.from], let b = pos[e.to] else { continue }
      let colour = Self.colours[k % Self.colours.count]
      let key = "\(min(e.from, e.to))-\(max(e.from, e.to))"
      let repeatIndex = seen[key, default: 0]
      seen[key] = repeatIndex + 1
      let (x0, y0, x2, y2) = (a.0 + 22, a.1, b.0 - 22, b.1)
      let span = (column[e.to] ?? 0) - (column[e.from] ?? 0)
      let centre = (y0 + y2) / 2
      // Away from the middle by how many columns the edge skips; parallel edges fan out.
      let side = centre < mid - 1 ? -1.0 : centre > mid + 1 ? 1.0 : (k % 2 == 0 ? -1.0 : 1.0)
      var bend = span >= 2 ? side * (50 + 34 * Double(span - 2)) : (k % 2 == 0 ? 12.0 : -12.0)
      if repeatIndex > 0 { bend += (repeatIndex % 2 == 1 ? -1 : 1) * 26 * Double((repeatIndex + 1) / 2) }
      let cx = (x0 + x2) / 2, cy = centre + bend
      s += "<path d=\"M \(fmt(x0)) \(fmt(y0)) Q \(fmt(cx)) \(fmt(cy)) \(fmt(x2)) \(fmt(y2))\" "
      s += "fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.6\" marker-end=\"url(#arrow)\"/>\n"
      // The apex of a long arc; short edges alternate between two points so neighbours do not collide.
      let t = span >= 2 ? 0.5 : 0.45 + 0.12 * Double(k % 2)
      let lx = (1 - t) * (1 - t) * x0 + 2 * (1 - t) * t * cx + t * t * x2
      let ly = (1 - t) * (1 - t) * y0 + 2 * (1 - t) * t * cy + t * t * y2
      // A label that would overlap one already placed moves away from the middle, a line at a time.
      let w = 6.2 * Double(e.label.count)
      var y = ly + (bend < 0 ? -3 : 10)
      for _ in 0..<6 where placed.contains(where: { abs($0.x - lx) < ($0.w + w) / 2 && abs($0.y - y) < 12 }) {
        y += bend < 0 ? -12 : 12
      }
      placed.append((lx, y, w))
      labels +=
        "<text x=\"\(fmt(lx))\" y=\"\(fmt(y))\" text-anchor=\"middle\" fill=\"\(colour)\" "
      labels += "stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">\(xmlEscaped(e.label))</text>\n"
    }
    for n in outputNodes {
      guard let a = pos[n] else { continue }
      s += "<line x1=\"\(fmt(a.0 + 22))\" y1=\"\(fmt(a.1))\" x2=\"\(fmt(out.0 - 26))\" y2=\"\(fmt(out.1))\" "
      s += "stroke=\"#bbb\" stroke-dasharray=\"4 3\" marker-end=\"url(#arrow)\"/>\n"
    }
    for (i, name) in inputs.enumerated() { s += box(pos[i]!, name, fill: "#cde") }
    for n in nodes { s += box(pos[n]!, String(n - inputs.count), fill: "#eec") }
    s += box(out, "c_{k}", fill: "#cdc")
    s += labels
    s += "</svg>\n"
    return s
  }

  /// Dark, distinct colours for edges and their labels (readable on white).
  static let colours = ["#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#882255", "#000000"]

  private func box(_ p: (Double, Double), _ text: String, fill: String) -> String {
    "<rect x=\"\(fmt(p.0 - 22))\" y=\"\(fmt(p.1 - 13))\" width=\"44\" height=\"26\" rx=\"5\" fill=\"\(fill)\" stroke=\"#555\"/>\n"
      + "<text x=\"\(fmt(p.0))\" y=\"\(fmt(p.1 + 4))\" text-anchor=\"middle\">\(xmlEscaped(text))</text>\n"
  }
}
