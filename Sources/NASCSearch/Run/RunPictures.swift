import NASCExport

/// The SVG pictures of a run: each derived cell, and softmax(α) per edge over the epochs.
enum RunPictures {
  static func write(run: SearchRun, derived: DerivedArchitecture, into dir: RunDirectory) throws {
    for cell in derived.cells {
      let inputs = ["c_{k-2}", "c_{k-1}"]
      var edges = [SVGCellDiagram.Edge]()
      for (node, picks) in cell.nodes { for p in picks { edges.append(.init(from: p.input, to: node, label: p.op)) } }
      let drawing = SVGCellDiagram(
        title: "\(cell.template) cell", inputs: inputs, nodes: cell.nodes.map(\.node), edges: edges,
        outputNodes: cell.outputNodes)
      try AtomicFile.write(drawing.render(), to: dir.file("cell-\(cell.template).svg"))
    }
    let epochs = run.history.map { Double($0.epoch + 1) }
    for t in run.templateWeights() {
      var panels = [String]()
      for (e, id) in t.choices.enumerated() {
        let series = t.weights.ops.enumerated().map { k, name in
          SVGLineChart.Series(name: name, values: run.history.map { $0.alpha[id]?[k] ?? .nan })
        }
        let edge = t.weights.edges[e]
        let chart = SVGLineChart(
          title: "edge \(edge.from)→\(edge.to)", xLabel: "epoch", yLabel: "softmax(α)", x: epochs, series: series)
        panels.append(chart.render(width: 280, height: 190, legend: false))
      }
      let legend = t.weights.ops.enumerated().map { k, name in
        (name: name, colour: SVGLineChart.palette[k % SVGLineChart.palette.count])
      }
      let grid = SVGGrid.render(
        title: "\(run.ir.name): softmax(α) of the \(t.template) cell per edge", panels: panels, columns: 5,
        panelWidth: 280, panelHeight: 190, legend: legend)
      try AtomicFile.write(grid, to: dir.file("alpha-\(t.template).svg"))
    }
  }
}
