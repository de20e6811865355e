import NASCSearch
import NASCSpace
import NASCTensor

/// The SVG pictures of a finished search: each derived cell, softmax(α) per edge over the epochs,
/// and for the one-shot methods the supernet's training loss and every scored architecture by MACs.
public enum RunPictures {
  /// Writes `cell-<template>.svg` for every decided cell and `alpha-<template>.svg` for every cell
  /// template whose α the metrics recorded.
  public static func write(_ outcome: SearchOutcome, ir: SpaceIR, into dir: RunDirectory) throws {
    guard let space = outcome.space, let result = outcome.result else { return }
    try writeScores(result, derived: space.text(result.architecture), ir: ir, into: dir)
    try writeRoute(outcome, ir: ir, into: dir)
    if !result.scored.isEmpty { try writeSupernetLoss(outcome.history, ir: ir, into: dir) }
    for cell in space.decidedCells(result.architecture) {
      let inputs = ["c_{k-2}", "c_{k-1}"]
      var edges = [SVGCellDiagram.Edge]()
      for (node, picks) in cell.nodes { for p in picks { edges.append(.init(from: p.input, to: node, label: p.op)) } }
      let drawing = SVGCellDiagram(
        title: "\(cell.template) cell", inputs: inputs, nodes: cell.nodes.map(\.node), edges: edges,
        outputNodes: cell.outputNodes)
      try AtomicFile.write(drawing.render(), to: dir.file("cell-\(cell.template).svg"))
    }
    for (name, svg) in alphaPictures(outcome.history, ir: ir) { try AtomicFile.write(svg, to: dir.file(name)) }
  }

