/// A scatter plot of labelled groups of points (architectures by MACs and accuracy; supernet
/// score against stand-alone accuracy), with an optional line through one group (a Pareto front).
public struct SVGScatter: Sendable {
  /// One group of points, drawn in one colour.
  public struct Group: Sendable {
    /// Legend text.
    public var name: String
    /// The points.
    public var points: [(x: Double, y: Double)]
    /// Whether the points are joined in x order (a front).
    public var joined: Bool
    /// Creates a group.
    public init(name: String, points: [(x: Double, y: Double)], joined: Bool = false) {
      self.name = name
      self.points = points
      self.joined = joined
    }
  }

  /// Chart title.
  public var title: String
  /// x axis label.
  public var xLabel: String
  /// y axis label.
  public var yLabel: String
  /// The groups, drawn in order (later ones on top).
  public var groups: [Group]

  /// Creates a plot.
  public init(title: String, xLabel: String, yLabel: String, groups: [Group]) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.groups = groups
  }

  /// Renders the plot at `width × height` pixels with a legend on the right.
  public func render(width: Double = 520, height: Double = 340) -> String {
    let all = groups.flatMap(\.points)
    let frame = SVGAxes(width: width, height: height, right: 140, x: all.map(\.x), y: all.map(\.y))
    var s = frame.open(title: title, xLabel: xLabel, yLabel: yLabel)
    for (i, g) in groups.enumerated() {
      let colour = SVGLineChart.palette[(i + 4) % SVGLineChart.palette.count]
      let pts = g.points.filter { $0.x.isFinite && $0.y.isFinite }
      if g.joined && pts.count > 1 {
        let line = pts.sorted { $0.x < $1.x }.map { "\(fmt(frame.px($0.x))),\(fmt(frame.py($0.y)))" }
        s +=
          "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.2\" points=\"\(line.joined(separator: " "))\"/>\n"
      }
      for p in pts {
        s +=
          "<circle cx=\"\(fmt(frame.px(p.x)))\" cy=\"\(fmt(frame.py(p.y)))\" r=\"2.5\" fill=\"\(colour)\" fill-opacity=\"0.75\"/>\n"
      }
      s += frame.legendEntry(i, name: "\(g.name) (\(pts.count))", colour: colour)
    }
    s += "</svg>\n"
    return s
  }
}
