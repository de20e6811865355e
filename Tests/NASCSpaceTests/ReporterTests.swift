import BigInt
import Foundation
import Testing

@testable import NASCSpace

@Suite("Validate formats, schema and rendering")
struct ReporterTests {
  static let files = [
    "examples/broken/unknown-key.yaml", "examples/broken/k-too-large.yaml", "spaces/nas-bench-201.yaml",
  ]

  /// Validates the golden inputs with repository-relative paths.
  func run() -> (diagnostics: [Diagnostic], sources: [String: String]) {
    var all: [Diagnostic] = []
    var sources: [String: String] = [:]
    for f in Self.files {
      let r = Compiler.validate(path: repo(f))
      all += r.diagnostics.map { d in
        var d = d
        d.location.file = d.location.file.replacingAll(repoRoot + "/", "")
        return d
      }
      for (k, v) in r.sources { sources[k.replacingAll(repoRoot + "/", "")] = v }
    }
    return (all, sources)
  }

  @Test(arguments: ReportFormat.allCases)
  func golden(format: ReportFormat) throws {
    let (ds, sources) = run()
    let out = Reporter.render(format, files: Self.files, diagnostics: ds, sources: sources)
    let path = repo("Tests/NASCSpaceTests/Golden/validate.\(format.rawValue)")
    if ProcessInfo.processInfo.environment["NASC_UPDATE_GOLDEN"] != nil {
      try out.write(toFile: path, atomically: true, encoding: .utf8)
    }
    let expected = try String(contentsOfFile: path, encoding: .utf8)
    #expect(out == expected)
  }

  @Test func committedSchemaMatches() throws {
    let committed = try String(contentsOfFile: repo("schema/nasc.schema.json"), encoding: .utf8)
    #expect(committed == JSONSchemaWriter.dslSchema(), "run: swift run nasc schema > schema/nasc.schema.json")
  }

  @Test func everySpaceCarriesTheModeline() throws {
    for dir in ["spaces", "spaces/lib"] {
      for f in try FileManager.default.contentsOfDirectory(atPath: repo(dir)) where f.hasSuffix(".yaml") {
        let text = readRepo("\(dir)/\(f)")
        #expect(text.contains("# yaml-language-server: $schema="), "\(dir)/\(f)")
      }
    }
  }

  @Test func everyShippedFileValidates() throws {
    for dir in ["spaces", "spaces/lib", "examples"] {
      for f in try FileManager.default.contentsOfDirectory(atPath: repo(dir)) where f.hasSuffix(".yaml") {
        let r = Compiler.validate(path: repo("\(dir)/\(f)"))
        #expect(r.diagnostics.isEmpty, "\(dir)/\(f): \(r.diagnostics.map(\.message))")
      }
    }
  }

  @Test func caretSnippet() {
    let d = Diagnostic(
      .unknownOp, "unknown op 'sep_conv_3x4'", at: SourceLocation(file: "a.yaml", line: 2, column: 7), length: 12,
      help: "did you mean 'sep_conv_3x3'?")
    let text = TextRenderer(sources: ["a.yaml": "nasc: 1\nops: [sep_conv_3x4]\n"]).render(d)
    #expect(
      text == """
        a.yaml:2:7: error[E020]: unknown op 'sep_conv_3x4'
          |
        2 | ops: [sep_conv_3x4]
          |       ^^^^^^^^^^^^
          = help: did you mean 'sep_conv_3x3'?

        """)
    #expect(!text.contains("\u{1B}"))
    #expect(TextRenderer(colour: true, sources: [:]).render(d).contains("\u{1B}[1;31m"))
  }

  @Test func githubEscapes() {
    let d = Diagnostic(.unknownKey, "50% done,\nnext: x", at: SourceLocation(file: "a:b,c.yaml", line: 1, column: 2))
    #expect(
      Reporter.render(.github, files: [], diagnostics: [d])
        == "::error file=a%3Ab%2Cc.yaml,line=1,col=2,title=E010::50%25 done,%0Anext: x\n")
  }

  @Test func expressions() throws {
    let env: [String: ExprValue] = ["C": .int(16), "stride": .int(1), "C_in": .int(16), "C_out": .int(16)]
    #expect(try Expr.parse("3 * C").evaluate(env) == .int(48))
    #expect(try Expr.parse("C / 3").evaluate(env) == .real(16.0 / 3))
    #expect(try Expr.parse("2 * C // 3").evaluate(env) == .int(10))
    #expect(try Expr.parse("stride == 1 and C_in == C_out").evaluate(env) == .bool(true))
    #expect(try Expr.parse("not (stride == 2) or false").evaluate(env) == .bool(true))
    #expect(try Expr.parse("round8(0.75 * 36)").evaluate(env) == .int(32))
    #expect(throws: Expr.Failure.self) { try Expr.parse("3 +").evaluate(env) }
    #expect(throws: Expr.Failure.self) { try Expr.parse("D").evaluate(env) }
  }

  @Test func bigIntegers() {
    #expect(BigUInt.binomial(35, 2).description == "595")
    #expect(BigUInt.power(7, 15).description == "4747561509943")
    #expect((BigUInt.power(10, 30) * BigUInt(7)).description == "7" + String(repeating: "0", count: 30))
    #expect(BigUInt(0).description == "0")
  }

  @Test func didYouMean() {
    #expect(DidYouMean.suggest("sep_conv_3x4", in: ["sep_conv_3x3", "dil_conv_3x3"]) == "sep_conv_3x3")
    #expect(DidYouMean.suggest("zzz", in: ["sep_conv_3x3"]) == nil)
  }
}

/// Runs scripts/check_schema.py (Python jsonschema) so that `swift test` covers the schema CI check.
@Suite("Python schema check")
struct PythonSchemaCheck {
  static let available: Bool = {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import jsonschema, yaml"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
  }()

  @Test(.enabled(if: available, "python3 with jsonschema and yaml"))
  func checkSchemaScript() throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", repo("scripts/check_schema.py")]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(out)")
  }
}
