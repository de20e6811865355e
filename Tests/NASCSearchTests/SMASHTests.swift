import Foundation
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// SMASH: memory-bank lowering, the hypernetwork's generated weights, the search end to end.
@Suite struct SMASHTests {
  static let tiny = "Tests/NASCSearchTests/Spaces/tiny-smash.yaml"

  func supernet(_ path: String = tiny) throws -> (SpaceIR, SupernetModel, HyperNetwork) {
    let ir = try #require(Compiler.compile(path: repoRoot + "/" + path).ir)
    var rng = RNG(seed: 4)
    let model = try SupernetModel(ir.network, rng: &rng)
    let hyper = HyperNetwork(layout: MemoryBankLayout(model), growth: 4, depths: [2, 2], rng: &rng)
    return (ir, model, hyper)
  }

  static func memoryBlocks(_ m: SupernetModel) -> [(item: Int, block: MemoryBlockModule)] {
    m.items.enumerated().compactMap { i, item in if case .memory(let b) = item { (i, b) } else { nil } }
  }

  @Test func generatedWeightsHaveTheShapesTheSampledLayersNeed() throws {
    for path in [Self.tiny, "spaces/smash-digits.yaml"] {
      let (ir, model, hyper) = try supernet(path)
      let space = ArchSpace(ir: ir)
      let layout = hyper.layout
      #expect(layout.layers.count == (path == Self.tiny ? 3 : 8))
      var rng = RNG(seed: 9)
      var readCounts = Set<Int>()
      for _ in 0..<100 {
        let a = space.sample(rng: &rng)
        #expect(space.problem(a) == nil)
        let w = withNoGrad { hyper.weights(for: a) }
        #expect(w.count == layout.layers.count)
        for l in layout.layers {
          let reads = layout.banks(l, a).reads
          readCounts.insert(reads.count)
          let g = try #require(w[l.key])
          // [reading conv outputs, read banks × bank width, 1, 1], normalised to norm 1.
          #expect(g.shape == [l.readOut, reads.count * l.width, 1, 1], "\(l.key): \(g.shape)")
          let norm = g.scalars.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
          #expect(abs(norm - 1) < 1e-4)
        }
        // And the network runs on them.
        var plan = ArchitecturePlan(ir: ir).plan(a)
        plan.generatedWeights = w
        var ctx = ForwardContext(rng: RNG(seed: 1))
        let x = Tensor.randn([2, 1, 8, 8], rng: &rng)
        let y = withNoGrad { model(x, plan: plan, context: &ctx).logits }
        #expect(y.shape == [2, 10])
      }
      #expect(readCounts.count > 1)
    }
  }

