import Foundation
import NASCSearch
import NASCSpace

/// `nasc report`: one self-contained HTML page of a run (inline CSS and SVG, no scripts, no
/// external assets): the space and method, the settings, the derived cells with their parameters
/// and MACs, loss and accuracy curves, the collapse signals, softmax(α) per edge over the epochs
/// and, for one-shot runs, the ranking of the architectures it scored.
public enum RunReport {
  /// The default output: `RUN/report.html`.
  public static func defaultPath(for runDirectory: String) -> String {
    RunDirectory(path: runDirectory).file("report.html")
  }

  /// Reads the run at `runDirectory` and writes its page atomically to `out` (default
  /// `RUN/report.html`); returns the path written. Throws the coded errors of `RunRecord.read`
  /// and `E301` when the page cannot be written; nothing is left behind on failure.
  @discardableResult
  public static func write(runDirectory: String, to out: String? = nil) throws -> String {
    let record = try RunRecord.read(runDirectory)
    let path = out ?? defaultPath(for: runDirectory)
    try AtomicFile.write(html(record), to: path)
    return path
  }

  /// The page of a run.
  public static func html(_ r: RunRecord) -> String {
    var page = HTMLPage(
      title: r.kind == .train ? "nasc report: training run \(r.name)" : "nasc report: \(r.name) (\(r.method))")
    page.subtitle = subtitle(r)
    page.footer =
      "Written by nasc \(NASCSpace.nascVersion) from \(RunDirectory.absolute(r.directory.path)); "
      + "\(r.history.count) lines of metrics.jsonl."
    page.section("run", "Run", ReportTables.run(r))
    page.section("settings", "Settings", ReportTables.settings(r))
    if let space = r.space { page.section("space", "Space", ReportTables.space(space)) }
    if r.kind == .search { page.section("architecture", "Derived architecture", architecture(r, page: &page)) }
    page.section("curves", "Loss and accuracy", curves(r, page: &page))
    page.section("collapse", "Collapse signals", collapse(r, page: &page))
    if let space = r.space {
      var grids = ""
      for (file, svg) in RunPictures.alphaPictures(r.history, ir: space, columns: 4) {
        grids += page.figure(svg, caption: "softmax(α) per epoch (\(file)); one panel per edge.", wide: true)
      }
      page.section("alpha", "softmax(α) over the epochs", grids)
    }
    page.section("ranking", "Ranking", ranking(r, page: &page))
    return page.render()
  }

  static func subtitle(_ r: RunRecord) -> String {
    let units = r.history.count
    switch r.kind {
    case .train:
      let total = r.trainSettings.map { " of \($0.epochs)" } ?? ""
      return "Training from scratch: \(units)\(total) epochs done."
    case .search:
      let status = r.manifest?.result == nil ? "not finished (\(units) units so far)" : "finished after \(units) units"
      return "\(r.method) search of \(r.name): \(status)."
    }
  }

  static func architecture(_ r: RunRecord, page: inout HTMLPage) -> String {
    var s = ""
    if let problem = r.derivedProblem { s += HTMLPage.paragraph(problem, note: true) }
    if r.kind == .search, r.manifest?.result == nil {
      s += HTMLPage.paragraph(
        "The run has not finished: nothing derived yet (nasc derive RUN derives from its checkpoint).", note: true)
    }
    guard let d = r.derived else { return s }
    var rows = [("parameters", grouped(d.cost.params)), ("MACs per image", grouped(d.cost.macs))]
    if let a = d.auxiliaryCost {
      rows.append(("auxiliary head", "\(grouped(a.params)) parameters (not counted above)"))
    }
    if let space = r.space {
      rows.append(("supernet", "\(grouped(space.cost.params)) parameters, \(grouped(space.cost.macs)) MACs"))
    }
    if let g = r.genotype ?? r.manifest?.result?.genotype { rows.append(("genotype", g)) }
    s += HTMLPage.keyValues(rows)
    for (template, svg) in DerivedPictures.cells(d) {
      s += page.figure(svg, caption: "The derived \(template) cell: one arrow per kept op.")
    }
    if let route = DerivedPictures.route(d) { s += page.figure(route, caption: "The derived route.", wide: true) }
    let layers = DerivedPictures.layerRows(d, searched: r.space)
    if !layers.isEmpty {
      s += HTMLPage.table(["layer", "op", "choice", "output", "stride", "shortcut"], layers, numeric: [0, 4])
    }
    return s
  }

  static func curves(_ r: RunRecord, page: inout HTMLPage) -> String {
    var main = "", other = ""
    for c in MetricCurves.charts(r.history) {
      if c.title == "loss" || c.title.hasPrefix("accuracy") {
        main += page.figure(c.chart.render(width: 560, height: 320))
      } else {
        other += page.figure(c.chart.render(width: 340, height: 220, legend: false))
      }
    }
    return main + (other.isEmpty ? "" : "<h3>Other metrics</h3>\n" + other)
  }

  static func collapse(_ r: RunRecord, page: inout HTMLPage) -> String {
    var s = ""
    for chart in CollapseSignals.charts(r.history, ir: r.space) {
      s += page.figure(chart.render(width: 460, height: 280))
    }
    guard let space = r.space else { return s }
    let strongest = CollapseSignals.strongest(r.history, ir: space)
    if !strongest.isEmpty {
      s += "<h3>Strongest op per edge at the last epoch</h3>\n"
      s += HTMLPage.table(
        ["group", "op (edges where it has the largest softmax(α))"],
        strongest.map { g in [g.group, g.counts.map { "\($0.op) ×\($0.edges)" }.joined(separator: ", ")] })
    }
    return s
  }

  static func ranking(_ r: RunRecord, page: inout HTMLPage) -> String {
    var s = ""
    if let scatter = RankingPictures.rankScatter(r) {
      s += page.figure(scatter, caption: "Each point: one architecture nasc rank scored both ways.")
      if let c = r.rankSummary {
        func f(_ x: Double) -> String { x.isNaN ? "undefined" : String(format: "%.3f", x) }
        s += HTMLPage.keyValues([
          ("Kendall τ", f(c.kendallTau)), ("Spearman ρ", f(c.spearmanRho)),
          ("top-\(c.k) overlap", String(format: "%.2f", c.topKOverlap)), ("architectures", String(c.count)),
        ])
      }
    }
    if let front = RankingPictures.frontScatter(r) { s += page.figure(front, caption: "pareto.jsonl") }
    if let scores = r.scoresPicture {
      s +=
        "<figure>\(RankingPictures.scoresImage(scores))<figcaption>scores.svg: every architecture the search scored</figcaption></figure>\n"
    }
    if s.isEmpty, ["spos", "fairnas", "oneshot", "random-ws"].contains(r.method) {
      s += HTMLPage.paragraph(
        "No ranking yet: nasc rank \(r.directory.path) scores architectures with the supernet and stand-alone.")
    }
    return s
  }

  /// `1,234,567`.
  static func grouped(_ n: Int) -> String {
    let digits = String(n.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
      out.append(ch)
    }
    return (n < 0 ? "-" : "") + out
  }
}
