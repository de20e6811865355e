/// What an evaluator says of one architecture: the figure a search may see and, separately, the
/// figure a result reports (on NAS-Bench-201, the 12-epoch validation accuracy and the 200-epoch
/// test accuracy), so the two are never the same column by accident.
public struct Score: Codable, Equatable, Sendable {
  /// What the search optimises (higher is better).
  public var signal: Double
  /// What the result reports (nil when the evaluator has no separate figure).
  public var reported: Double?

  /// Creates a score.
  public init(signal: Double, reported: Double?) {
    self.signal = signal
    self.reported = reported
  }
}

/// Scores whole architectures: by table lookup, by stand-alone training, or with inherited supernet
/// weights. A method asks an evaluator; it never knows which one it got.
public protocol Evaluator: AnyObject {
  /// What the evaluator does, in words (`NAS-Bench-201 table lookup: ...`).
  var description: String { get }
  /// The name of the signal (`c10valid_val_12ep`) and of the reported figure.
  var columns: (signal: String, reported: String) { get }
  /// The space whose architectures it scores.
  var space: ArchSpace { get }
  /// Scores `architecture`; the same architecture always gets the same score (an evaluator that
  /// trains derives its seed from the run's seed and the architecture).
  func score(_ architecture: Architecture) throws -> Score
  /// Queries answered so far (cache hits included).
  var queries: Int { get }
}
