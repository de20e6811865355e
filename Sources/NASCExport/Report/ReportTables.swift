import Foundation
import NASCSearch
import NASCSpace

/// The tables of a run report: what the run was, its settings, the space it searched.
enum ReportTables {
  /// Space, method, data, seed, version and result.
  static func run(_ r: RunRecord) -> String {
    var rows = [(String, String)]()
    rows.append(("directory", RunDirectory.absolute(r.directory.path)))
    if let m = r.manifest {
      rows.append(("space", m.spaceName))
      rows.append(("space file", m.space))
      if let copy = m.spaceCopy { rows.append(("run's copy", copy)) }
      rows.append(("space hash", m.spaceHash))
      var method = m.method
      if let relaxation = r.space?.method?.relaxation { method += " (\(relaxation))" }
      rows.append(("method", method))
      rows.append(("data", m.run.benchmark.map { "benchmark \($0)" } ?? m.run.data))
      if let n = m.trainImages { rows.append(("training images", String(n))) }
      rows.append(("seed", String(m.run.seed)))
      rows.append(("threads", String(m.run.threads)))
      if let l = m.run.trainLimit { rows.append(("--limit", String(l))) }
      if let d = m.run.downsample { rows.append(("--downsample", String(d))) }
      if let t = m.run.targets, !t.isEmpty { rows.append(("--target", t.joined(separator: ", "))) }
      rows.append(("nasc version", m.nascVersion))
      if let res = m.result {
        rows.append(("units run", String(res.units)))
        if let v = res.valAccuracy { rows.append(("supernet val acc", String(format: "%.2f%%", 100 * v))) }
        if let v = res.signal { rows.append(("signal", String(format: "%.4g", v))) }
        if let v = res.reported { rows.append(("reported", String(format: "%.4g", v))) }
        rows.append(("arch document", res.arch))
      } else {
        rows.append(("status", "not finished: \(r.history.count) units recorded"))
      }
    } else if r.kind == .train {
      rows.append(("kind", "training from scratch (nasc train)"))
      rows.append(("network", "recorded in the checkpoint only as a fingerprint"))
      if let last = r.history.last, let acc = last["test_acc"]?.number {
        rows.append(("test accuracy", String(format: "%.2f%% after %d epochs", 100 * acc, r.history.count)))
      }
    }
    return HTMLPage.keyValues(rows)
  }

  /// The method's hyperparameters as resolved and the run's notes; a training run's settings.
  static func settings(_ r: RunRecord) -> String {
    if let t = r.trainSettings {
      let rows: [(String, String)] = [
        ("epochs", String(t.epochs)), ("batch size", String(t.batchSize)), ("learning rate", String(t.lr)),
        ("momentum", String(t.momentum)), ("weight decay", String(t.weightDecay)), ("grad clip", String(t.gradClip)),
        ("drop path", t.dropPath.map { String($0) } ?? "the space's"), ("cutout", String(t.cutout)),
        ("label smoothing", String(t.labelSmoothing)), ("seed", String(t.seed)), ("threads", String(t.threads)),
        ("data", t.data), ("limit", t.trainLimit.map(String.init) ?? "none"),
        ("downsample", t.downsample.map(String.init) ?? "none"),
      ]
      return HTMLPage.keyValues(rows)
    }
    guard let m = r.manifest else { return "" }
    let rows = m.hyperparameters.map { kv -> [String] in
      let parts = kv.split(separator: "=", maxSplits: 1).map(String.init)
      return [parts.first ?? kv, parts.count > 1 ? parts[1] : ""]
    }
    var s = HTMLPage.table(["hyperparameter", "value"], rows)
    for note in m.notes { s += HTMLPage.paragraph("note: " + note, note: true) }
    return s
  }

  /// The searched space: size, choice points, supernet cost, derivation rule.
  static func space(_ ir: SpaceIR) -> String {
    var kinds = [String: Int]()
    for c in ir.choicePoints { kinds[c.kind.rawValue, default: 0] += 1 }
    let count = ir.architectures.description
    let big = count.count > 15 ? String(format: " (10^%.2f)", ir.architectures.log10) : ""
    var rows: [(String, String)] = [
      ("name", ir.name),
      ("body", "\(ir.cells.count) cells, \(ir.layers.count) layers, \(ir.network.items.count) items"),
      ("input", ir.network.tokens.map { "\($0) tokens" } ?? "\(ir.network.input), \(ir.network.classes) classes"),
      ("architectures", count + big),
      (
        "choice points",
        "\(ir.choicePoints.count) ("
          + kinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(
            separator: ", ") + ")"
      ),
      ("supernet parameters", RunReport.grouped(ir.cost.params)),
      ("supernet MACs", RunReport.grouped(ir.cost.macs)),
      ("derivation", "\(ir.derive.kind.rawValue), k = \(ir.derive.k)"),
    ]
    if !ir.derive.exclude.isEmpty {
      rows.append(("ops never derived", ir.derive.exclude.map { "“\($0)”" }.joined(separator: ", ")))
    }
    return HTMLPage.keyValues(rows)
  }
}
