import Foundation
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// The weight-sharing lowering of width value choices (SPOS' channel scales): one module per block
/// at the largest width, every narrower width a slice of it.
@Suite("Weight-shared width choices in the lowering")
struct WidthSharingTests {
  @Test func channelScalesShareOneModulePerBlock() throws {
    let ir = try compileSpace("spos-channels-digits.yaml")
    let layer = ir.layers[1]
    #expect(layer.candidates.count == 32)
    var rng = RNG(seed: 1)
    let edge = try MixedEdgeModule(
      choice: layer.choice, candidates: layer.candidates, stride: layer.stride, partialChannels: nil, rng: &rng)
    // 4 blocks, each one set of weights at scale 1.6.
    #expect(Set(edge.candidates.map(ObjectIdentifier.init)).count == 4)
    // Its weights are exactly those of the four widest blocks (BN non-affine in the supernet).
    let held = edge.namedParameters().reduce(0) { $0 + $1.parameter.shape.reduce(1, *) }
    #expect(held == Candidate.sharingGroups(layer.candidates).reduce(0) { $0 + CostModel.cost($1.widest).params })
    let widest = Candidate.sharingGroups(layer.candidates).map(\.widest)
    let perScale = layer.candidates.filter { $0.family == "shuffle_5x5" }
    #expect(perScale.count == 8 && widest.contains(perScale[7].graph))
  }

  /// A narrow scale run through the shared block is exactly the stand-alone narrow block holding the
  /// leading slices of the shared weights, in outputs, input gradients and weight gradients.
  @Test(arguments: ["shuffle_3x3", "xception"])
  func narrowScaleEqualsStandaloneBlock(_ block: String) throws {
    let ir = try compileSpace("spos-channels-digits.yaml")
    let layer = ir.layers[1]  // stride 1: the channel split and the main branch
    var rng = RNG(seed: 2)
    let edge = try MixedEdgeModule(
      choice: layer.choice, candidates: layer.candidates, stride: layer.stride, partialChannels: nil, rng: &rng)
    let index = try #require(layer.candidates.firstIndex { $0.name == "\(block)_scale0.6" })
    let narrowGraph = layer.candidates[index].graph
    let standalone = try PrimGraphModule(narrowGraph, rng: &rng)
    let shared = edge.candidates[index]
    let wide = Dictionary(uniqueKeysWithValues: shared.namedParameters().map { ($0.name, $0.parameter) })
    for (name, p) in standalone.namedParameters() {
      let w = try #require(wide[name], "\(name)")
      var t = w.value.slice(axis: 0, start: 0, end: p.shape[0])
      if p.shape.count > 1 { t = t.slice(axis: 1, start: 0, end: p.shape[1]) }
      p.value = t.detached()
    }
    var x0 = RNG(seed: 3)
    let xData = Tensor.randn(
      [4, layer.inputShape.channels, layer.inputShape.height, layer.inputShape.width], std: 1, rng: &x0)
    let xa = Parameter(xData), xb = Parameter(xData)
    var ctx = ForwardContext(rng: RNG(seed: 4))
    let ya = edge(xa.value, plan: .single(index: index, weight: nil), context: &ctx)
    let yb = standalone(xb.value, context: &ctx)
    #expect(ya.shape == yb.shape)
    let diff = zip(ya.scalars, yb.scalars).map { abs($0 - $1) }.max() ?? 0
    #expect(diff < 1e-5, "outputs differ by \(diff)")
    let r = Tensor.randn(ya.shape, std: 1, rng: &x0)
    (ya * r).sum().backward()
    (yb * r).sum().backward()
    let gx = zip(xa.grad!.scalars, xb.grad!.scalars).map { abs($0 - $1) }.max() ?? 0
    #expect(gx < 1e-4, "input gradients differ by \(gx)")
    for (name, p) in standalone.namedParameters() {
      let g = try #require(wide[name]?.grad, "\(name) got no gradient")
      var t = g.slice(axis: 0, start: 0, end: p.shape[0])
      if p.shape.count > 1 { t = t.slice(axis: 1, start: 0, end: p.shape[1]) }
      let d = zip(t.scalars, p.grad!.scalars).map { abs($0 - $1) }.max() ?? 0
      #expect(d < 1e-4, "\(name): weight gradients differ by \(d)")
    }
  }

  /// SPOS over block and channel: a short search writes an arch document with each layer's op and
  /// scale, which compiles to the costs the search scored it with.
  @Test func sposSearchesBlocksAndChannels() throws {
    let ir = try compileSpace("spos-channels-digits.yaml")
    let space = ArchSpace(ir: ir)
    var rng = RNG(seed: 5)
    let a = space.sample(rng: &rng)
    let doc = space.archDocument(a, spacePath: "spos-channels-digits.yaml", header: [])
    #expect(doc.contains("layer[0].scale: ") && doc.contains("layer[3].op: "))
    #expect(space.decode(archDocument: doc) == a)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasc-width-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: repoRoot + "/spaces", toPath: dir + "/spaces")
    let archPath = dir + "/arch.yaml"
    try doc.replacingOccurrences(
      of: "space: spos-channels-digits.yaml", with: "space: spaces/spos-channels-digits.yaml"
    )
    .write(toFile: archPath, atomically: true, encoding: .utf8)
    var options = CompileOptions()
    options.arch = archPath
    let fixed = Compiler.compile(path: dir + "/spaces/spos-channels-digits.yaml", options: options)
    for d in fixed.diagnostics where d.severity == .error { Issue.record("\(d.message)") }
    let decided = try #require(fixed.ir)
    // The search's own cost of the architecture (search BN are not affine; MACs agree exactly).
    let chosen = ir.layers.map { l in l.candidates.first { $0.name == a.op(l.choice!) }! }
    let fixedMacs = decided.cost.macs
    let searchMacs =
      CostModel.cost(ir.network.stem).macs + chosen.map { CostModel.cost($0.graph).macs }.reduce(0, +)
      + ir.network.items.compactMap { if case .fixed(_, let g) = $0 { CostModel.cost(g).macs } else { nil } }
      .reduce(0, +) + CostModel.cost(ir.network.head).macs
    #expect(fixedMacs == searchMacs)
  }
}
