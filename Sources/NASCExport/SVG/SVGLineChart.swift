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
    /// A reference line (drawn dashed and grey, under the data) rather than data.
    public var reference: Bool
    /// Creates a series.
    public init(name: String, values: [Double], reference: Bool = false) {
      self.name = name
      self.values = values
      self.reference = reference
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
    let xs = x.isEmpty ? [0.0] : x
    let frame = SVGAxes(
      width: width, height: height, right: legend ? 130 : 14, x: xs, y: series.flatMap(\.values), yRange: yRange)
    var s = frame.open(title: title, xLabel: xLabel, yLabel: yLabel)
    // References first, so the data is drawn over them; colours count the data series only.
    let order = series.indices.filter { series[$0].reference } + series.indices.filter { !series[$0].reference }
    for i in order {
      let line = series[i]
      let dataIndex = series[..<i].filter { !$0.reference }.count
      let colour = line.reference ? "#888888" : Self.palette[dataIndex % Self.palette.count]
      let dash = line.reference ? " stroke-dasharray=\"5 3\"" : ""
      let pts = zip(xs, line.values).filter { $0.1.isFinite }.map { "\(fmt(frame.px($0.0))),\(fmt(frame.py($0.1)))" }
      if pts.count == 1 {
        let p = pts[0].split(separator: ",")
        s += "<circle cx=\"\(p[0])\" cy=\"\(p[1])\" r=\"2.5\" fill=\"\(colour)\"/>\n"
      } else if !pts.isEmpty {
        s +=
          "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\"\(dash) points=\"\(pts.joined(separator: " "))\"/>\n"
      }
      guard legend else { continue }
      s += frame.legendEntry(i, name: line.name, colour: colour, dashed: line.reference)
    }
    s += "</svg>\n"
    return s
  }
}

/// Formats a number for SVG attributes with at most `digits` decimals and no trailing zeros.
func fmt(_ v: Double, digits: Int = 1) -> String {
  var p = 1.0
  for _ in 0..<digits { p *= 10 }
  let r = (v * p).rounded() / p
  // A coordinate far off the canvas (from a value beyond any axis) is clamped, never trapped on.
  guard r.isFinite, abs(r) < 1e15 else { return r.isNaN ? "0" : r > 0 ? "1e15" : "-1e15" }
  if r == r.rounded() { return String(Int(r)) }
  var s = String(r)
  if let dot = s.firstIndex(of: "."), s.distance(from: dot, to: s.endIndex) > digits + 1 {
    s = String(s[..<s.index(dot, offsetBy: digits + 1)])
  }
  return s
}

/// Escapes text for XML (and HTML) content and attributes, quotes of both kinds included.
public func xmlEscaped(_ text: String) -> String {
  var out = ""
  out.reserveCapacity(text.count)
  for ch in text {
    switch ch {
    case "&": out += "&amp;"
    case "<": out += "&lt;"
    case ">": out += "&gt;"
    case "\"": out += "&quot;"
    case "'": out += "&#39;"
    default: out.append(ch)
    }
  }
  return out
}
