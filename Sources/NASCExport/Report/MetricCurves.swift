import NASCSearch

/// The curves of a run's metrics: losses in one chart, accuracies in another, every other number a
/// method reports (learning rate, τ, best signal...) in a chart of its own, x = the unit (epoch).
public enum MetricCurves {
  /// One chart to draw: its title and lines.
  public struct Chart: Sendable {
    /// The title (also the y axis label).
    public var title: String
    /// The metric keys it draws, one line each.
    public var keys: [String]
    /// The chart.
    public var chart: SVGLineChart
  }

  /// Keys that are positions or flags, not curves.
  static let skipped: Set<String> = ["epoch", "generation", "cycle", "step", "unit"]

  /// The x value of each line: its `epoch` (0-based, drawn from 1) where every line has one, else
  /// its position.
  public static func units(_ history: [Metrics]) -> (x: [Double], label: String) {
    let epochs = history.compactMap { $0["epoch"]?.number }
    if epochs.count == history.count, Set(epochs).count == epochs.count { return (epochs.map { $0 + 1 }, "epoch") }
    return (history.indices.map { Double($0 + 1) }, history.contains { $0["generation"] != nil } ? "unit" : "epoch")
  }

  /// The charts of `history`: losses (`*_loss`), accuracies (`*_acc`, in %), then one per other
  /// scalar metric that at least one line reports, in key order.
  public static func charts(_ history: [Metrics]) -> [Chart] {
    let (x, xLabel) = units(history)
    var scalar = Set<String>()
    for m in history {
      for (k, v) in m where !skipped.contains(k) && v.number != nil { scalar.insert(k) }
    }
    let losses = scalar.filter { $0.hasSuffix("_loss") || $0 == "loss" }.sorted(by: trainFirst)
    let accuracies = scalar.filter { $0.hasSuffix("_acc") }.sorted(by: trainFirst)
    var charts = [Chart]()
    func add(_ title: String, _ keys: [String], scale: Double = 1) {
      guard !keys.isEmpty else { return }
      let series = keys.map { k in
        SVGLineChart.Series(name: k, values: history.map { ($0[k]?.number).map { $0 * scale } ?? .nan })
      }
      charts.append(
        Chart(
          title: title, keys: keys,
          chart: SVGLineChart(title: title, xLabel: xLabel, yLabel: title, x: x, series: series)))
    }
    add("loss", losses)
    add("accuracy (%)", accuracies, scale: accuracies.allSatisfy { k in fraction(history, k) } ? 100 : 1)
    for k in scalar.subtracting(losses).subtracting(accuracies).sorted() { add(k, [k]) }
    return charts
  }

  /// Whether every value of `key` lies in [0, 1] (an accuracy as a fraction).
  static func fraction(_ history: [Metrics], _ key: String) -> Bool {
    history.allSatisfy { m in m[key]?.number.map { (0...1).contains($0) } ?? true }
  }

  /// train_* before val_* before test_*, then by name.
  static func trainFirst(_ a: String, _ b: String) -> Bool {
    func rank(_ k: String) -> Int { k.hasPrefix("train") ? 0 : k.hasPrefix("val") ? 1 : k.hasPrefix("test") ? 2 : 3 }
    return (rank(a), a) < (rank(b), b)
  }
}
