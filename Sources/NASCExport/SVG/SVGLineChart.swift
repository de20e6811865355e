import Foundation

/// A small self-contained SVG line chart: several named series over a shared x axis, with axes,
/// ticks and a legend. Used for softmax(α) per edge over epochs.
public struct SVGLineChart: Sendable {
  /// One line of the chart.
  public struct Series: Sendable {
    /// Legend text.
    public var name: String
    /// y values, one per x position.
    public var values: [Double]
    /// Creates a series.
    public init(name: String, values: [Double]) {
      self.name = name
      self.values = values
    }
  }

  /// Chart title.
  public var title: String
  /// x axis label.
  public var xLabel: String
  /// y axis label.
  public var yLabel: String
  /// x coordinates shared by all series.
  public var x: [Double]
  /// The lines.
  public var series: [Series]
  /// Fixed y range, or nil to fit the data.
  public var yRange: ClosedRange<Double>?

  /// Creates a chart.
  public init(
    title: String, xLabel: String, yLabel: String, x: [Double], series: [Series], yRange: ClosedRange<Double>? = nil
  ) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.x = x
    self.series = series
    self.yRange = yRange
  }

  /// A qualitative palette (colour-blind friendly, Okabe–Ito plus greys).
  public static let palette = [
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000", "#999999", "#882255",
  ]

  /// Renders the chart at `width × height` pixels, with the legend on the right unless `legend` is false.
  public func render(width: Double = 420, height: Double = 260, legend: Bool = true) -> String {
    let left = 60.0, right = legend ? 130.0 : 14.0, top = 28.0, bottom = 36.0
    let pw = width - left - right
    let ph = height - top - bottom
    let xs = x.isEmpty ? [0.0] : x
    var x0 = xs.min()!, x1 = xs.max()!
    if x1 - x0 < 1e-9 { x0 -= 1; x1 += 1 }
    let all = series.flatMap(\.values).filter { $0.isFinite }
    var y0 = yRange?.lowerBound ?? (all.min() ?? 0)
    var y1 = yRange?.upperBound ?? (all.max() ?? 1)
    if yRange == nil {
      // Fit the data with a margin, at least 0.02 tall, so small changes stay visible.
      let pad = max((y1 - y0) * 0.08, 0.01)
      y0 -= pad
      y1 += pad
    }
    if y1 - y0 < 1e-9 { y0 -= 0.5; y1 += 0.5 }
    func px(_ v: Double) -> Double { left + (v - x0) / (x1 - x0) * pw }
    func py(_ v: Double) -> Double { top + (1 - (v - y0) / (y1 - y0)) * ph }
    var s = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(fmt(width))" height="\(fmt(height))" \
      viewBox="0 0 \(fmt(width)) \(fmt(height))" font-family="sans-serif" font-size="10">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(fmt(left))" y="16" font-size="12" font-weight="bold">\(xmlEscaped(title))</text>
      <line x1="\(fmt(left))" y1="\(fmt(top + ph))" x2="\(fmt(left + pw))" y2="\(fmt(top + ph))" stroke="#333"/>
      <line x1="\(fmt(left))" y1="\(fmt(top))" x2="\(fmt(left))" y2="\(fmt(top + ph))" stroke="#333"/>

      """
    let yDigits = max(0, Int((-log10((y1 - y0) / 4)).rounded(.up)) + 1)
    for i in 0...4 {
      let v = y0 + (y1 - y0) * Double(i) / 4
      s +=
        "<text x=\"\(fmt(left - 4))\" y=\"\(fmt(py(v) + 3))\" text-anchor=\"end\">\(tick(v, digits: yDigits))</text>\n"
      s +=
        "<line x1=\"\(fmt(left))\" y1=\"\(fmt(py(v)))\" x2=\"\(fmt(left + pw))\" y2=\"\(fmt(py(v)))\" stroke=\"#eee\"/>\n"
    }
    var xTicks = (0...4).map { x0 + (x1 - x0) * Double($0) / 4 }
    if xs.allSatisfy({ $0 == $0.rounded() }) {
      // Integer data (epochs): integer ticks only, each once.
      xTicks = Array(Set(xTicks.map { $0.rounded() })).filter { $0 >= x0 && $0 <= x1 }.sorted()
    }
    for v in xTicks {
      s += "<text x=\"\(fmt(px(v)))\" y=\"\(fmt(top + ph + 14))\" text-anchor=\"middle\">\(tick(v))</text>\n"
    }
    s +=
      "<text x=\"\(fmt(left + pw / 2))\" y=\"\(fmt(height - 4))\" text-anchor=\"middle\">\(xmlEscaped(xLabel))</text>\n"
    s +=
      "<text x=\"12\" y=\"\(fmt(top + ph / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 12 \(fmt(top + ph / 2)))\">\(xmlEscaped(yLabel))</text>\n"
    for (i, line) in series.enumerated() {
      let colour = Self.palette[i % Self.palette.count]
      let pts = zip(xs, line.values).filter { $0.1.isFinite }.map { "\(fmt(px($0.0))),\(fmt(py($0.1)))" }
      if pts.count == 1 {
        let p = pts[0].split(separator: ",")
        s += "<circle cx=\"\(p[0])\" cy=\"\(p[1])\" r=\"2.5\" fill=\"\(colour)\"/>\n"
      } else if !pts.isEmpty {
        s +=
          "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(pts.joined(separator: " "))\"/>\n"
      }
      guard legend else { continue }
      let ly = top + 4 + Double(i) * 13
      s +=
        "<line x1=\"\(fmt(left + pw + 10))\" y1=\"\(fmt(ly))\" x2=\"\(fmt(left + pw + 24))\" y2=\"\(fmt(ly))\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
      s += "<text x=\"\(fmt(left + pw + 28))\" y=\"\(fmt(ly + 3))\">\(xmlEscaped(line.name))</text>\n"
    }
    s += "</svg>\n"
    return s
  }

  private func tick(_ v: Double, digits: Int = 2) -> String {
    if abs(v) >= 100 || v == v.rounded() { return String(Int(v.rounded())) }
    return String(format: "%.\(min(digits, 6))f", v)
  }
}

/// Formats a number for SVG attributes with at most `digits` decimals and no trailing zeros.
func fmt(_ v: Double, digits: Int = 1) -> String {
  var p = 1.0
  for _ in 0..<digits { p *= 10 }
  let r = (v * p).rounded() / p
  if r == r.rounded() { return String(Int(r)) }
  var s = String(r)
  if let dot = s.firstIndex(of: "."), s.distance(from: dot, to: s.endIndex) > digits + 1 {
    s = String(s[..<s.index(dot, offsetBy: digits + 1)])
  }
  return s
}

/// Escapes text for XML content and attributes.
public func xmlEscaped(_ text: String) -> String {
  var out = ""
  for ch in text {
    switch ch {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    default: out.append(ch)
    }
  }
  return out
}
