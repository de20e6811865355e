import BigInt
import Foundation
import Testing

@testable import NASCSpace

/// `space` compiled with the decisions `choices` (lines of an arch document's `choices:` block).
func compileDecided(_ space: String, choices: String) -> CompileResult {
  let dir = tempProject()
  let spacePath = write(space, "space.yaml", in: dir)
  let arch = write("nasc: 1\narch:\n  space: space.yaml\n  choices:\n" + choices, "arch.yaml", in: dir)
  var o = CompileOptions()
  o.arch = arch
  return Compiler.compile(path: spacePath, options: o)
}

/// Value choices combined with candidate lists (SPOS' block × channel scale, Single-Path NAS'
/// kernel × expansion plus skip) and their decisions in arch files.
@Suite("Value choices combined with candidate lists")
struct ValueChoiceTests {
  static let space = """
    nasc: 1
    input: {channels: 1, size: 8, classes: 10}
    candidates:
      blocks:
        - {op: mbconv, with: {k: {choice: [3, 5]}, e: {choice: [3, 6]}}, name: mb}
        - {op: none, name: zero, when: stride == 1 and C_in == C_out}
    network:
      stem: [{conv: {out: 16, kernel: 3}}, bn]
      body:
        - {layer: {choice: blocks}, out: 16, repeat: 2}
    search: {method: spos}
    derive: {rule: best_of_population}

    """

