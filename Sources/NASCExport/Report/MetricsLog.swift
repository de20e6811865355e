import Foundation
import NASCSearch
import NASCSpace

/// Reads `metrics.jsonl` (one JSON object per unit) back into the lines a run wrote.
public enum MetricsLog {
  /// Every line of the file at `path`; `E302` when it is missing or unreadable, `E303` naming the
  /// first line that is not a JSON object of metric values.
  public static func read(from path: String) throws -> [Metrics] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw RunError(
        "E302",
        FileManager.default.fileExists(atPath: path) ? "metrics.jsonl cannot be read" : "no metrics.jsonl in the run",
        help: FileManager.default.fileExists(atPath: path)
          ? "check its permissions" : "the run has not finished its first epoch yet; report it after that",
        path: path)
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw RunError(
        "E303", "metrics.jsonl is not UTF-8 text", help: "the file is damaged; re-run the search", path: path)
    }
    var lines = [Metrics]()
    let decoder = JSONDecoder()
    for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      if line.allSatisfy(\.isWhitespace) { continue }
      guard let m = try? decoder.decode(Metrics.self, from: Data(line.utf8)) else {
        throw RunError(
          "E303", "metrics.jsonl line \(i + 1) is not a JSON object of metrics",
          help: "the file was edited or truncated; re-run the search (or `--resume` it, which rewrites the file)",
          path: path)
      }
      lines.append(m)
    }
    guard !lines.isEmpty else {
      throw RunError(
        "E303", "metrics.jsonl is empty", help: "the file was truncated; `--resume` the run to rewrite it", path: path)
    }
    return lines
  }
}
