import Foundation
import Testing

@testable import NASCSpace

@Suite("Hostile inputs end in diagnostics, never a crash or a hang")
struct HazardTests {
  func first(_ r: CompileResult) -> Diagnostic? { r.diagnostics.first { $0.severity == .error } }

  @Test func emptyFile() {
    let d = first(validateText(""))
    #expect(d?.code == .emptyFile && d?.location.line == 1 && d?.location.column == 1)
    #expect(first(validateText("# only a comment\n\n"))?.code == .emptyFile)
  }

  @Test func binaryGarbage() {
    let dir = tempProject()
    let p = dir + "/bin.yaml"
    FileManager.default.createFile(atPath: p, contents: Data([0x00, 0x01, 0x02, 0xFF, 0x7F, 0x00, 0x10]))
    let d = first(Compiler.validate(path: p))
    #expect(d?.code == .notText && d?.location.line == 1)
  }

  @Test func invalidUTF8() {
    let dir = tempProject()
    let p = dir + "/bad.yaml"
    FileManager.default.createFile(
      atPath: p, contents: Data("nasc: 1\nname: caf".utf8) + Data([0xC3, 0x28]) + Data("\n".utf8))
    let d = first(Compiler.validate(path: p))
    #expect(d?.code == .notText && d?.location.line == 2 && d?.location.column == 10)
  }

  @Test func windowsLineEndings() throws {
    let text = readRepo("spaces/nas-bench-201.yaml").replacingAll("\n", "\r\n")
    let r = compileText(text)
    let ir = try #require(r.ir, "\(r.diagnostics)")
    #expect(ir.architectures.description == "15625")
    let bad = validateText("# comment\r\nnasc: 1\r\nnetwrok: {}\r\n")
    #expect(bad.diagnostics.first?.code == .unknownKey && bad.diagnostics.first?.location.line == 3)
    let deep = "nasc: 1\r\nx:\r\n" + (0..<200).map { String(repeating: " ", count: $0 + 1) + "k:\r\n" }.joined()
    #expect(validateText(deep).diagnostics.first?.code == .nestingTooDeep)
  }

  @Test func controlCharacters() {
    #expect(first(validateText("nasc: 1\nname: \u{07}bell\n"))?.code == .notText)
  }

  @Test func aliasBomb() {
    var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
    for i in 1...12 {
      text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n"
    }
    // A hang or an exhausted memory would end the test run; timings belong in benchmarks.
    let d = first(validateText(text))
    #expect(d?.code == .documentTooLarge)
  }

  @Test func deepNesting() {
    let text = "nasc: 1\nx: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n"
    let d = first(validateText(text))
    #expect(d?.code == .nestingTooDeep && d?.location.line == 2)
    var block = "nasc: 1\n"
    for i in 0..<10_000 { block += String(repeating: " ", count: i) + "k:\n" }
    #expect(first(validateText(block))?.code == .nestingTooDeep)
    let compact = "nasc: 1\nx:\n" + String(repeating: "- ", count: 10_000) + "1\n"
    #expect(first(validateText(compact))?.code == .nestingTooDeep)
  }

  @Test func hugeLayerCounts() {
    let text = """
      nasc: 1
      network:
        cells: 1000000000000
      """
    let d = first(validateText(text))
    #expect(d?.code == .tooLarge && d?.location.line == 3)
    let body = """
      nasc: 1
      network:
        body:
          - {layer: mbconv, out: 16, repeat: 1000000000000}
      """
    #expect(first(validateText(body))?.code == .tooLarge)
  }

  @Test func extendsCycle() {
    let dir = tempProject()
    write("nasc: 1\nextends: b.yaml\n", "a.yaml", in: dir)
    write("nasc: 1\nextends: a.yaml\n", "b.yaml", in: dir)
    let d = Compiler.validate(path: dir + "/a.yaml").diagnostics.first { $0.code == .extendsCycle }
    #expect(d?.location.line == 2 && d?.location.column == 10)
  }

  @Test func extendsEscapingTheProject() {
    let dir = tempProject()
    let r = Compiler.validate(path: write("nasc: 1\nextends: ../../etc/passwd\n", "a.yaml", in: dir))
    #expect(r.diagnostics.contains { $0.code == .extendsEscapes && $0.location.line == 2 })
    let r2 = Compiler.validate(path: write("nasc: 1\nextends: /etc/hosts\n", "b.yaml", in: dir))
    #expect(r2.diagnostics.contains { $0.code == .extendsEscapes })
  }

  @Test func extendsThroughASymlinkOutside() throws {
    let dir = tempProject()
    let outside = tempProject()
    write("nasc: 1\n", "lib.yaml", in: outside)
    try FileManager.default.createSymbolicLink(atPath: dir + "/link.yaml", withDestinationPath: outside + "/lib.yaml")
    let r = Compiler.validate(path: write("nasc: 1\nextends: link.yaml\n", "a.yaml", in: dir))
    #expect(r.diagnostics.contains { $0.code == .extendsEscapes })
  }

  @Test func manyKeysValidate() {
    var text = "nasc: 1\ncandidates:\n"
    for i in 0..<200_000 { text += "  l\(i): [none]\n" }
    let r = validateText(text)
    #expect(!r.hasErrors)
  }

  @Test func diagnosticsAreCappedPerFile() {
    var text = "nasc: 1\n"
    for i in 0..<150 { text += "bad\(i): 1\n" }
    let r = validateText(text)
    #expect(r.diagnostics.count == 101)
    #expect(r.diagnostics.last?.message == "50 more diagnostics in this file not shown")
  }

  @Test func randomBytesNeverCrash() {
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<50 {
      let n = Int.random(in: 0..<400, using: &rng)
      let bytes = (0..<n).map { _ in UInt8.random(in: 0...127, using: &rng) }
      var bag = DiagnosticBag()
      _ = SourceLoader.parse(bytes: bytes, path: "fuzz.yaml", diags: &bag)
    }
    let fragments = [
      "nasc: 1\n", "network:\n", "  cells: 3\n", "  body: [{cell: x}]\n", "cells: {x: {nodes: 2, op: none}}\n",
      "  stem: [{conv: {out: C/3}}]\n", "ops: {a: {body: [{op: a}]}}\n", "- [\n", "{{", "&a *a\n",
      "search: {method: gdas}\n",
    ]
    for i in 0..<200 {
      var t = ""
      var x = i &* 2_654_435_761
      for _ in 0..<6 {
        t += fragments[Int(UInt(bitPattern: x) % UInt(fragments.count))]
        x = x &* 6_364_136_223_846_793_005 &+ 1
      }
      _ = validateText(t)
    }
  }
}
