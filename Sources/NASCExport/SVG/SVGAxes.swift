import Foundation

/// The frame of a chart: plot area, fitted ranges, axes with ticks and labels, and the legend
/// column. `SVGLineChart` and `SVGScatter` draw their marks inside it.
struct SVGAxes {
  let width: Double, height: Double
  let left = 60.0, top = 28.0, bottom = 36.0
  let right: Double
  let x0: Double, x1: Double, y0: Double, y1: Double
  let integerX: Bool

  /// A frame fitting `x` and `y` (non-finite values ignored), or `yRange` when given.
  init(width: Double, height: Double, right: Double, x: [Double], y: [Double], yRange: ClosedRange<Double>? = nil) {
    self.width = width
    self.height = height
    self.right = right
    let xs = x.filter { $0.isFinite }
    var x0 = xs.min() ?? 0, x1 = xs.max() ?? 1
    if x1 - x0 < 1e-9 { x0 -= 1; x1 += 1 }
    let all = y.filter { $0.isFinite }
    var y0 = yRange?.lowerBound ?? (all.min() ?? 0)
    var y1 = yRange?.upperBound ?? (all.max() ?? 1)
    if yRange == nil {
      // Fit the data with a margin, at least 0.02 tall, so small changes stay visible.
      let pad = max((y1 - y0) * 0.08, 0.01)
      y0 -= pad
      y1 += pad
    }
    if y1 - y0 < 1e-9 { y0 -= 0.5; y1 += 0.5 }
    (self.x0, self.x1, self.y0, self.y1) = (x0, x1, y0, y1)
    integerX = xs.allSatisfy { $0 == $0.rounded() }
  }

  var pw: Double { width - left - right }
  var ph: Double { height - top - bottom }
  func px(_ v: Double) -> Double { left + (v - x0) / (x1 - x0) * pw }
  func py(_ v: Double) -> Double { top + (1 - (v - y0) / (y1 - y0)) * ph }

  /// The opening of the document: background, title, axes, ticks, grid lines and axis labels.
  func open(title: String, xLabel: String, yLabel: String) -> String {
    var s = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(fmt(width))" height="\(fmt(height))" \
      viewBox="0 0 \(fmt(width)) \(fmt(height))" font-family="sans-serif" font-size="10">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(fmt(left))" y="16" font-size="12" font-weight="bold">\(xmlEscaped(title))</text>
      <line x1="\(fmt(left))" y1="\(fmt(top + ph))" x2="\(fmt(left + pw))" y2="\(fmt(top + ph))" stroke="#333"/>
      <line x1="\(fmt(left))" y1="\(fmt(top))" x2="\(fmt(left))" y2="\(fmt(top + ph))" stroke="#333"/>

      """
    let yDigits = Self.tickDigits(y1 - y0)
    for i in 0...4 {
      let v = y0 + (y1 - y0) * Double(i) / 4
      s +=
        "<text x=\"\(fmt(left - 4))\" y=\"\(fmt(py(v) + 3))\" text-anchor=\"end\">\(tick(v, digits: yDigits))</text>\n"
      s +=
        "<line x1=\"\(fmt(left))\" y1=\"\(fmt(py(v)))\" x2=\"\(fmt(left + pw))\" y2=\"\(fmt(py(v)))\" stroke=\"#eee\"/>\n"
    }
    var xTicks = (0...4).map { x0 + (x1 - x0) * Double($0) / 4 }
    if integerX {
      // Integer data (epochs): integer ticks only, each once.
      xTicks = Array(Set(xTicks.map { $0.rounded() })).filter { $0 >= x0 && $0 <= x1 }.sorted()
    }
    let xDigits = Self.tickDigits(x1 - x0)
    for v in xTicks {
      s +=
        "<text x=\"\(fmt(px(v)))\" y=\"\(fmt(top + ph + 14))\" text-anchor=\"middle\">\(tick(v, digits: xDigits))</text>\n"
    }
    s +=
      "<text x=\"\(fmt(left + pw / 2))\" y=\"\(fmt(height - 4))\" text-anchor=\"middle\">\(xmlEscaped(xLabel))</text>\n"
    s +=
      "<text x=\"12\" y=\"\(fmt(top + ph / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(fmt(top + ph / 2)))\">\(xmlEscaped(yLabel))</text>\n"
    return s
  }

  /// Legend row `i` in the right column: a swatch and its name.
  func legendEntry(_ i: Int, name: String, colour: String, dashed: Bool = false) -> String {
    let ly = top + 4 + Double(i) * 13
    let dash = dashed ? " stroke-dasharray=\"4 2\"" : ""
    return
      "<line x1=\"\(fmt(left + pw + 10))\" y1=\"\(fmt(ly))\" x2=\"\(fmt(left + pw + 24))\" y2=\"\(fmt(ly))\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash)/>\n"
      + "<text x=\"\(fmt(left + pw + 28))\" y=\"\(fmt(ly + 3))\">\(xmlEscaped(name))</text>\n"
  }

  /// Decimals that tell four ticks over `range` apart (0 for a range that is not a positive number).
  private static func tickDigits(_ range: Double) -> Int {
    guard range.isFinite, range > 0 else { return 0 }
    return min(6, max(0, Int((-log10(range / 4)).rounded(.up)) + 1))
  }

  private func tick(_ v: Double, digits: Int = 2) -> String {
    // Beyond 10^15 (a diverged loss, a hand-edited metric) a tick is written in exponent form.
    guard v.isFinite, abs(v) < 1e15 else { return String(format: "%.3g", v) }
    if abs(v) >= 100 || v == v.rounded() { return String(Int(v.rounded())) }
    return String(format: "%.\(min(digits, 6))f", v)
  }
}
