import BigInt
import Foundation
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// Width choices on layers' `out` (stage widths, tied multipliers) and the widths that follow them:
/// counts, exact decided costs, and a supernet whose narrow paths are exactly the decided networks.
@Suite("Width choices on out and the widths that follow")
struct WidthChoiceTests {
  static let space = repoRoot + "/spaces/widths-digits.yaml"

  /// The decisions of `a` as an arch document (no `space:`: the space is given beside it).
  static func archFile(_ a: Architecture, _ space: ArchSpace) throws -> String {
    let doc = space.archDocument(a, spacePath: "widths-digits.yaml", header: [])
      .split(separator: "\n").filter { !$0.contains("space:") }.joined(separator: "\n")
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("widths-\(UUID().uuidString).yaml").path
    try doc.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  static func decided(_ archPath: String) throws -> SpaceIR {
    let r = Compiler.compile(path: space, options: CompileOptions(arch: archPath))
    for d in r.diagnostics where d.severity == .error { Issue.record("\(d.message)") }
    return try #require(r.ir)
  }

  @Test func stageAndTiedWidthsAreOneDecisionEach() throws {
    let ir = try compileSpace("widths-digits.yaml")
    #expect(ir.architectures == BigUInt(4096 * 9))
    let space = ArchSpace(ir: ir)
    #expect(
      space.units.map(\.key).filter { $0.hasSuffix("out") || $0 == "width_mult" } == ["layers[0-1].out", "width_mult"])
    #expect(ir.choicePoint("width_mult")?.candidates == ["0.5", "0.75", "1.0"])
    // The tied multiplier gives 16/24/32 channels in stage 2 and 32/48/64 in stage 3.
    #expect(ir.layers[3].widthChannels == [16, 24, 32] && ir.layers[5].widthChannels == [32, 48, 64])
    // Inside a stage the input follows the stage's own width: one pair per value, residual kept.
    #expect(ir.layers[1].variants.map { [$0.inputChannels, $0.outputChannels] } == [[8, 8], [12, 12], [16, 16]])
    #expect(ir.layers[1].variants.allSatisfy { $0.residual })
    // Across stages every pair of the two decisions occurs.
    #expect(ir.layers[2].variants.count == 9)
    // The block after the last stage reads every width the multiplier gives.
    #expect(ir.network.widthVariants[6]?.map(\.inputChannels) == [32, 48, 64])
  }

  /// Every decided width gives exactly the params and MACs of the same network written with fixed
  /// widths (`out: 12` instead of the choice), here for all 9 width decisions.
  @Test func decidedWidthsCostExactlyTheFixedNetwork() throws {
    let ir = try compileSpace("widths-digits.yaml")
    let space = ArchSpace(ir: ir)
    let text = try String(contentsOfFile: Self.space, encoding: .utf8)
    var rng = RNG(seed: 7)
    for (i, stage1) in ["8", "12", "16"].enumerated() {
      for (j, mult) in ["0.5", "0.75", "1.0"].enumerated() {
        var a = space.sample(rng: &rng)
        a.decisions["layers[0-1].out"] = .op(stage1)
        a.decisions["width_mult"] = .op(mult)
        let got = try Self.decided(try Self.archFile(a, space))
        let fixed =
          text
          .replacingOccurrences(of: "out: {choice: [8, 12, 16]}", with: "out: \(8 + 4 * i)")
          .replacingOccurrences(of: "out: {choice: width_mult, of: 32}", with: "out: \([16, 24, 32][j])")
          .replacingOccurrences(of: "out: {choice: width_mult, of: 64}", with: "out: \([32, 48, 64][j])")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("fixed.yaml").path
        try fixed.write(toFile: path, atomically: true, encoding: .utf8)
        var b = a
        b.decisions["layers[0-1].out"] = nil
        b.decisions["width_mult"] = nil
        let fixedIR = try #require(Compiler.compile(path: path).ir)
        let fixedSpace = ArchSpace(ir: fixedIR)
        let archPath = dir.appendingPathComponent("arch.yaml").path
        try fixedSpace.archDocument(b, spacePath: "fixed.yaml", header: []).write(
          toFile: archPath, atomically: true, encoding: .utf8)
        let want = try #require(Compiler.compile(path: path, options: CompileOptions(arch: archPath)).ir)
        #expect(got.cost == want.cost, "stage1 \(stage1), mult \(mult)")
        #expect(got.layers.map(\.shape.channels) == want.layers.map(\.shape.channels))
      }
    }
  }

  /// A sampled path through the supernet is the decided network: with the decided network's weights
  /// set to the leading slices of the supernet's, both give the same logits (training-mode BN).
  @Test(arguments: [1, 2, 3]) func narrowPathEqualsDecidedNetwork(_ seed: Int) throws {
    let ir = try compileSpace("widths-digits.yaml")
    let space = ArchSpace(ir: ir)
    var rng = RNG(seed: UInt64(seed))
    var a = space.sample(rng: &rng)
    // Seed 1 runs the narrowest widths, 2 the middle ones, 3 the widest.
    a.decisions["layers[0-1].out"] = .op(["8", "12", "16"][seed - 1])
    a.decisions["width_mult"] = .op(["0.5", "0.75", "1.0"][seed - 1])
    let decided = try Self.decided(try Self.archFile(a, space))
    var init1 = RNG(seed: 11), init2 = RNG(seed: 12)
    let supernet = try SupernetModel(ir.network, rng: &init1)
    let standalone = try SupernetModel(decided.network, rng: &init2)
    let wide = Dictionary(uniqueKeysWithValues: supernet.namedParameters().map { ($0.name, $0.parameter) })
    for (name, p) in standalone.namedParameters() {
      // A decided network's BN is affine (γ = 1, β = 0 at the start), the supernet's is not.
      if wide[name] == nil, name.contains("_bn.") { continue }
      let w = try #require(wide[name], "\(name) is not in the supernet")
      var t = w.value
      for axis in p.shape.indices where t.shape[axis] > p.shape[axis] {
        t = t.slice(axis: axis, start: 0, end: p.shape[axis])
      }
      #expect(t.shape == p.shape, "\(name)")
      p.value = t.detached()
    }
    var xr = RNG(seed: 13)
    let x = Tensor.randn([6, 1, 8, 8], std: 1, rng: &xr)
    var c1 = ForwardContext(rng: RNG(seed: 1)), c2 = ForwardContext(rng: RNG(seed: 1))
    let y1 = supernet(x, plan: ArchitecturePlan(ir: ir).plan(a), context: &c1).logits
    let y2 = standalone(x, plan: ForwardPlan(), context: &c2).logits
    #expect(y1.shape == y2.shape)
    let diff = zip(y1.scalars, y2.scalars).map { abs($0 - $1) }.max() ?? 1
    #expect(diff < 1e-4, "logits differ by \(diff) for \(space.text(a))")
  }
}
