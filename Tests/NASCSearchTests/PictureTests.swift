import Foundation
#if canImport(FoundationXML)
  import FoundationXML
#endif
import NASCExport
import Testing

@Suite struct PictureTests {
  @Test func lineChartIsWellFormedSVGWithOnePolylinePerSeries() throws {
    let chart = SVGLineChart(
      title: "a < b", xLabel: "epoch", yLabel: "p", x: [1, 2, 3],
      series: [.init(name: "x", values: [0.1, 0.2, 0.3]), .init(name: "y", values: [0.3, 0.2, .nan])])
    let svg = chart.render()
    #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
    #expect(svg.contains("a &lt; b"))
    _ = try XMLDocument(xmlString: svg)
  }

  @Test func valuesBeyondAnyAxisStillDraw() throws {
    // A diverged loss or a hand-edited metrics line: ticks in exponent form, coordinates clamped.
    for values in [[1e300, 2, 3], [-1.7e308, 0, 1.7e308], [1e18, 1e18 + 1e6, 1e18]] {
      let svg = SVGLineChart(
        title: "t", xLabel: "epoch", yLabel: "loss", x: [1, 2, 3], series: [.init(name: "l", values: values)]
      ).render()
      _ = try XMLDocument(xmlString: svg)
    }
  }

  @Test func cellDiagramDrawsOneArrowPerEdge() throws {
    let d = SVGCellDiagram(
      title: "normal cell", inputs: ["c_{k-2}", "c_{k-1}"], nodes: [2, 3],
      edges: [
        .init(from: 0, to: 2, label: "sep_conv_3x3"), .init(from: 0, to: 2, label: "skip_connect"),
        .init(from: 2, to: 3, label: "max_pool_3x3"),
      ],
      outputNodes: [2, 3])
    let svg = d.render()
    #expect(svg.components(separatedBy: "marker-end").count - 1 == 3 + 2)
    _ = try XMLDocument(xmlString: svg)
  }

  @Test func gridNestsPanels() throws {
    let p = SVGLineChart(title: "t", xLabel: "x", yLabel: "y", x: [1], series: [.init(name: "s", values: [1])]).render()
    let grid = SVGGrid.render(
      title: "g", panels: [p, p, p], columns: 2, panelWidth: 420, panelHeight: 260, legend: [("s", "#000")])
    #expect(grid.components(separatedBy: "<svg").count - 1 == 4)
    _ = try XMLDocument(xmlString: grid)
  }

  @Test func scatterDrawsEveryFinitePointAndJoinsAFront() throws {
    let plot = SVGScatter(
      title: "acc & MACs", xLabel: "MMACs", yLabel: "acc",
      groups: [
        .init(name: "scored", points: [(1, 90), (2, 91), (.nan, 92)]),
        .init(name: "front", points: [(3, 95), (1.5, 93)], joined: true),
      ])
    let svg = plot.render()
    #expect(svg.components(separatedBy: "<circle").count - 1 == 4)
    #expect(svg.components(separatedBy: "<polyline").count - 1 == 1)
    #expect(svg.contains("acc &amp; MACs") && svg.contains("scored (2)") && svg.contains("front (2)"))
    _ = try XMLDocument(xmlString: svg)
  }
}
