import Foundation

/// A loaded source file: its path (as named), its text when it decoded as UTF-8, and its root node.
public struct SourceFile: Sendable {
  /// The path as the user (or `extends:`) named it; diagnostics use it.
  public let path: String
  /// The decoded text (empty when the file was not text).
  public let text: String
  /// The root of the syntax tree, or nil when the file did not parse.
  public let root: SyntaxNode?
}

/// Reads files and turns their bytes into syntax trees, never trapping on hostile input.
public enum SourceLoader {
  /// The most nesting levels accepted (a space needs about 10).
  public static let maxDepth = 64
  /// The most syntax nodes one file may expand to (aliases included).
  public static let maxNodes = 2_000_000

  /// Reads `path` and parses it; diagnostics go to `diags`.
  public static func load(path: String, diags: inout DiagnosticBag) -> SourceFile {
    guard let data = FileManager.default.contents(atPath: path) else {
      var isDir: ObjCBool = false
      let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
      let why = !exists ? "no such file" : (isDir.boolValue ? "it is a directory" : "it cannot be read")
      // A directory names no line of anything: no location but the path.
      let spaces =
        isDir.boolValue
        ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
        : []
      diags.add(
        Diagnostic(
          .unreadable, "cannot read '\(path)': \(why)",
          at: isDir.boolValue ? .file(path) : SourceLocation(file: path, line: 1, column: 1),
          help: isDir.boolValue
            ? (spaces.isEmpty
              ? "pass a space file (.yaml), not a directory"
              : "pass a space file, e.g. \((path as NSString).appendingPathComponent(spaces[0]))") : nil))
      return SourceFile(path: path, text: "", root: nil)
    }
    return parse(bytes: [UInt8](data), path: path, diags: &diags)
  }

  /// Parses in-memory bytes as if read from `path`.
  public static func parse(bytes: [UInt8], path: String, diags: inout DiagnosticBag) -> SourceFile {
    let start = SourceLocation(file: path, line: 1, column: 1)
    var body = bytes[...]
    if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
    guard let text = String(validating: body, as: UTF8.self) else {
      let (l, c, off) = firstInvalidUTF8(Array(body))
      diags.add(
        Diagnostic(
          .notText, "file is not valid UTF-8 text (bad byte at offset \(off))",
          at: SourceLocation(file: path, line: l, column: c), help: "space files must be UTF-8 encoded YAML"))
      return SourceFile(path: path, text: "", root: nil)
    }
    if let (l, c) = firstControl(text) {
      diags.add(
        Diagnostic(
          .notText, "file contains binary data (control characters)",
          at: SourceLocation(file: path, line: l, column: c), help: "space files must be YAML text"))
      return SourceFile(path: path, text: text, root: nil)
    }
    if isBlank(text) {
      diags.add(
        Diagnostic(
          .emptyFile, "file is empty", at: start,
          help: "a space starts with 'nasc: 1' and a 'network:' (see Grammar.md)"))
      return SourceFile(path: path, text: text, root: nil)
    }
    if let (l, c, depth) = NestingScan.firstTooDeep(text, limit: maxDepth) {
      diags.add(
        Diagnostic(
          .nestingTooDeep, "nesting deeper than \(maxDepth) levels (at least \(depth))",
          at: SourceLocation(file: path, line: l, column: c), help: "flatten the structure; spaces need about 10 levels"
        ))
      return SourceFile(path: path, text: text, root: nil)
    }
    let root = YAMLReader.read(text: text, path: path, maxNodes: maxNodes, diags: &diags)
    if root == nil, !diags.hasErrors {
      diags.add(Diagnostic(.emptyFile, "file has no YAML content", at: start))
    }
    return SourceFile(path: path, text: text, root: root)
  }

  static func isBlank(_ text: String) -> Bool {
    for line in text.split(whereSeparator: { $0.isNewline }) {
      let t = line.drop(while: { $0 == " " || $0 == "\t" })
      if t.isEmpty || t.first == "#" { continue }
      if t == "---" || t == "..." { continue }
      return false
    }
    return true
  }

  static func firstControl(_ text: String) -> (Int, Int)? {
    var line = 1
    var col = 1
    for u in text.unicodeScalars {
      if u == "\n" { line += 1; col = 1; continue }
      if (u.value < 0x20 && u != "\t" && u != "\r") || u.value == 0x7F || u.value == 0xFFFE || u.value == 0xFFFF {
        return (line, col)
      }
      col += 1
    }
    return nil
  }

  static func firstInvalidUTF8(_ bytes: [UInt8]) -> (Int, Int, Int) {
    var line = 1
    var col = 1
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      var n = 0
      if b < 0x80 {
        n = 1
      } else if b & 0xE0 == 0xC0 {
        n = 2
      } else if b & 0xF0 == 0xE0 {
        n = 3
      } else if b & 0xF8 == 0xF0 {
        n = 4
      }
      if n == 0 || i + n > bytes.count || String(validating: bytes[i..<(i + n)], as: UTF8.self) == nil {
        return (line, col, i)
      }
      if b == 0x0A { line += 1; col = 1 } else { col += 1 }
      i += n
    }
    return (line, col, i)
  }
}
