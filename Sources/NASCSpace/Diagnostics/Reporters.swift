import Foundation

/// The machine-readable output formats of `nasc validate`.
public enum ReportFormat: String, Sendable, CaseIterable {
  /// Human text with caret snippets (the default).
  case text
  /// One JSON object: `{"files": [...], "diagnostics": [...]}`.
  case json
  /// GitHub Actions workflow commands (`::error file=...,line=...,col=...,title=E012::message`).
  case github
  /// SARIF 2.1.0.
  case sarif
  /// JUnit XML: one test case per file.
  case junit
}

/// Renders diagnostics of several files in one of the `ReportFormat`s.
public enum Reporter {
  /// Renders `diagnostics` for the validated `files` (every file appears, clean or not; the text
  /// format ends in a summary line that counts them, clean or not).
  public static func render(
    _ format: ReportFormat, files: [String], diagnostics: [Diagnostic], sources: [String: String] = [:],
    colour: Bool = false
  ) -> String {
    switch format {
    case .text: return TextRenderer(colour: colour, sources: sources).render(diagnostics, files: files.count)
    case .json: return json(files: files, diagnostics).serialized() + "\n"
    case .github: return github(diagnostics)
    case .sarif: return sarif(diagnostics).serialized() + "\n"
    case .junit: return junit(files: files, diagnostics)
    }
  }

  /// One diagnostic as a JSON object.
  public static func json(_ d: Diagnostic) -> JSONValue {
    var o: [(String, JSONValue)] = [
      ("file", .string(d.location.file)), ("line", .int(d.location.line)),
      ("col", .int(d.location.column)), ("severity", .string(d.severity.rawValue)),
      ("code", .string(d.code.rawValue)), ("message", .string(d.message)),
    ]
    o.append(("help", d.help.map(JSONValue.string) ?? .null))
    return .object(o)
  }

  static func json(files: [String], _ ds: [Diagnostic]) -> JSONValue {
    .object([
      ("files", .array(files.map(JSONValue.string))),
      ("errors", .int(ds.filter { $0.severity == .error }.count)),
      ("warnings", .int(ds.filter { $0.severity == .warning }.count)),
      ("diagnostics", .array(ds.map(json))),
    ])
  }

  static func escapeData(_ s: String) -> String {
    s.replacingAll("%", "%25").replacingAll("\r", "%0D").replacingAll("\n", "%0A")
  }

  static func escapeProperty(_ s: String) -> String {
    escapeData(s).replacingAll(":", "%3A").replacingAll(",", "%2C")
  }

  static func github(_ ds: [Diagnostic]) -> String {
    ds.map { d in
      let kind = d.severity == .error ? "error" : (d.severity == .warning ? "warning" : "notice")
      var msg = d.message
      if let h = d.help { msg += "\nhelp: " + h }
      return "::\(kind) file=\(escapeProperty(d.location.file)),line=\(d.location.line),"
        + "col=\(d.location.column),title=\(escapeProperty(d.code.rawValue))::\(escapeData(msg))\n"
    }.joined()
  }

  static func sarif(_ ds: [Diagnostic]) -> JSONValue {
    let codes = Array(Set(ds.map(\.code))).sorted { $0.rawValue < $1.rawValue }
    let rules: [JSONValue] = codes.map { c in
      .object([
        ("id", .string(c.rawValue)), ("name", .string(c.title.replacingAll(" ", "_"))),
        ("shortDescription", .object([("text", .string(c.title))])),
      ])
    }
    let results: [JSONValue] = ds.map { d in
      var text = d.message
      if let h = d.help { text += " (help: \(h))" }
      let level = d.severity == .error ? "error" : (d.severity == .warning ? "warning" : "note")
      return .object([
        ("ruleId", .string(d.code.rawValue)), ("level", .string(level)),
        ("message", .object([("text", .string(text))])),
        (
          "locations",
          .array([
            .object([
              (
                "physicalLocation",
                .object([
                  ("artifactLocation", .object([("uri", .string(d.location.file))])),
                  (
                    "region",
                    .object([
                      ("startLine", .int(d.location.line)), ("startColumn", .int(d.location.column)),
                      ("endColumn", .int(d.location.column + d.length)),
                    ])
                  ),
                ])
              )
            ])
          ])
        ),
      ])
    }
    return .object([
      ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
      ("version", .string("2.1.0")),
      (
        "runs",
        .array([
          .object([
            (
              "tool",
              .object([
                (
                  "driver",
                  .object([
                    ("name", .string("nasc")), ("version", .string(nascVersion)),
                    ("informationUri", .string("https://github.com/nasc/nasc")),
                    ("rules", .array(rules)),
                  ])
                )
              ])
            ),
            ("columnKind", .string("unicodeCodePoints")),
            ("results", .array(results)),
          ])
        ])
      ),
    ])
  }

  static func xml(_ s: String) -> String {
    s.replacingAll("&", "&amp;").replacingAll("<", "&lt;").replacingAll(">", "&gt;")
      .replacingAll("\"", "&quot;")
  }

  static func junit(files: [String], _ ds: [Diagnostic]) -> String {
    let failures = files.filter { f in ds.contains { $0.location.file == f && $0.severity == .error } }.count
    var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    out += "<testsuites name=\"nasc validate\" tests=\"\(files.count)\" failures=\"\(failures)\">\n"
    out += "  <testsuite name=\"nasc validate\" tests=\"\(files.count)\" failures=\"\(failures)\">\n"
    for f in files {
      let mine = ds.filter { $0.location.file == f && $0.severity != .note }
      let errs = mine.filter { $0.severity == .error }
      out += "    <testcase classname=\"nasc.validate\" name=\"\(xml(f))\""
      if mine.isEmpty {
        out += "/>\n"
        continue
      }
      out += ">\n"
      if !errs.isEmpty {
        let body = mine.map { "\($0.location): \($0.severity.rawValue)[\($0.code.rawValue)]: \($0.message)" }
          .joined(separator: "\n")
        out +=
          "      <failure message=\"\(errs.count) error\(errs.count == 1 ? "" : "s")\" type=\"\(errs[0].code.rawValue)\">"
        out += xml(body) + "</failure>\n"
      } else {
        let body = mine.map { "\($0.location): warning[\($0.code.rawValue)]: \($0.message)" }
          .joined(separator: "\n")
        out += "      <system-out>\(xml(body))</system-out>\n"
      }
      out += "    </testcase>\n"
    }
    out += "  </testsuite>\n</testsuites>\n"
    return out
  }
}

extension String {
  /// Replaces every occurrence of `a` by `b` (Foundation-free).
  func replacingAll(_ a: String, _ b: String) -> String {
    guard !a.isEmpty, contains(a) else { return self }
    var out = ""
    var rest = Substring(self)
    while let r = rest.range(of: a) {
      out += rest[rest.startIndex..<r.lowerBound]
      out += b
      rest = rest[r.upperBound...]
    }
    return out + rest
  }
}
