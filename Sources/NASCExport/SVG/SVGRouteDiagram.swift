import NASCSpace

/// A drawing of a routing space (DenseNAS): one box per block, in one column per stage (left to
/// right) and stacked by width inside a stage (narrowest on top), one curve per connection whose
/// stroke width is proportional to the probability the search gives it, and the chosen path drawn
/// on top in colour with the head op of each of its connections.
public enum SVGRouteDiagram {
  /// The path's colour (the first of `SVGCellDiagram.colours`).
  static let pathColour = "#D55E00"
  /// The colour of the connections off the path.
  static let edgeColour = "#51677d"
  /// Stroke width of a connection of probability 1.
  static let fullWidth = 9.0
  /// The thinnest stroke drawn, so that unlikely connections stay visible.
  static let minWidth = 0.4
  /// Stroke width of a connection whose probability is unknown.
  static let unknownWidth = 1.2
  /// The thinnest stroke of a path connection.
  static let minPathWidth = 2.5

  static let colW = 170.0, rowH = 62.0, boxW = 84.0, boxH = 34.0
  static let left = 24.0, top = 66.0

  /// The SVG document of `route`.
  ///
  /// - Parameters:
  ///   - route: The routing graph (a supernet's, or a decided architecture's single path).
  ///   - probabilities: Per block index `k`, its distribution over its outgoing connections, in
  ///     the order of `route.block(k)?.targets` (softmax of its β). A block missing here, or whose
  ///     vector has the wrong length, has its connections drawn at a neutral width.
  ///   - path: The chosen path as block indices (`[0, 1, 4, …, final]`), or nil for none; its
  ///     connections and blocks are highlighted.
  ///   - headOps: Per block index `j` of the path, the head op chosen for the path's connection
  ///     into `j` (written on that connection).
  ///   - title: Title above the drawing.
  /// - Returns: A complete, deterministic SVG document: one `<path class="edge…">` per connection
  ///   (`class="edge path"` on the chosen path), each with a `<title>` giving its probability.
  public static func svg(
    _ route: RouteIR, probabilities: [Int: [Double]], path: [Int]?, headOps: [Int: String] = [:], title: String
  ) -> String {
    // Columns: the distinct stages in ascending order; rows: a stage's blocks by width.
    let stages = Array(Set(route.blocks.map(\.stage))).sorted()
    let column = Dictionary(uniqueKeysWithValues: stages.enumerated().map { ($1, $0) })
    var byStage = [Int: [RouteBlock]]()
    for b in route.blocks { byStage[b.stage, default: []].append(b) }
    let maxRows = byStage.values.map(\.count).max() ?? 1
    var pos = [Int: (x: Double, y: Double)]()
    for stage in stages {
      let blocks = byStage[stage, default: []].sorted {
        ($0.shape.channels, $0.index) < ($1.shape.channels, $1.index)
      }
      // Centre a stage's column on the tallest one.
      let offset = Double(maxRows - blocks.count) * rowH / 2
      for (r, b) in blocks.enumerated() {
        pos[b.index] = (
          left + boxW / 2 + Double(column[stage]!) * colW, top + boxH / 2 + offset + Double(r) * rowH
        )
      }
    }
    let width = left * 2 + boxW + Double(max(stages.count - 1, 0)) * colW
    let height = top + Double(maxRows - 1) * rowH + boxH + 56

    var onPath = Set<String>()
    var pathBlocks = Set<Int>()
    if let path {
      pathBlocks = Set(path)
      for (a, b) in zip(path, path.dropFirst()) { onPath.insert("\(a)-\(b)") }
    }

    var s = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(fmt(width))" height="\(fmt(height))" \
      viewBox="0 0 \(fmt(width)) \(fmt(height))" font-family="sans-serif" font-size="11">
      <rect width="100%" height="100%" fill="white"/>
      <text x="12" y="20" font-size="13" font-weight="bold">\(xmlEscaped(title))</text>

      """
    for stage in stages {
      let x = left + boxW / 2 + Double(column[stage]!) * colW
      s += "<text x=\"\(fmt(x))\" y=\"\(fmt(top - 16))\" text-anchor=\"middle\" fill=\"#555\">"
      s += "stage \(stage)</text>\n"
    }

    // Connections: those off the path first, then the path's in path order, so it lies on top.
    let edgeByKey = Dictionary(route.edges.map { ("\($0.from)-\($0.to)", $0) }, uniquingKeysWith: { a, _ in a })
    var labels = ""
    for e in route.edges where !onPath.contains("\(e.from)-\(e.to)") {
      s += edgePath(e, pos: pos, p: probability(e, route, probabilities), highlighted: false)
    }
    if let path {
      for (a, b) in zip(path, path.dropFirst()) {
        guard let e = edgeByKey["\(a)-\(b)"] else { continue }
        let p = probability(e, route, probabilities)
        s += edgePath(e, pos: pos, p: p, highlighted: true)
        var text = headOps[b] ?? ""
        if let p { text += text.isEmpty ? fmt(p, digits: 2) : " (\(fmt(p, digits: 2)))" }
        if !text.isEmpty, let m = midpoint(e, pos: pos) {
          // Above the stroke, clear of its width.
          let lift = 4 + max(p.map { $0 * fullWidth } ?? unknownWidth, minPathWidth) / 2
          labels += "<text x=\"\(fmt(m.x))\" y=\"\(fmt(m.y - lift))\" text-anchor=\"middle\" "
          labels += "fill=\"\(pathColour)\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">"
          labels += "\(xmlEscaped(text))</text>\n"
        }
      }
    }

    // Blocks on top of the connections, then the path's labels on top of everything.
    for b in route.blocks {
      guard let p = pos[b.index] else { continue }
      let chosen = pathBlocks.contains(b.index)
      let fill =
        chosen ? "#fde0c8" : b.index == route.blocks.first?.index ? "#cde" : b.index == route.final ? "#cdc" : "#eec"
      let stroke = chosen ? pathColour : "#555"
      let layers = b.layers.count == 1 ? "1 stacked layer" : "\(b.layers.count) stacked layers"
      s += "<g class=\"block\"><title>block \(b.index): \(b.shape.description), stage \(b.stage), \(layers)</title>"
      s += "<rect x=\"\(fmt(p.x - boxW / 2))\" y=\"\(fmt(p.y - boxH / 2))\" width=\"\(fmt(boxW))\" "
      s += "height=\"\(fmt(boxH))\" rx=\"5\" fill=\"\(fill)\" stroke=\"\(stroke)\" "
      s += "stroke-width=\"\(chosen ? "2" : "1")\"/>"
      s += "<text x=\"\(fmt(p.x))\" y=\"\(fmt(p.y - 3))\" text-anchor=\"middle\" font-weight=\"bold\">\(b.index)</text>"
      s += "<text x=\"\(fmt(p.x))\" y=\"\(fmt(p.y + 11))\" text-anchor=\"middle\" font-size=\"10\">"
      s += "\(b.shape.channels)@\(b.shape.height)x\(b.shape.width)</text></g>\n"
    }
    s += labels

    let legendY = height - 18
    s += "<text x=\"12\" y=\"\(fmt(legendY))\" fill=\"#555\">line width ∝ probability of the connection "
    s += "(softmax β of its source block); connections run left to right and, inside a stage, from "
    s += "narrower to wider blocks"
    if path != nil { s += "; chosen path in colour" }
    s += "</text>\n</svg>\n"
    return s
  }

  /// The probability of connection `e` in its source block's distribution, or nil when unknown.
  static func probability(_ e: RouteEdge, _ route: RouteIR, _ probabilities: [Int: [Double]]) -> Double? {
    guard let targets = route.block(e.from)?.targets, let i = targets.firstIndex(of: e.to),
      let v = probabilities[e.from], v.count == targets.count, v[i].isFinite
    else { return nil }
    return min(max(v[i], 0), 1)
  }

  /// The control points of a connection: a cubic from the right side of the source to the left side
  /// of the target between columns, or an arc bulging right inside a column.
  static func geometry(_ e: RouteEdge, pos: [Int: (x: Double, y: Double)]) -> [(x: Double, y: Double)]? {
    guard let a = pos[e.from], let b = pos[e.to] else { return nil }
    if abs(a.x - b.x) < 1e-9 {
      let x = a.x + boxW / 2
      let bulge = 14 + 16 * (abs(b.y - a.y) / rowH - 1)
      let y0 = a.y + (b.y > a.y ? 6 : -6), y3 = b.y + (b.y > a.y ? -6 : 6)
      return [(x, y0), (x + bulge * 1.33, y0), (x + bulge * 1.33, y3), (x, y3)]
    }
    let x0 = a.x + boxW / 2, x3 = b.x - boxW / 2
    let dx = (x3 - x0) / 2
    return [(x0, a.y), (x0 + dx, a.y), (x3 - dx, b.y), (x3, b.y)]
  }

  /// The point halfway along a connection.
  static func midpoint(_ e: RouteEdge, pos: [Int: (x: Double, y: Double)]) -> (x: Double, y: Double)? {
    guard let c = geometry(e, pos: pos) else { return nil }
    return ((c[0].x + 3 * c[1].x + 3 * c[2].x + c[3].x) / 8, (c[0].y + 3 * c[1].y + 3 * c[2].y + c[3].y) / 8)
  }

  /// One connection as a `<path>` element.
  static func edgePath(_ e: RouteEdge, pos: [Int: (x: Double, y: Double)], p: Double?, highlighted: Bool) -> String {
    guard let c = geometry(e, pos: pos) else { return "" }
    var w = p.map { max($0 * fullWidth, minWidth) } ?? unknownWidth
    if highlighted { w = max(w, minPathWidth) }
    let d =
      "M \(fmt(c[0].x)) \(fmt(c[0].y)) C \(fmt(c[1].x)) \(fmt(c[1].y)) \(fmt(c[2].x)) \(fmt(c[2].y)) "
      + "\(fmt(c[3].x)) \(fmt(c[3].y))"
    let stride = e.stride == 2 ? ", stride 2" : ""
    let prob = p.map { ", p = \(fmt($0, digits: 3))" } ?? ""
    var out = "<path class=\"\(highlighted ? "edge path" : "edge")\" d=\"\(d)\" fill=\"none\" "
    out += "stroke=\"\(highlighted ? pathColour : edgeColour)\" stroke-width=\"\(fmt(w, digits: 2))\" "
    out += highlighted ? "stroke-linecap=\"round\">" : "stroke-opacity=\"0.55\">"
    out += "<title>\(e.from)→\(e.to)\(stride)\(prob)</title></path>\n"
    return out
  }
}
