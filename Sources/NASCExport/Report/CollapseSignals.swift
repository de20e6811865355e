import Foundation
import NASCSearch
import NASCSpace

/// The signals of a differentiable search collapsing (DARTS' skip-connect collapse, α that never
/// leave uniform), from what `metrics.jsonl` records: mean α entropy per cell type, the weight share
/// of parameter-free ops, top-op (the largest softmax(α) weight of any op; 1/ops is uniform) and
/// which op is strongest on how many edges at the last epoch.
public enum CollapseSignals {
  /// softmax(α) of every op choice at each line (`alpha`), empty where a line has none.
  public static func alpha(_ history: [Metrics]) -> [[String: [Double]]] {
    history.map { m in
      guard case .map(let a)? = m["alpha"] else { return [:] }
      return a.compactMapValues { if case .numbers(let v) = $0 { v } else { nil } }
    }
  }

  /// The groups of α rows: each cell template's op choices (`normal.…`), and every other op choice
  /// (layers) as one group `layers`; each with its choice ids in order and candidate names.
  public static func groups(_ ir: SpaceIR) -> [(name: String, ids: [String], ops: [String])] {
    var out = [(name: String, ids: [String], ops: [String])]()
    var used = Set<String>()
    var seen = Set<String>()
    for cell in ir.cells where seen.insert(cell.template).inserted {
      let points = ir.opChoices(ofTemplate: cell.template)
      guard let first = points.first else { continue }
      out.append((cell.template, points.map(\.id), first.candidates))
      used.formUnion(points.map(\.id))
    }
    let rest = ir.choicePoints.filter { $0.kind == .op && !used.contains($0.id) }
    if let first = rest.first {
      out.append(
        ("layers", rest.map(\.id), rest.allSatisfy { $0.candidates == first.candidates } ? first.candidates : []))
    }
    return out
  }

  /// The charts: one per per-template signal the metrics hold (`alpha_entropy`,
  /// `parameter_free_share`, `beta_entropy`, any other map of numbers), then top-op per group,
  /// each with a `uniform` reference line where every group has as many candidates.
  public static func charts(_ history: [Metrics], ir: SpaceIR?) -> [SVGLineChart] {
    let (x, xLabel) = MetricCurves.units(history)
    var charts = [SVGLineChart]()
    var keys = Set<String>()
    for m in history {
      for (k, v) in m {
        if case .map(let inner) = v, !inner.isEmpty, inner.values.allSatisfy({ $0.number != nil }) { keys.insert(k) }
      }
    }
    let known = ["alpha_entropy", "parameter_free_share", "beta_entropy"]
    let ordered = known.filter(keys.contains) + keys.subtracting(known).sorted()
    let groups = ir.map(groups) ?? []
    for key in ordered {
      var names = Set<String>()
      for m in history { if case .map(let inner)? = m[key] { names.formUnion(inner.keys) } }
      var series = names.sorted().map { name in
        SVGLineChart.Series(
          name: name,
          values: history.map { m in
            if case .map(let inner)? = m[key] { return inner[name]?.number ?? .nan }
            return .nan
          })
      }
      if key == "alpha_entropy", let n = groups.first?.ops.count, n > 1, groups.allSatisfy({ $0.ops.count == n }) {
        series.append(.init(name: "uniform (ln \(n))", values: x.map { _ in log(Double(n)) }, reference: true))
      }
      charts.append(SVGLineChart(title: title(key), xLabel: xLabel, yLabel: key, x: x, series: series))
    }
    let alphas = alpha(history)
    if alphas.contains(where: { !$0.isEmpty }), !groups.isEmpty {
      var series = groups.map { g in
        SVGLineChart.Series(
          name: g.name, values: alphas.map { a in g.ids.compactMap { a[$0]?.max() }.max() ?? .nan })
      }
      if let n = groups.first?.ops.count, n > 1, groups.allSatisfy({ $0.ops.count == n }) {
        series.append(.init(name: "uniform (1/\(n))", values: x.map { _ in 1 / Double(n) }, reference: true))
      }
      charts.append(
        SVGLineChart(
          title: "top-op: largest softmax(α) of any op", xLabel: xLabel, yLabel: "top-op", x: x, series: series))
    }
    return charts
  }

  /// Per group at the last line with α: how many edges (or layers) each op is strongest on, most first.
  public static func strongest(_ history: [Metrics], ir: SpaceIR) -> [(
    group: String, counts: [(op: String, edges: Int)]
  )] {
    guard let last = alpha(history).last(where: { !$0.isEmpty }) else { return [] }
    var out = [(group: String, counts: [(op: String, edges: Int)])]()
    for g in groups(ir) {
      var counts = [String: Int]()
      for id in g.ids {
        guard let row = last[id], let best = row.indices.max(by: { row[$0] < row[$1] }),
          let names = ir.choicePoint(id)?.candidates, best < names.count
        else { continue }
        counts[names[best], default: 0] += 1
      }
      guard !counts.isEmpty else { continue }
      out.append((g.name, counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { ($0.key, $0.value) }))
    }
    return out
  }

  static func title(_ key: String) -> String {
    switch key {
    case "alpha_entropy": return "mean entropy of softmax(α) per edge"
    case "parameter_free_share": return "weight share of parameter-free ops"
    case "beta_entropy": return "entropy of softmax(β)"
    default: return key.replacingOccurrences(of: "_", with: " ")
    }
  }
}