  @Test func kernelTimesExpansionPlusZero() throws {
    let r = compileText(Self.space)
    #expect(!r.hasErrors, "\(r.diagnostics.map(\.message))")
    let ir = try #require(r.ir)
    // (2 × 2 + zero) per layer.
    #expect(ir.architectures == BigUInt(25))
    let layer = ir.layers[0]
    #expect(layer.candidates.map(\.name) == ["mb_k3_e3", "mb_k3_e6", "mb_k5_e3", "mb_k5_e6", "zero"])
    let op = try #require(ir.choicePoint("layer[0].op"))
    #expect(op.parts == ["layer[0].op", "layer[0].k", "layer[0].e"])
    #expect(ir.choicePoint("layer[0].k")?.kind == .value)
    #expect(
      layer.candidates[1].decisions == [
        ChoiceDecision(id: "layer[0].op", value: "mb"), ChoiceDecision(id: "layer[0].k", value: "3"),
        ChoiceDecision(id: "layer[0].e", value: "6"),
      ])
    // Kernels differ, so only the expansions of one kernel share weights: 2 groups + zero.
    #expect(Candidate.sharingGroups(layer.candidates).map(\.members) == [[0, 1], [2, 3], [4]])
  }

  /// Arch files decide the op and each value the chosen candidate has; the combined name works too.
  @Test func decisions() throws {
    func fixed(_ choices: String) -> CompileResult { compileDecided(Self.space, choices: choices) }
    let a = fixed("    layer[0].op: mb\n    layer[0].k: 5\n    layer[0].e: 6.0\n    layer[1].op: zero\n")
    #expect(!a.hasErrors, "\(a.diagnostics.map(\.message))")
    let layers = try #require(a.ir).layers
    #expect(layers.map { $0.candidates.map(\.name) } == [["mb_k5_e6"], ["zero"]])
    let b = fixed("    layer[0].op: mb_k5_e6\n    layer[1].op: zero\n")
    #expect(b.ir?.layers.first?.candidates.first?.graph == layers[0].candidates[0].graph)
    // A missing value, a value not listed, an op not listed.
    let missing = fixed("    layer[0].op: mb\n    layer[0].k: 5\n    layer[1].op: zero\n")
    #expect(missing.diagnostics.first { $0.severity == .error }?.code == .archIncomplete)
    #expect(missing.diagnostics.first?.message.contains("layer[0].e") == true)
    let wrong = fixed("    layer[0].op: mb\n    layer[0].k: 7\n    layer[0].e: 6\n    layer[1].op: zero\n")
    #expect(wrong.diagnostics.first?.code == .archMismatch)
    #expect(wrong.diagnostics.first?.message.contains("7 is not a candidate value of layer[0].k") == true)
    let badOp = fixed("    layer[0].op: mbb\n    layer[1].op: zero\n")
    #expect(badOp.diagnostics.first?.help?.contains("did you mean 'mb'") == true)
    // Once an error stops the expansion, later ids are not reported as unknown.
    #expect(badOp.diagnostics.filter { $0.severity == .error }.count == 1)
  }

  /// One value written `3` by one candidate and `3.0` by another is one value (it used to trap).
  @Test func valuesWrittenDifferentlyDecide() throws {
    let text = Self.space.replacingOccurrences(
      of: "{op: mbconv, with: {k: {choice: [3, 5]}, e: {choice: [3, 6]}}, name: mb}",
      with:
        "{op: mbconv, with: {k: 3, e: {choice: [3, 6]}}, name: mb}\n    - {op: mbconv, with: {k: 5, e: {choice: [3.0, 6]}}, name: mc}"
    )
    let dir = tempProject()
    let space = write(text, "space.yaml", in: dir)
    let arch = write(
      "nasc: 1\narch:\n  space: space.yaml\n  choices:\n    layer[0].op: mc\n    layer[0].e: 3\n    layer[1].op: zero\n",
      "arch.yaml", in: dir)
    var o = CompileOptions()
    o.arch = arch
    let r = Compiler.compile(path: space, options: o)
    #expect(!r.hasErrors, "\(r.diagnostics.map(\.message))")
    #expect(r.ir?.layers.first?.candidates.map(\.name) == ["mc_e3.0"])
  }

  /// A choice's `with:` goes to every candidate whose op takes the argument.
  @Test func sharedArguments() throws {
    let text = Self.space.replacingOccurrences(
      of: "    - {layer: {choice: blocks}, out: 16, repeat: 2}",
      with: "    - {layer: {choice: [mbconv, none], with: {e: {choice: [2, 4]}, k: 3}}, out: 16}")
    let r = compileText(text)
    #expect(!r.hasErrors, "\(r.diagnostics.map(\.message))")
    #expect(r.ir?.layers[0].candidates.map(\.name) == ["mbconv_e2", "mbconv_e4", "none"])
    #expect(r.ir?.architectures == BigUInt(3))
  }

  @Test(arguments: [
    // (replacement of the candidate list, code, message fragment)
    (
      "    - {op: mbconv, with: {k: 3, e: {choice: [3, 6]}}, name: a}\n    - {op: mbconv, with: {k: 5, e: {choice: [3, 4]}}, name: b}",
      "E032", "lists [3, 4] here but [3, 6]"
    ),
    ("    - {op: mbconv, with: {e: {choice: [3, 3.0]}}}", "E032", "appears twice"),
    ("    - {op: mbconv, with: {e: {choice: []}}}", "E013", "needs at least 1 entry"),
  ])
  func badValueChoices(_ c: (String, String, String)) {
    let text = Self.space.replacingOccurrences(
      of:
        "    - {op: mbconv, with: {k: {choice: [3, 5]}, e: {choice: [3, 6]}}, name: mb}\n    - {op: none, name: zero, when: stride == 1 and C_in == C_out}",
      with: c.0)
    let d = compileText(text).diagnostics.first { $0.severity == .error }
    #expect(d?.code.rawValue == c.1, "\(String(describing: d?.message))")
    #expect(d?.message.contains(c.2) == true, "\(String(describing: d?.message))")
  }

  @Test func sharedArgumentNoCandidateTakes() {
    let text = Self.space.replacingOccurrences(
      of: "{layer: {choice: blocks}, out: 16, repeat: 2}", with: "{layer: {choice: blocks, with: {width: 2}}, out: 16}")
    let d = compileText(text).diagnostics.first { $0.severity == .error }
    #expect(d?.code == .unknownArgument)
    #expect(d?.message == "no candidate of this choice has a parameter 'width'")
  }

  @Test func listOfValuesIsNotAnOpList() {
    let text = Self.space.replacingOccurrences(of: "candidates:\n", with: "candidates:\n  scales: [0.5, 1.0]\n")
      .replacingOccurrences(of: "{layer: {choice: blocks}", with: "{layer: {choice: scales}")
    let d = compileText(text).diagnostics.first { $0.severity == .error }
    #expect(d?.code == .wrongType)
    #expect(d?.message == "'scales' is a list of values, not of ops")
  }

  /// SPOS' multiplier rule: `floor((C_out // 2) * scale)`, Python's `int(base_mid * scale)`.
  @Test func floorOfAMultiplier() throws {
    let e = try Expr.parse("floor((C_out // 2) * scale)")
    #expect(try e.evaluate(["C_out": .int(320), "scale": .real(0.6)]) == .int(96))
    #expect(try e.evaluate(["C_out": .int(64), "scale": .real(0.6)]) == .int(19))
    #expect(try e.evaluate(["C_out": .int(160), "scale": .real(1.4)]) == .int(112))
  }
}

