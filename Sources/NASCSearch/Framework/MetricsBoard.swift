import Foundation
import NASCBoard
import NASCSpace

/// TensorBoard's view of a run's `metrics.jsonl`, kept in `RUN/tb/` beside it: every number of a
/// line (nested maps joined with `/`, flags as 0 or 1) a scalar, every list of numbers (softmax(α)
/// of one choice point) a histogram, at the line's step (its index: the unit, epoch or stage the
/// line reports).
public enum MetricsBoard {
  /// The event file's name in `RUN/tb/` (fixed, so rewriting it after every unit replaces it).
  public static let fileName = "events.out.tfevents.0.nasc"

  /// The event file of `lines`. Wall times count back from `end` by each line's `seconds`.
  public static func events(_ lines: [Metrics], end: Date = Date()) -> EventFile {
    let seconds = lines.map { $0["seconds"]?.number ?? 0 }
    var wall = end.timeIntervalSince1970 - seconds.reduce(0, +)
    var file = EventFile(wallTime: wall)
    for (step, line) in lines.enumerated() {
      wall += seconds[step]
      for (tag, value) in leaves(line) {
        switch value {
        case .number(let x): file.scalar(tag, x, step: step, wallTime: wall)
        case .numbers(let xs): file.histogram(tag, xs, step: step, wallTime: wall)
        default: break
        }
      }
    }
    return file
  }

  /// The numeric leaves of a line by tag, sorted: numbers and flags as `.number`, lists as
  /// `.numbers`; `epoch` (the step itself) and words are left out.
  static func leaves(_ line: Metrics, prefix: String = "") -> [(String, MetricValue)] {
    var out = [(String, MetricValue)]()
    for key in line.keys.sorted() where !(prefix.isEmpty && key == "epoch") {
      let tag = prefix + key
      switch line[key]! {
      case .number(let x): out.append((tag, .number(x)))
      case .int(let i): out.append((tag, .number(Double(i))))
      case .bool(let b): out.append((tag, .number(b ? 1 : 0)))
      case .numbers(let xs) where !xs.isEmpty: out.append((tag, .numbers(xs)))
      case .map(let m): out += leaves(m, prefix: tag + "/")
      default: break
      }
    }
    return out
  }

  /// Rewrites `DIR/tb/<fileName>` from `lines`, `DIR` being the folder of `metricsPath`.
  static func write(_ lines: [Metrics], besides metricsPath: String) throws {
    let dir = (metricsPath as NSString).deletingLastPathComponent
    let tb = (dir.isEmpty ? "." : dir) + "/tb"
    do { try FileManager.default.createDirectory(atPath: tb, withIntermediateDirectories: true) } catch {
      throw RunError(
        "E301", "cannot create \(tb): \(error.localizedDescription)", help: "check that the run directory is writable",
        path: tb)
    }
    try AtomicFile.write(events(lines).data, to: tb + "/" + fileName)
  }
}
