import NASCSpace
import Foundation

/// An architecture with the evaluator's score: what populations and histories hold.
public struct ScoredArchitecture: Codable, Equatable, Sendable {
  /// The architecture.
  public var architecture: Architecture
  /// Its score.
  public var score: Score

  /// Creates a member.
  public init(architecture: Architecture, score: Score) {
    self.architecture = architecture
    self.score = score
  }

  /// The best of `history` by signal (the first on ties), as a search result.
  static func best(_ history: [ScoredArchitecture]) throws -> SearchResult {
    guard let first = history.first else {
      throw RunError("E310", "no architecture was evaluated", help: "set budget=1 or more")
    }
    let b = history.dropFirst().reduce(first) { $1.score.signal > $0.score.signal ? $1 : $0 }
    return SearchResult(architecture: b.architecture, signal: b.score.signal, reported: b.score.reported)
  }

  /// The metrics line of the last evaluation: its architecture and score, and the best so far.
  static func report(_ history: [ScoredArchitecture], space: ArchSpace) -> (metrics: Metrics, summary: String) {
    guard let last = history.last, let best = try? best(history) else { return ([:], "") }
    var m: Metrics = [
      "query": .int(history.count), "arch": .text(space.text(last.architecture)), "signal": .number(last.score.signal),
      "best_signal": .number(best.signal ?? .nan),
    ]
    if let r = last.score.reported { m["reported"] = .number(r) }
    if let r = best.reported { m["best_reported"] = .number(r) }
    let summary =
      "signal \(fmt(last.score.signal))  best \(fmt(best.signal ?? .nan))"
      + (best.reported.map { " (reported \(fmt($0)))" } ?? "")
    return (m, summary)
  }

  static func fmt(_ x: Double) -> String { String(format: "%.2f", x) }
}
