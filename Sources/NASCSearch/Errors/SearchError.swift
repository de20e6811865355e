/// An error from running a search, training or loading data: a stable code, a message, a hint and,
/// where one is involved, the file it concerns.
///
/// Codes: `E2xx` data sets, `E3xx` run directories and checkpoints, `E4xx` numerical failures.
public struct SearchError: Error, CustomStringConvertible, Equatable, Sendable {
  /// Stable error code such as `E201`.
  public let code: String
  /// What went wrong.
  public let message: String
  /// What the user can do about it.
  public let help: String
  /// The file concerned, if any.
  public let path: String?

  /// Creates an error.
  public init(_ code: String, _ message: String, help: String, path: String? = nil) {
    self.code = code
    self.message = message
    self.help = help
    self.path = path
  }

  /// `path: error[CODE]: message` followed by a `help:` line.
  public var description: String {
    let prefix = path.map { "\($0):1:1: " } ?? ""
    return "\(prefix)error[\(code)]: \(message)\n  help: \(help)"
  }
}

extension SearchError {
  /// `E304`: a checkpoint written for another version of the space (its source hash differs).
  static func spaceChanged(saved: String, now: String, help: String, path: String) -> SearchError {
    SearchError(
      "E304",
      "the checkpoint was written for another version of the space (hash \(saved.prefix(12))…, now \(now.prefix(12))…)",
      help: help, path: path)
  }
}
