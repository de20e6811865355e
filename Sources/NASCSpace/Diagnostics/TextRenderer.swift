/// Renders diagnostics the way rustc does:
/// `file:line:col: error[E012]: message`, a caret snippet under the source line, and `help:`.
public struct TextRenderer: Sendable {
  /// Whether to use ANSI colours (only on a TTY and never with `NO_COLOR`; the caller decides).
  public var colour: Bool
  /// The text of each file, by path, for the snippets. Files not present get no snippet.
  public var sources: [String: String]

  /// Creates a renderer.
  public init(colour: Bool = false, sources: [String: String] = [:]) {
    self.colour = colour
    self.sources = sources
  }

  private func paint(_ s: String, _ code: String) -> String {
    colour ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s
  }

  /// Renders one diagnostic (ends with a newline).
  public func render(_ d: Diagnostic) -> String {
    let sev: String
    switch d.severity {
    case .error: sev = paint("error[\(d.code.rawValue)]", "1;31")
    case .warning: sev = paint("warning[\(d.code.rawValue)]", "1;33")
    case .note: sev = paint("note[\(d.code.rawValue)]", "1;36")
    }
    let place = d.location.description
    var out = (place.isEmpty ? "" : place + ": ") + "\(sev): \(d.message)\n"
    if d.location.hasLine, let text = sources[d.location.file], let line = Self.line(d.location.line, of: text) {
      let num = String(d.location.line)
      let pad = String(repeating: " ", count: num.count)
      let visible = line.unicodeScalars.count
      let col = min(d.location.column, visible + 1)
      let len = max(1, min(d.length, max(1, visible - col + 1)))
      var prefix = ""
      for (i, u) in line.unicodeScalars.enumerated() where i < col - 1 { prefix += u == "\t" ? "\t" : " " }
      out += "\(pad) \(paint("|", "1;34"))\n"
      out += "\(paint(num, "1;34")) \(paint("|", "1;34")) \(line)\n"
      out += "\(pad) \(paint("|", "1;34")) \(prefix)\(paint(String(repeating: "^", count: len), "1;31"))\n"
    }
    if let help = d.help {
      out += "  = \(paint("help", "1")): \(help)\n"
    }
    return out
  }

  /// Renders all diagnostics followed by a summary line (`2 errors, 1 warning`).
  public func render(_ ds: [Diagnostic]) -> String {
    let e = ds.filter { $0.severity == .error }.count
    let w = ds.filter { $0.severity == .warning }.count
    let body = ds.map(render).joined(separator: "\n")
    return e + w > 0 ? Self.joined(body, Self.counts(e, w)) : body
  }

  /// Renders the diagnostics of `files` checked files followed by a summary line that is there even
  /// when they are clean (`validated 3 files: 0 errors, 2 warnings`): `nasc validate`'s text output.
  public func render(_ ds: [Diagnostic], files: Int) -> String {
    let e = ds.filter { $0.severity == .error }.count
    let w = ds.filter { $0.severity == .warning }.count
    return Self.joined(
      ds.map(render).joined(separator: "\n"), "validated \(files) file\(files == 1 ? "" : "s"): \(Self.counts(e, w))")
  }

  static func counts(_ e: Int, _ w: Int) -> String {
    "\(e) error\(e == 1 ? "" : "s"), \(w) warning\(w == 1 ? "" : "s")"
  }

  /// The rendered diagnostics, a blank line, and the summary line.
  static func joined(_ body: String, _ summary: String) -> String {
    (body.isEmpty ? "" : body + "\n") + summary + "\n"
  }

  /// Line `n` (1-based) of `text` without its terminator, or nil. Long lines are cut at 200 columns.
  static func line(_ n: Int, of text: String) -> String? {
    var current = 1
    var start = text.unicodeScalars.startIndex
    let scalars = text.unicodeScalars
    var i = scalars.startIndex
    while i < scalars.endIndex {
      if current == n { break }
      if scalars[i] == "\n" {
        current += 1
        start = scalars.index(after: i)
      }
      i = scalars.index(after: i)
    }
    guard current == n else { return nil }
    var end = start
    var count = 0
    while end < scalars.endIndex, scalars[end] != "\n", scalars[end] != "\r", count < 200 {
      end = scalars.index(after: end)
      count += 1
    }
    let s = String(scalars[start..<end])
    return s.unicodeScalars.allSatisfy({ $0.value >= 0x20 || $0 == "\t" }) ? s : nil
  }
}
