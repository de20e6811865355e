import BigInt
import Testing

@testable import NASCSpace

@Suite("Parameters and MACs")
struct CostTests {
  func ir(_ rel: String, _ options: CompileOptions = CompileOptions()) throws -> SpaceIR {
    let r = Compiler.compile(path: repo(rel), options: options)
    return try #require(r.ir, "\(r.diagnostics)")
  }

  @Test func dartsSearchSupernet() throws {
    #expect(try ir("spaces/darts-cnn.yaml").cost.params == 1_930_618)
  }

  @Test func dartsSearchSupernetOnDigitsInput() throws {
    let text = readRepo("spaces/darts-cnn.yaml").replacingAll(
      "input: {channels: 3, size: 32, classes: 10}", "input: {channels: 1, size: 8, classes: 10}")
    let dir = tempProject()
    write(readRepo("spaces/lib/darts-cells.yaml"), "lib/darts-cells.yaml", in: dir)
    let r = Compiler.compile(path: write(text, "space.yaml", in: dir))
    let ir = try #require(r.ir, "\(r.diagnostics)")
    #expect(ir.cost.params == 1_929_754)
  }

  @Test func pcDartsPartialChannels() throws {
    let space = try ir("spaces/pc-darts.yaml")
    #expect(space.cost.params == 299_578)
    #expect(space.cells[0].nodes[0].edges[0].partialChannels == 4)
  }

  @Test func dartsV2Evaluation() throws {
    let space = try ir("spaces/darts-cnn.yaml", CompileOptions(eval: true, arch: DartsGenotype.published["DARTS_V2"]))
    #expect(space.cost.params == 3_349_342)
    #expect(space.auxiliaryCost?.params == 476_426)
    #expect(space.cells.count == 20)
    #expect(space.mode == .fixed)
  }

  /// The authors' released one-shot models at 224×224 and 1000 classes (every parameter, BN affine
  /// included; MACs of conv and linear layers).
  @Test(arguments: [
    ("spos-block", 3_558_464, 322_918_720), ("spos-block-channel", 3_432_579, 327_857_920),
    ("fairnas-a", 4_651_352, 388_122_848),
    ("fairnas-b", 4_506_272, 345_297_632), ("fairnas-c", 4_397_864, 321_024_992),
  ])
  func publishedOneShotArchitectures(_ name: String, _ params: Int, _ macs: Int) throws {
    let space = try ir("examples/published/\(name).yaml")
    #expect(space.mode == .fixed)
    #expect(space.cost.params == params && space.cost.macs == macs, "\(name): \(space.cost)")
  }

  /// ProxylessNAS' released GPU, CPU and mobile models (whose widths are not the search space's):
  /// fixed networks at the authors' counts.
  @Test(arguments: [
    ("proxylessnas-gpu", 7_119_848, 465_260_160), ("proxylessnas-cpu", 4_361_648, 439_243_864),
    ("proxylessnas-mobile", 4_080_512, 320_427_584),
  ])
  func publishedProxylessNAS(_ name: String, _ params: Int, _ macs: Int) throws {
    let space = try ir("examples/published/\(name).yaml")
    #expect(space.choicePoints.isEmpty && space.architectures == BigUInt(1))
    #expect(space.cost.params == params && space.cost.macs == macs, "\(name): \(space.cost)")
  }

  /// FBNet-A/B/C as the authors' released definitions build them (conv biases, no expansion at
  /// e = 1, grouped pointwise convs in the `_g2` blocks), and the Single-Path NAS Pixel 1 network:
  /// the counts an independent count of each definition gives (for Single-Path NAS, a PyTorch build).
  @Test(arguments: [
    ("fbnet-a", 4_321_232, 244_452_664), ("fbnet-b", 4_818_216, 291_004_424),
    ("fbnet-c", 5_592_784, 378_136_224), ("single-path-nas", 4_421_616, 333_467_072),
  ])
  func publishedFBNetAndSinglePathNAS(_ name: String, _ params: Int, _ macs: Int) throws {
    let space = try ir("examples/published/\(name).yaml")
    #expect(space.mode == .fixed && space.architectures == BigUInt(1))
    #expect(space.cost.params == params && space.cost.macs == macs, "\(name): \(space.cost)")
  }

  /// DenseNAS-C from the authors' released net_config (their log prints 6.13M params, 360.81M
  /// MACs): a routed path through the DenseNAS space, fixed by its arch document.
  @Test func publishedDenseNASC() throws {
    let space = try ir("examples/published/densenas-c.yaml")
    #expect(space.mode == .fixed && space.architectures == BigUInt(1))
    #expect(space.cost.params == 6_134_144 && space.cost.macs == 360_808_256, "\(space.cost)")
  }

  @Test func nb201AllConv3x3() throws {
    let arch = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"
    #expect(try ir("spaces/nas-bench-201.yaml", CompileOptions(arch: arch)).cost.params == 1_531_546)
  }

  @Test func dartsRNNV2Evaluation() throws {
    // emb 10000·850 + W0 1700·1700 + 8·850·1700 + tied decoder bias 10000 = the paper's 23M
    let space = try ir("spaces/darts-rnn.yaml", CompileOptions(eval: true, arch: "DARTS_RNN_V2"))
    #expect(space.cost.params == 22_960_000)
    #expect(space.cells[0].recurrent)
    #expect(space.cells[0].nodes.allSatisfy { $0.edges.count == 1 && $0.project != nil })
    #expect(
      ArchExport.genotype(space)?.description
        == (try DartsGenotype.parse(DartsGenotype.published["DARTS_RNN_V2"]!)).description)
  }

  @Test func dartsRNNSearchSharesTheNodeProjection() throws {
    let space = try ir("spaces/darts-rnn.yaml")
    #expect(space.cost.params == 4_810_000)  // emb 3M + W0 600·600 + 8·300·600 + bias
    let edge = space.cells[0].nodes[2].edges[1]
    #expect(edge.choice == "rnn.edge[1→3].op" && edge.candidates[0].graph.input.channels == 900)
  }

  @Test func mobileNetV2() throws {
    let space = try ir("examples/mobilenetv2.yaml")
    #expect(space.cost.params == 3_504_872)  // torchvision's count
    #expect(space.cost.macs == 300_774_272)  // ~300M multiply-adds (paper: 300M)
    #expect(space.mode == .fixed)
  }

  @Test func everyBNIsAffineInAFixedArchitecture() throws {
    let space = try ir("spaces/darts-cnn.yaml", CompileOptions(arch: "DARTS_V1"))
    for c in space.cells {
      for n in c.nodes {
        for e in n.edges {
          for node in e.candidates[0].graph.nodes {
            if case .batchNorm(_, let affine) = node.op { #expect(affine) }
          }
        }
      }
    }
  }
}
