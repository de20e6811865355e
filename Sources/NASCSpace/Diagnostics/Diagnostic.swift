/// How serious a finding is.
public enum Severity: String, Sendable, Codable, Comparable {
  /// The file is not a valid space; compilation stops before the IR is used.
  case error
  /// The space is legal but suspicious; an error only under `--strict`.
  case warning
  /// Extra information attached to the run (e.g. "N more diagnostics not shown").
  case note

  private var rank: Int {
    switch self {
    case .error: return 2
    case .warning: return 1
    case .note: return 0
    }
  }

  /// Orders by seriousness: note < warning < error.
  public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// A position in a source file: 1-based line and column (columns count Unicode scalars).
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
  /// The path of the file as the user named it (or as resolved through `extends:`).
  public var file: String
  /// 1-based line.
  public var line: Int
  /// 1-based column, in Unicode scalars.
  public var column: Int

  /// Creates a location.
  public init(file: String, line: Int, column: Int) {
    self.file = file
    self.line = max(1, line)
    self.column = max(1, column)
  }

  private init(whole file: String) {
    self.file = file
    line = 0
    column = 0
  }

  /// A file as a whole (run-time problems with a data file or a checkpoint): shown as `file`.
  public static func file(_ path: String) -> SourceLocation { SourceLocation(whole: path) }

  /// No place at all (a bad flag value, a numerical failure): shown as nothing.
  public static let nowhere = SourceLocation(whole: "")

  /// Whether it names a line (rather than a whole file or nothing).
  public var hasLine: Bool { line > 0 }

  /// `file:line:col`, `file` for a whole file, empty for nowhere.
  public var description: String { hasLine ? "\(file):\(line):\(column)" : file }
}

/// One finding of the front end: a stable code, a message, where, and how to fix it.
public struct Diagnostic: Sendable, Hashable, Codable {
  /// The stable code (`E012`, `W003`). Never reused for another meaning.
  public var code: DiagnosticCode
  /// Error, warning or note.
  public var severity: Severity
  /// One sentence, lower-case start, no trailing period.
  public var message: String
  /// The primary span (start position).
  public var location: SourceLocation
  /// The length of the primary span in columns (for the caret underline), at least 1.
  public var length: Int
  /// A hint on how to fix it (`did you mean 'sep_conv_3x3'?`), or nil.
  public var help: String?

  /// Creates a diagnostic; the severity defaults to the code's severity.
  public init(
    _ code: DiagnosticCode, _ message: String, at location: SourceLocation, length: Int = 1,
    help: String? = nil, severity: Severity? = nil
  ) {
    self.code = code
    self.severity = severity ?? code.severity
    self.message = message
    self.location = location
    self.length = max(1, length)
    self.help = help
  }
}

/// Collects diagnostics, capping each file at `perFileLimit` and counting what it drops.
public struct DiagnosticBag: Sendable {
  /// The most diagnostics kept per file; the rest are counted in a final note.
  public static let perFileLimit = 100
  /// The kept diagnostics in the order they were reported.
  public private(set) var items: [Diagnostic] = []
  private var perFile: [String: Int] = [:]
  private var dropped: [String: Int] = [:]
  private var seen: Set<String> = []

  /// Creates an empty bag.
  public init() {}

  /// Adds a diagnostic unless its file already holds `perFileLimit` (then it is counted).
  /// Exact duplicates (same code, place and message) are kept once. A place gets one wrong-type
  /// error (E011): a later one replaces an earlier one there (see `refined(_:over:)`).
  public mutating func add(_ d: Diagnostic) {
    let key = "\(d.code.rawValue)|\(d.location)|\(d.message)"
    if seen.contains(key) { return }
    seen.insert(key)
    if d.code == .wrongType, d.location.hasLine,
      let i = items.firstIndex(where: { $0.code == .wrongType && $0.location == d.location })
    {
      items[i] = Self.refined(d, over: items[i])
      seen.insert("\(d.code.rawValue)|\(d.location)|\(items[i].message)")
      return
    }
    let n = perFile[d.location.file, default: 0]
    if n >= Self.perFileLimit {
      dropped[d.location.file, default: 0] += 1
      return
    }
    perFile[d.location.file] = n + 1
    items.append(d)
  }

  /// One wrong-type error out of two at one place. The schema check reports first, in the terms of
  /// the schema (`expected a list for 'stem', found a mapping`); the expander, which knows what the
  /// value means, second (`expected a list of steps, found a mapping`). The specific wording wins,
  /// with the key the general one named (`expected a list of steps for 'stem', found a mapping`),
  /// and either one's hint.
  static func refined(_ specific: Diagnostic, over general: Diagnostic) -> Diagnostic {
    var d = specific
    let g = general.message
    if !d.message.contains(" for '"), let found = d.message.range(of: ", found "),
      let r = g.range(of: " for '"), let end = g[r.upperBound...].firstIndex(of: "'")
    {
      d.message.insert(contentsOf: g[r.lowerBound...end], at: found.lowerBound)
    }
    if d.help == nil { d.help = general.help }
    return d
  }

  /// Adds all diagnostics of another bag.
  public mutating func add(contentsOf other: [Diagnostic]) {
    for d in other { add(d) }
  }

  /// True when at least one error was reported (dropped ones included).
  public var hasErrors: Bool {
    items.contains { $0.severity == .error } || !dropped.isEmpty
  }

  /// The kept diagnostics followed by one note per file whose diagnostics were capped.
  public var all: [Diagnostic] {
    var out = items.enumerated().sorted { a, b in
      let (x, y) = (a.element.location, b.element.location)
      if x.file != y.file { return a.offset < b.offset }
      if x.line != y.line { return x.line < y.line }
      if x.column != y.column { return x.column < y.column }
      return a.offset < b.offset
    }.map(\.element)
    for (file, n) in dropped.sorted(by: { $0.key < $1.key }) {
      out.append(
        Diagnostic(
          .tooManyDiagnostics, "\(n) more diagnostics in this file not shown",
          at: SourceLocation(file: file, line: 1, column: 1)))
    }
    return out
  }
}
