import Foundation

/// Lays out several SVG documents in a grid inside one SVG (small multiples).
public enum SVGGrid {
  /// Places `panels` (complete `<svg>` documents of `panelWidth × panelHeight`) `columns` per row,
  /// under a title and an optional shared legend of (name, colour) entries.
  public static func render(
    title: String, panels: [String], columns: Int, panelWidth: Double, panelHeight: Double,
    legend: [(name: String, colour: String)] = []
  ) -> String {
    let cols = max(1, columns)
    let rows = (panels.count + cols - 1) / cols
    let legendHeight = legend.isEmpty ? 0.0 : 22.0
    let w = Double(cols) * panelWidth, h = 30 + legendHeight + Double(rows) * panelHeight
    var s = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(fmt(w))" height="\(fmt(h))" viewBox="0 0 \(fmt(w)) \(fmt(h))" \
      font-family="sans-serif">
      <rect width="100%" height="100%" fill="white"/>
      <text x="10" y="20" font-size="14" font-weight="bold">\(xmlEscaped(title))</text>

      """
    var lx = 10.0
    for entry in legend {
      s +=
        "<line x1=\"\(fmt(lx))\" y1=\"38\" x2=\"\(fmt(lx + 16))\" y2=\"38\" stroke=\"\(entry.colour)\" stroke-width=\"2.5\"/>\n"
      s += "<text x=\"\(fmt(lx + 20))\" y=\"42\" font-size=\"11\">\(xmlEscaped(entry.name))</text>\n"
      lx += 30 + Double(entry.name.count) * 6.5
    }
    for (i, panel) in panels.enumerated() {
      let x = Double(i % cols) * panelWidth, y = 30 + legendHeight + Double(i / cols) * panelHeight
      let inner = panel.replacingFirst("<svg ", with: "<svg x=\"\(fmt(x))\" y=\"\(fmt(y))\" ")
      s += inner
    }
    s += "</svg>\n"
    return s
  }
}

extension String {
  /// The string with the first occurrence of `target` replaced.
  func replacingFirst(_ target: String, with replacement: String) -> String {
    guard let r = range(of: target) else { return self }
    var copy = self
    copy.replaceSubrange(r, with: replacement)
    return copy
  }
}
