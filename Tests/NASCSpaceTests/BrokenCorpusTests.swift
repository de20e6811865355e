import Foundation
import Testing

@testable import NASCSpace

@Suite("Broken spaces: each reports its code at its line:column")
struct BrokenCorpusTests {
  /// Also writes each case's text into `NASC_EXPORT_BROKEN_CORPUS` when set (scripts/fuzz-seed-corpus
  /// seeds the space fuzz target with them).
  @Test func corpusIsLarge() throws {
    #expect(brokenCases.count >= 40)
    guard let dir = ProcessInfo.processInfo.environment["NASC_EXPORT_BROKEN_CORPUS"] else { return }
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    for (i, c) in brokenCases.enumerated() {
      try c.text.write(toFile: "\(dir)/broken-\(i).yaml", atomically: true, encoding: .utf8)
    }
  }

  @Test(arguments: brokenCases)
  func brokenSpace(_ c: BrokenCase) {
    let r = validateText(c.text)
    let found = r.diagnostics.first { $0.code.rawValue == c.code }
    #expect(
      found != nil,
      "\(c.name): expected \(c.code), got \(r.diagnostics.map { "\($0.code.rawValue)@\($0.location.line):\($0.location.column) \($0.message)" })"
    )
    if let found {
      #expect(
        found.location.line == c.line && found.location.column == c.col,
        "\(c.name): \(c.code) at \(found.location.line):\(found.location.column), expected \(c.line):\(c.col) — \(found.message)"
      )
      if let m = c.message { #expect(found.message.contains(m), "\(c.name): message '\(found.message)'") }
      if let h = c.help { #expect(found.help?.contains(h) == true, "\(c.name): help '\(found.help ?? "none")'") }
    }
    let failed = r.hasErrors
    if c.code.hasPrefix("E") { #expect(failed, "\(c.name) must fail") }
  }

  /// The route cases edit a valid space, and each reports its one problem without follow-on errors or warnings
  /// (nothing is clamped into another graph).
  @Test func routeCasesReportOneProblem() {
    let clean = validateText(routeSpace)
    #expect(clean.diagnostics.isEmpty, "\(clean.diagnostics.map(\.message))")
    let cases = brokenCases.filter { $0.name.hasPrefix("route: ") }
    #expect(cases.count >= 10)
    for c in cases {
      let d = validateText(c.text).diagnostics
      #expect(d.count == 1, "\(c.name): \(d.map { "\($0.code.rawValue) \($0.message)" })")
    }
  }

  /// Route diagnostics the expander reports carry a hint (the schema's own range checks have none).
  @Test func routeDiagnosticsHaveHints() {
    let schemaChecked: Set = [
      "route: scale 0", "route: negative stage", "route: fan_out 0", "route: negative max_stage_step",
    ]
    for c in brokenCases where c.name.hasPrefix("route: ") && !schemaChecked.contains(c.name) {
      let d = validateText(c.text).diagnostics.first { $0.code.rawValue == c.code }
      #expect(d?.help != nil, "\(c.name): \(d?.message ?? "no diagnostic")")
    }
  }

  /// examples/broken/*.yaml each carry a NAME.expected with the first line of the text output.
  @Test func examplesBroken() throws {
    let dir = repo("examples/broken")
    let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
    #expect(files.count >= 8)
    for f in files {
      let expected = try String(contentsOfFile: dir + "/" + f.replacingAll(".yaml", ".expected"), encoding: .utf8)
      let r = Compiler.validate(path: dir + "/" + f)
      let text = TextRenderer(sources: r.sources).render(r.diagnostics).replacingAll(repoRoot + "/", "")
      #expect(text == expected, "\(f)")
    }
  }
}
