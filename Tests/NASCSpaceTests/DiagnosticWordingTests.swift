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

  /// NAS-Bench-201's "4 nodes" are `nodes: 3`: `nodes: 4` on a cell that otherwise is NAS-Bench-201's is W005.
  @Test func nb201WithFourNodes() throws {
    let text = readRepo("spaces/nas-bench-201.yaml").replacingAll("    nodes: 3  ", "    nodes: 4  ")
    let r = compileText(text)
    #expect(r.ir?.architectures.description == "9765625")
    let w = r.diagnostics.filter { $0.code == .nodeCountOffByOne }
    #expect(w.count == 1)
    let d = try #require(w.first)
    #expect(d.severity == .warning && d.location.line == 21 && d.location.column == 12)
    #expect(
      d.message
        == "cell 'cell' looks like the NAS-Bench-201 cell but has 4 intermediate nodes, one more than its 3 (10 edges, not 6: 5^10 architectures, not 5^6)"
    )
    #expect(
      d.help
        == "'nodes:' counts only the intermediate nodes, not the cell's input (node 0): NAS-Bench-201's 4 nodes count its input, so it is 'nodes: 3'"
    )
  }

  /// The DARTS cell with 3 or 5 intermediate nodes is W005 at the `nodes:` of the file that writes it.
  @Test(arguments: [(3, "one fewer than its 4 (9 edges, not 14)"), (5, "one more than its 4 (20 edges, not 14)")])
  func dartsOffByOne(_ c: (Int, String)) throws {
    let dir = tempProject()
    let lib = readRepo("spaces/lib/darts-cells.yaml").replacingAll("    nodes: 4  ", "    nodes: \(c.0)  ")
    let libPath = write(lib, "lib/cells.yaml", in: dir)
    let space =
      "nasc: 1\nextends: lib/cells.yaml\nnetwork: {C: 16, stem: [{conv: {out: 48, kernel: 3}}, bn], cells: 8}\n"
    let r = Compiler.validate(path: write(space, "space.yaml", in: dir))
    let w = r.diagnostics.filter { $0.code == .nodeCountOffByOne }
    #expect(w.count == 1)
    let d = try #require(w.first)
    #expect(d.location.file == libPath && d.location.line == 22 && d.location.column == 12)
    #expect(d.message == "cell 'normal' looks like the DARTS cell but has \(c.0) intermediate nodes, \(c.1)")
    #expect(d.help?.hasSuffix("DARTS' cell (steps = 4 in its code: nodes 2..5 after the inputs) is 'nodes: 4'") == true)
  }

  /// Cells that differ from the classic ones in more than the node count are left alone.
  @Test(arguments: [
    // NAS-Bench-201 with an inputs choice, or with 4 ops
    ("    nodes: 3  ", "    nodes: 4\n    select: {choice: all, k: 2}\n  "),
    (
      "nb201: [none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3]",
      "nb201: [none, skip_connect, nor_conv_3x3, avg_pool_3x3]\n"
    ),
    // NAS-Bench-201 with 2 nodes more
    ("    nodes: 3  ", "    nodes: 5  "),
  ])
  func nb201VariantsAreNotWarned(_ edit: (String, String)) {
    var text = readRepo("spaces/nas-bench-201.yaml").replacingAll(edit.0, edit.1)
    if edit.0.hasPrefix("nb201") { text = text.replacingAll("    nodes: 3  ", "    nodes: 4  ") }
    let r = compileText(text)
    #expect(!r.diagnostics.contains { $0.code == .nodeCountOffByOne }, "\(r.diagnostics.map(\.message))")
  }

  /// The shipped spaces (NAS-Bench-201 3 nodes, DARTS 4, ENAS 5 with 5 ops) are clean.
  @Test func shippedCellSpacesAreNotWarned() {
    for f in ["nas-bench-201", "darts-cnn", "enas-micro", "oneshot", "gdas", "pc-darts"] {
      let r = Compiler.validate(path: repo("spaces/\(f).yaml"))
      #expect(!r.diagnostics.contains { $0.code == .nodeCountOffByOne }, "\(f)")
    }
  }
}