  /// softmax(α) over the epochs as `metrics.jsonl` recorded it: `alpha-<template>.svg` per cell
  /// template (one panel per edge) and `alpha-layers.svg` (one panel per choice layer), each as
  /// (file name, SVG document), `columns` panels a row; empty when the metrics hold no α.
  public static func alphaPictures(_ history: [Metrics], ir: SpaceIR, columns: Int = 5) -> [(file: String, svg: String)]
  {
    let alphaByEpoch: [[String: [Double]]] = history.map { m in
      guard case .map(let a)? = m["alpha"] else { return [:] }
      return a.compactMapValues { if case .numbers(let v) = $0 { v } else { nil } }
    }
    guard alphaByEpoch.contains(where: { !$0.isEmpty }) else { return [] }
    let epochs = history.indices.map { Double($0 + 1) }
    var out = [(file: String, svg: String)]()
    let uniform = Dictionary(
      uniqueKeysWithValues: ir.choicePoints.map { ($0.id, Tensor([Float](repeating: 0, count: $0.candidates.count))) })
    for t in TemplateWeights.all(ir: ir, logits: uniform, edgeNormalization: false) {
      var panels = [String]()
      for (e, id) in t.choices.enumerated() {
        let series = t.weights.ops.enumerated().map { k, name in
          SVGLineChart.Series(name: name, values: alphaByEpoch.map { $0[id]?[k] ?? .nan })
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
        title: "\(ir.name): softmax(α) of the \(t.template) cell per edge", panels: panels, columns: columns,
        panelWidth: 280, panelHeight: 190, legend: legend)
      out.append(("alpha-\(t.template).svg", grid))
    }
    if let layers = layerAlphas(alphaByEpoch, epochs: epochs, ir: ir) { out.append(("alpha-layers.svg", layers)) }
    return out
  }

  /// `route.svg`: the routing graph with the last epoch's softmax(β / T) as connection widths and
  /// the derived path, with its head ops, highlighted (DenseNAS).
  static func writeRoute(_ outcome: SearchOutcome, ir: SpaceIR, into dir: RunDirectory) throws {
    guard let route = ir.network.route, let key = route.pathChoice,
      let decision = outcome.result?.architecture.route(key)
    else { return }
    var probabilities = [Int: [Double]]()
    if case .map(let beta)? = outcome.history.last?["beta"] {
      for b in route.blocks {
        if let id = b.next, case .numbers(let q)? = beta[id] { probabilities[b.index] = q }
      }
    }
    var heads = [Int: String]()
    for (i, j) in zip(decision.path, decision.path.dropFirst()) {
      guard let e = route.edges.first(where: { $0.from == i && $0.to == j }) else { continue }
      heads[j] = e.head.choice.flatMap { decision.ops[$0] } ?? e.head.candidates.first?.name
    }
    let svg = SVGRouteDiagram.svg(
      route, probabilities: probabilities, path: decision.path, headOps: heads,
      title: "\(ir.name): softmax(β) per connection, derived path "
        + decision.path.map(String.init).joined(separator: "→"))
    try AtomicFile.write(svg, to: dir.file("route.svg"))
  }

  /// `alpha-layers.svg`: per choice layer, softmax(α) of each candidate over the epochs (the
  /// highest line is the candidate the derivation would pick at that epoch); nil without choice layers.
  static func layerAlphas(_ alphaByEpoch: [[String: [Double]]], epochs: [Double], ir: SpaceIR) -> String? {
    let layers = ir.layers.filter { l in l.choice.map { id in alphaByEpoch.contains { $0[id] != nil } } ?? false }
    var seen = Set<String>()
    let shown = layers.filter { seen.insert($0.choice!).inserted }
    guard let first = shown.first else { return nil }
    // One legend for the picture when every layer has the same candidates, else one per panel.
    let shared = shown.allSatisfy { $0.candidates.map(\.name) == first.candidates.map(\.name) }
    let panels = shown.map { layer -> String in
      let id = layer.choice!
      let series = layer.candidates.enumerated().map { k, c in
        SVGLineChart.Series(name: c.name, values: alphaByEpoch.map { $0[id]?[k] ?? .nan })
      }
      let chart = SVGLineChart(title: id, xLabel: "epoch", yLabel: "softmax(α)", x: epochs, series: series)
      return chart.render(width: 280, height: 190, legend: !shared)
    }
    let legend =
      shared
      ? first.candidates.enumerated().map { k, c in
        (name: c.name, colour: SVGLineChart.palette[k % SVGLineChart.palette.count])
      } : []
    return SVGGrid.render(
      title: "\(ir.name): softmax(α) per layer", panels: panels, columns: 4, panelWidth: 280, panelHeight: 190,
      legend: legend)
  }

  /// `scores.svg`: supernet accuracy against MMACs of every scored architecture, the front (when
  /// the method has one) joined, the derived architecture marked.
  static func writeScores(_ result: SearchResult, derived: String, ir: SpaceIR, into dir: RunDirectory) throws {
    guard !result.scored.isEmpty else { return }
    func xy(_ p: ScoredPoint) -> (x: Double, y: Double) { (Double(p.macs) / 1e6, p.signal) }
    var groups = [SVGScatter.Group(name: "scored", points: result.scored.filter { !$0.onFront }.map(xy))]
    let front = result.scored.filter(\.onFront)
    if !front.isEmpty { groups.append(.init(name: "Pareto front", points: front.map(xy), joined: true)) }
    let chosen = result.scored.filter { $0.arch == derived }.prefix(1)
    groups.append(.init(name: "derived", points: chosen.map(xy)))
    let plot = SVGScatter(
      title: "\(ir.name): architectures scored with inherited weights", xLabel: "MMACs",
      yLabel: "supernet val acc (%)", groups: groups)
    try AtomicFile.write(plot.render(), to: dir.file("scores.svg"))
  }

  /// `supernet.svg`: the training loss of the supernet per epoch.
  static func writeSupernetLoss(_ history: [Metrics], ir: SpaceIR, into dir: RunDirectory) throws {
    let losses = history.filter { $0["epoch"] != nil }.compactMap { $0["train_loss"]?.number }
    guard losses.count > 1 else { return }
    let chart = SVGLineChart(
      title: "\(ir.name): supernet training", xLabel: "epoch", yLabel: "train loss",
      x: losses.indices.map { Double($0 + 1) }, series: [.init(name: "train loss", values: losses)])
    try AtomicFile.write(chart.render(), to: dir.file("supernet.svg"))
  }
}