  @Test func aGeneratedNetworkEqualsTheArchitectureBuiltWithThoseWeightsAsParameters() throws {
    let (ir, model, hyper) = try supernet()
    let space = ArchSpace(ir: ir)
    var rng = RNG(seed: 21)
    for trial in 0..<5 {
      let a = space.sample(rng: &rng)
      let generated = withNoGrad { hyper.weights(for: a) }
      var plan = ArchitecturePlan(ir: ir).plan(a)
      plan.generatedWeights = generated
      // The same architecture compiled as a fixed network, given every weight the supernet ran.
      let doc = space.archDocument(a, spacePath: repoRoot + "/" + Self.tiny, header: [])
      let file = FileManager.default.temporaryDirectory.appendingPathComponent("nasc-smash-\(UUID().uuidString).yaml")
      try doc.write(to: file, atomically: true, encoding: .utf8)
      defer { try? FileManager.default.removeItem(at: file) }
      let fixedIR = try #require(
        Compiler.compile(path: repoRoot + "/" + Self.tiny, options: CompileOptions(arch: file.path)).ir)
      var r2 = RNG(seed: 77)
      let fixed = try SupernetModel(fixedIR.network, rng: &r2)
      var state = fixed.stateDict()
      let source = model.stateDict()
      for (k, v) in source where state[k]?.shape == v.shape && !k.contains(".layer") { state[k] = v }
      for ((item, ms), (_, mf)) in zip(Self.memoryBlocks(model), Self.memoryBlocks(fixed)) {
        for (l, (ls, lf)) in zip(ms.layers, mf.layers).enumerated() {
          let prefix = "memory\(item).layer\(l)"
          state["\(prefix).read.weight"] = try #require(generated[ls.key])
          let rest = try #require(lf.rest)
          let name = "\(prefix).ops.\(rest.registeredName(0))"
          let shared = try #require(ls.shared)
          let choice = try #require(ls.layer.layer.choice)
          let op = try #require(a.op(choice))
          let i = try #require(ls.layer.layer.candidates.firstIndex { $0.name == op })
          for (k, n) in shared.graphs[i].nodes.enumerated() {
            if case .conv = n.op { state["\(name).\(k)_conv.weight"] = shared.weight(candidate: i, node: k) }
          }
        }
      }
      try fixed.load(stateDict: state)
      let x = Tensor.randn([4, 1, 8, 8], rng: &rng)
      var c1 = ForwardContext(rng: RNG(seed: 1)), c2 = ForwardContext(rng: RNG(seed: 1))
      let y1 = withNoGrad { model(x, plan: plan, context: &c1).logits }
      let y2 = withNoGrad { fixed(x, plan: ForwardPlan(), context: &c2).logits }
      let diff = zip(y1.scalars, y2.scalars).map { abs($0 - $1) }.max() ?? 1
      #expect(diff < 1e-4, "trial \(trial): \(diff)")
    }
  }

  @Test func theSearchTrainsTheHypernetworkAndRanksArchitectures() throws {
    let m = try #require(try oneShotMethod(Self.tiny, images: 96) as? SMASH)
    let before = m.hyper.stateDict()
    let loop = try SearchLoop(method: m)
    try loop.run()
    let r = try m.result()
    #expect(m.supernet.space.problem(r.architecture) == nil)
    #expect(m.state.history.count == 10)
    // The hypernetwork was trained: every one of its convs moved.
    let after = m.hyper.stateDict()
    #expect(before.keys.sorted() == after.keys.sorted())
    #expect(before.allSatisfy { k, v in after[k]!.scalars != v.scalars })
    #expect(r.signal == m.state.history.map(\.score.signal).max())
    let epochs = loop.history.filter { $0["hypernet_loss"] != nil }
    #expect(epochs.count == 2)
    #expect(epochs.allSatisfy { ($0["hypernet_loss"]?.number ?? .nan).isFinite })
  }

  @Test func tooManyBankSubsetsAreRefusedAtCompileTime() throws {
    let text = try text(repoRoot + "/" + Self.tiny)
      .replacingOccurrences(of: "banks: 3\n        width: 4", with: "banks: 24\n        width: 4")
      .replacingOccurrences(of: "stem: [{conv: {out: 12,", with: "stem: [{conv: {out: 96,")
      .replacingOccurrences(of: "read: {choice: all, k: 2, exact: false}", with: "read: {choice: all, k: 12}")
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("nasc-smash-\(UUID().uuidString).yaml")
    try text.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let r = Compiler.compile(path: file.path)
    #expect(r.ir == nil)
    #expect(
      r.diagnostics.contains { $0.code == .tooLarge && $0.message.contains("2704156 bank subsets") }, "\(r.diagnostics)"
    )
  }

  @Test func spacesWithoutMemoryBlocksAreRefused() throws {
    #expect(throws: RunError.self) {
      _ = try oneShotMethod("Tests/NASCSearchTests/Spaces/tiny-layers.yaml", method: "smash")
    }
    // And a gradient method refuses a memory-bank space before it trains (it cannot relax banks).
    let r = try runNasc([
      "search", repoRoot + "/" + Self.tiny, "--method", "darts", "--limit", "100", "--out",
      FileManager.default.temporaryDirectory.path + "/nasc-smash-darts-\(UUID().uuidString)",
    ])
    #expect(r.status == 1 && r.stderr.contains("E310") && r.stderr.contains("memory-bank"), "\(r.stderr)")
  }

  @Test func killedAndResumedSearchEndsAsAnUninterruptedOne() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasc-smash-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let args = ["search", repoRoot + "/" + Self.tiny, "--limit", "200", "--epochs", "3"]
    #expect(try runNasc(args + ["--out", dir.path + "/whole"]).status == 0)
    #expect(try killAndResume(args, out: dir.path + "/cut", unit: 1) == 0)
    #expect(try metrics(dir.path + "/whole") == metrics(dir.path + "/cut"))
    #expect(try text(dir.path + "/whole/arch.yaml") == text(dir.path + "/cut/arch.yaml"))
    // The ranked architecture trains stand-alone.
    let t = try runNasc([
      "train", "--arch", dir.path + "/whole/arch.yaml", "--limit", "200", "--epochs", "1", "--out", dir.path + "/train",
    ])
    #expect(t.status == 0, "\(t.stderr)")
  }
}
