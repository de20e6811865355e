/// An error at run time (a search, a training, loading data or a table): a `Diagnostic` like the
/// compiler's (one model, one renderer), with a stable code, a message, a hint and, where one is
/// involved, the file it concerns.
///
/// Codes: `E2xx` data sets and tables, `E3xx` run directories, checkpoints and methods, `E4xx`
/// numerical failures (Grammar.md lists them all).
public struct RunError: Error, CustomStringConvertible, Equatable, Sendable {
  /// The diagnostic.
  public let diagnostic: Diagnostic

  /// Creates an error; `code` must be a run-time code of `DiagnosticCode` (`E201`...).
  public init(_ code: String, _ message: String, help: String, path: String? = nil) {
    guard let c = DiagnosticCode(rawValue: code) else { preconditionFailure("unknown diagnostic code \(code)") }
    diagnostic = Diagnostic(c, message, at: path.map { .file($0) } ?? .nowhere, help: help)
  }

  /// The stable code, such as `E201`.
  public var code: String { diagnostic.code.rawValue }
  /// What went wrong.
  public var message: String { diagnostic.message }
  /// What the user can do about it.
  public var help: String { diagnostic.help ?? "" }
  /// The file concerned, if any.
  public var path: String? { diagnostic.location.file.isEmpty ? nil : diagnostic.location.file }

  /// `path: error[CODE]: message` followed by a `help:` line, as the compiler's diagnostics read.
  public var description: String {
    var s = TextRenderer().render(diagnostic)
    if s.hasSuffix("\n") { s.removeLast() }
    return s
  }
}

extension RunError {
  /// `E304`: a checkpoint written for another version of the space (its source hash differs).
  public static func spaceChanged(saved: String, now: String, help: String, path: String) -> RunError {
    RunError(
      "E304",
      "the checkpoint was written for another version of the space (hash \(saved.prefix(12))…, now \(now.prefix(12))…)",
      help: help, path: path)
  }
}