/// Width choices in arch files: each width decision is decided once (a stage's, a tied one), by
/// value as written, and a missing or unlisted width is a coded error.
@Suite("Width decisions in arch files")
struct WidthDecisionTests {
  static let space = """
    nasc: 1
    input: {channels: 1, size: 8, classes: 10}
    tied:
      mult: [0.5, 1.0]
    network:
      stem: [{conv: {out: 16, kernel: 3}}, bn]
      body:
        - {layer: mbconv, out: {choice: [8, 16]}, repeat: 2}
        - {layer: mbconv, out: {choice: mult, of: 32}, stride: 2}
        - {layer: mbconv, out: {choice: mult, of: 48}}
    search: {method: spos}

    """

  func fixed(_ choices: String) -> CompileResult { compileDecided(Self.space, choices: choices) }

  @Test func countsAndDecisions() throws {
    let ir = try #require(compileText(Self.space).ir)
    #expect(ir.architectures == BigUInt(4))
    #expect(ir.choicePoints.map(\.id) == ["layers[0-1].out", "mult"])
    // The multiplier 0.5 of 32 and of 48 rounds to 16 and 24 (multiples of 8).
    let a = fixed("    layers[0-1].out: 8\n    mult: 0.5\n")
    #expect(!a.hasErrors, "\(a.diagnostics.map(\.message))")
    #expect(try #require(a.ir).layers.map(\.shape.channels) == [8, 8, 16, 24])
    let b = fixed("    layers[0-1].out: 16.0\n    mult: 1\n")
    #expect(try #require(b.ir).layers.map(\.shape.channels) == [16, 16, 32, 48])
    let missing = fixed("    layers[0-1].out: 8\n")
    #expect(missing.diagnostics.first { $0.severity == .error }?.code == .archIncomplete)
    #expect(missing.diagnostics.first?.message.contains("'mult'") == true)
    let wrong = fixed("    layers[0-1].out: 12\n    mult: 0.5\n")
    #expect(wrong.diagnostics.first?.code == .archMismatch)
    #expect(wrong.diagnostics.first?.message.contains("12 is not a candidate value of layers[0-1].out (8, 16)") == true)
    // The diagnostic points at the decision's own line, not the start of `choices:`.
    #expect(wrong.diagnostics.first?.location.line == 5)
    let wrongTied = fixed("    layers[0-1].out: 8\n    mult: 0.7\n")
    #expect(wrongTied.diagnostics.first?.location.line == 6)
  }

  @Test func roundingRule() {
    // MobileNet's _make_divisible: nearest multiple, at least the divisor, never 10 % below.
    #expect(Expander.roundedWidth(0.35 * 32, divisor: 8) == 16)  // 11.2 → 8 would lose 29 %
    #expect(Expander.roundedWidth(0.75 * 32, divisor: 8) == 24)
    #expect(Expander.roundedWidth(0.1 * 32, divisor: 8) == 8)
    #expect(Expander.roundedWidth(1.3 * 10, divisor: 1) == 13)
    #expect(Expander.roundedWidth(0.5 * 36, divisor: 8) == 24)  // 18 → 16 keeps 89 % < 90 %
  }
}
