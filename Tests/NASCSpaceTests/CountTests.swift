import BigInt
import Testing

@testable import NASCSpace

@Suite("Architecture counts")
struct CountTests {
  func count(_ rel: String) throws -> String {
    let r = Compiler.compile(path: repo(rel))
    let ir = try #require(r.ir, "\(r.diagnostics)")
    return ir.architectures.description
  }

  @Test func nasBench201() throws { #expect(try count("spaces/nas-bench-201.yaml") == "15625") }
  @Test func dartsCNN() throws { #expect(try count("spaces/darts-cnn.yaml") == "1076746950455072400") }
  @Test func pcDartsSameSpace() throws { #expect(try count("spaces/pc-darts.yaml") == "1076746950455072400") }
  @Test func proxylessNAS() throws {
    #expect(try count("spaces/proxylessnas.yaml") == (BigUInt.power(7, 15) * BigUInt.power(6, 6)).description)
  }
  @Test func spos() throws {
    // 4 blocks × 8 channel scales per layer (SPOS block + channel).
    #expect(try count("spaces/spos.yaml") == BigUInt.power(32, 20).description)
    #expect(try count("spaces/spos-digits.yaml") == BigUInt.power(4, 4).description)
    #expect(try count("spaces/spos-channels-digits.yaml") == BigUInt.power(32, 4).description)
  }
  @Test func fairNAS() throws { #expect(try count("spaces/fairnas.yaml") == BigUInt.power(6, 19).description) }
  @Test func fbnet() throws { #expect(try count("spaces/fbnet.yaml") == BigUInt.power(9, 22).description) }
  @Test func singlePathNAS() throws {
    #expect(try count("spaces/single-path-nas.yaml") == (BigUInt.power(4, 5) * BigUInt.power(5, 15)).description)
  }
  @Test func enasMicroWithRepeats() throws {
    // per cell type: the product over nodes of (5 ops * (i + 2) inputs)^2 ordered picks
    let perCell = (0..<5).reduce(BigUInt.one) { $0 * BigUInt.power(BigUInt(UInt64(5 * ($1 + 2))), 2) }
    #expect(try count("spaces/enas-micro.yaml") == (perCell * perCell).description)
  }

  @Test func oneShotAtMostTwoInputsAndOps() throws {
    // each edge: 7 + 21 op subsets; each node keeps 1 or 2 of its i + 2 edges
    let m = BigUInt(28)
    var perCell = BigUInt.one
    for n in 2...5 { perCell = perCell * (BigUInt(UInt64(n)) * m + BigUInt.binomial(n, 2) * m * m) }
    #expect(try count("spaces/oneshot.yaml") == (perCell * perCell).description)
  }

  @Test func routeCountsPathsTimesOps() throws {
    // blocks: 0 (input, 8x8) -> 1 (4x4, 1 stacked layer) -> 2 (4x4) -> final (2x2);
    // connections 0→1, 0→2, 1→2, 1→3, 2→3; heads 2 ops, stack 3 ops, final fixed.
    let text = """
      nasc: 1
      input: {channels: 1, size: 8, classes: 10}
      candidates:
        h: [nor_conv_1x1, nor_conv_3x3]
        s: [nor_conv_1x1, nor_conv_3x3, skip_connect]
      network:
        stem: [{conv: {out: 8, kernel: 3}}]
        body:
          - route:
              head: {choice: h}
              stack: {choice: s}
              final: nor_conv_1x1
              blocks:
                - {out: 8, scale: 2, stage: 1, layers: 1}
                - {out: 16, scale: 2, stage: 1}
                - {out: 32, scale: 4, stage: 2}
      derive: {rule: viterbi}
      """
    let r = compileText(text)
    let ir = try #require(r.ir, "\(r.diagnostics)")
    // paths: 0-1-3: 2·3·1 = 6; 0-1-2-3: 2·3·2·1 = 12; 0-2-3: 2·1 = 2
    #expect(ir.architectures.description == "20")
    // one β vector per block over its outgoing connections, where it has more than one
    #expect(ir.choicePoints.filter { $0.kind == .path }.map(\.id) == (0..<2).map { "route.block[\($0)].next" })
    #expect(ir.choicePoint("route.block[0].next")?.candidates == ["1", "2"])
    #expect(ir.choicePoint("route.block[1].next")?.candidates == ["2", "3"])
    #expect(ir.choicePoint("route.block[2].next") == nil)
  }

  @Test func denseNAS() throws { #expect(try count("spaces/densenas.yaml").count == 46) }

  @Test func dartsRNN() throws {
    #expect(try count("spaces/darts-rnn.yaml") == (BigUInt(40320) * BigUInt.power(4, 8)).description)  // 8!·4^8
  }

  @Test func enasRNN() throws {
    #expect(try count("spaces/enas-rnn.yaml") == (BigUInt(39_916_800) * BigUInt.power(4, 12)).description)  // 11!·4^12
  }

  @Test func smashMemoryBanks() throws {
    // per layer: read subsets x write subsets x (3 kernels · 3 dilations · 4 groups)
    let fourBanks = BigUInt(15 * 15 * 36), twoBanks = BigUInt(3 * 3 * 36)
    #expect(try count("spaces/smash.yaml") == (BigUInt.power(fourBanks, 8) * BigUInt.power(twoBanks, 4)).description)
  }

  @Test func squeezeExciteBroadcasts() throws {
    #expect(try count("examples/squeeze-excite.yaml") == "54")
    let ir = try #require(Compiler.compile(path: repo("examples/squeeze-excite.yaml")).ir)
    let se = try #require(ir.layers[0].candidates.first { $0.name == "se" })
    #expect(se.graph.nodes.last?.op == .mul && se.graph.outputShape == Shape(16, 8, 8))
  }

  @Test func nasBenchMacro() throws { #expect(try count("spaces/nas-bench-macro.yaml") == "6561") }
  @Test func valueChoices() throws {
    #expect(try count("examples/value-choices.yaml") == "1296")
    let ir = try #require(Compiler.compile(path: repo("examples/value-choices.yaml")).ir)
    #expect(ir.layers[0].valueChoices.map(\.id) == ["layer[0].k", "layer[0].e"])
    #expect(
      ir.layers[0].candidates.map(\.name) == [
        "mbconv_k3_e3", "mbconv_k3_e6", "mbconv_k5_e3", "mbconv_k5_e6", "mbconv_k7_e3", "mbconv_k7_e6",
      ])
    #expect(ir.choicePoint("layer[2].e")?.kind == .value)
  }

  @Test func gdasNormalCellPairs() throws {
    // top-2 (input, op) pairs per node over 7 derivable ops: C(14,2)·C(21,2)·C(28,2)·C(35,2)
    #expect(try count("spaces/gdas.yaml") == String(91 * 210 * 378 * 595))
  }

  @Test func editedNB201FollowsTheSpace() throws {
    let text = readRepo("spaces/nas-bench-201.yaml")
      .replacingAll(
        "nb201: [none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3]",
        "nb201: [none, skip_connect, nor_conv_1x1, nor_conv_3x3]")
    let r = compileText(text)
    let ir = try #require(r.ir, "\(r.diagnostics)")
    #expect(ir.architectures.description == "4096")
  }

  @Test func editedDartsWithThreeNodes() throws {
    let text =
      readRepo("spaces/lib/darts-cells.yaml").replacingAll("nodes: 4", "nodes: 3")
      + "\nnetwork: {C: 16, stem: [{conv: {out: 48, kernel: 3}}, bn], cells: 8}\n"
    let r = compileText(text)
    let ir = try #require(r.ir, "\(r.diagnostics)")
    let perCell = BigUInt(1 * 3 * 6) * BigUInt.power(49, 3)  // C(2,2)·C(3,2)·C(4,2)·7^6
    #expect(ir.architectures == perCell * perCell)
  }

  @Test func log10() {
    let v = BigUInt(1_076_746_950) * BigUInt(1_000_000_000) + BigUInt(455_072_400)
    #expect(abs(v.log10 - 18.0321) < 1e-3)
  }
}
