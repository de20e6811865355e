import Foundation
import Testing

@testable import NASCSpace

/// Diagnostics whose wording once misled (issue 16): each place says one thing, and says it exactly.
@Suite("Diagnostics say one precise thing")
struct DiagnosticWordingTests {
  /// The diagnostics of `text` as `code@line:col message`.
  func reported(_ text: String) -> [String] {
    validateText(text).diagnostics.map { "\($0.code.rawValue)@\($0.location.line):\($0.location.column) \($0.message)" }
  }

  /// A value the schema and the expander both reject is one E011, in the expander's words, naming the key.
  @Test(arguments: [
    (
      "op: {choice: ops}", "op: [a, b]",
      "E011@9:9 expected an op name, {op: NAME, with: {...}} or {choice: LIST} for 'op', found a list"
    ),
    (
      "stem: [{conv: {out: 24, kernel: 3}}, bn]", "stem: {conv: {out: 24, kernel: 3}}",
      "E011@12:9 expected a list of steps for 'stem', found a mapping"
    ),
    (
      "stem: [{conv: {out: 24, kernel: 3}}, bn]", "stem: [[conv], bn]",
      "E011@12:10 expected a step (a primitive, an op name or a mapping) for 'stem', found a list"
    ),
    ("out: 24", "out: [24]", "E011@12:23 expected a number or an expression for 'out', found a list"),
    ("C: 8", "C: [8]", "E011@11:6 expected a number or an expression for 'C', found a list"),
  ])
  func oneWrongTypePerPlace(_ edit: (String, String, String)) {
    let d = reported(edited(edit.0, edit.1))
    #expect(d == [edit.2])
  }

  /// A later wrong type at one place replaces the earlier one and keeps the key and a hint it named.
  @Test func refinedKeepsKeyAndHint() {
    let at = SourceLocation(file: "a.yaml", line: 3, column: 5)
    var bag = DiagnosticBag()
    bag.add(Diagnostic(.wrongType, "expected a list for 'stem', found a mapping", at: at, help: "write [a, b]"))
    bag.add(Diagnostic(.wrongType, "expected a list of steps, found a mapping", at: at))
    bag.add(Diagnostic(.wrongType, "expected a list for 'stem', found a mapping", at: at))
    #expect(bag.all.map(\.message) == ["expected a list of steps for 'stem', found a mapping"])
    #expect(bag.all.first?.help == "write [a, b]")
  }

  /// A misspelt `extends:` file is suggested in the folder the path names.
  @Test(arguments: [
    ("lib/bse.yaml", "did you mean 'lib/base.yaml'?"), ("./lib/bse.yaml", "did you mean './lib/base.yaml'?"),
    ("bse.yaml", "did you mean 'base.yaml'?"),
  ])
  func extendsSuggestionKeepsTheFolder(_ c: (String, String)) {
    let dir = tempProject()
    let lib = "nasc: 1\nops:\n  a: {body: [relu]}\n"
    write(lib, "lib/base.yaml", in: dir)
    write(lib, "base.yaml", in: dir)
    let r = Compiler.validate(path: write("nasc: 1\nextends: \(c.0)\n", "space.yaml", in: dir))
    let d = r.diagnostics.first { $0.code == .extendsNotFound }
    #expect(d?.location.line == 2 && d?.location.column == 10)
    #expect(d?.message == "'extends' file '\(c.0)' not found")
    #expect(d?.help == c.1)
  }
}
