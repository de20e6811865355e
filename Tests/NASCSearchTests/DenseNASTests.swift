import BigInt
import Foundation
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// DenseNAS: route decisions as architectures, two-path sampling, and runs on a tiny routing
/// space that resume bit-identically, meet a latency target and hand a network to `nasc train`.
@Suite("DenseNAS")
struct DenseNASTests {
  static let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-route.yaml"

  func tinyRoute() throws -> SpaceIR { try compileSpace("../Tests/NASCSearchTests/Spaces/tiny-route.yaml") }

  /// Sampled route decisions are legal, cover every path, round-trip through the arch document and
  /// the text form, and a mutation changes exactly one decision.
  @Test func routeDecisionsSampleMutateAndRoundTrip() throws {
    let ir = try tinyRoute()
    let space = ArchSpace(ir: ir)
    let unit = try #require(space.routeUnit)
    #expect(unit.key == "route.path" && unit.final == 4)
    var rng = RNG(seed: 3)
    var paths = [[Int]: Int]()
    for _ in 0..<600 {
      let a = space.sample(rng: &rng)
      #expect(space.problem(a) == nil)
      let d = try #require(a.route("route.path"))
      paths[d.path, default: 0] += 1
      let doc = space.archDocument(a, spacePath: "x.yaml", header: [])
      #expect(space.decode(archDocument: doc) == a, "\(doc)")
      #expect(space.decode(text: space.text(a)) == a, "\(space.text(a))")
      let m = space.mutate(a, rng: &rng)
      #expect(space.problem(m) == nil && space.distance(a, m) == 1, "\(space.text(a)) → \(space.text(m))")
    }
    // 56 architectures: 0-1-2-3-4 has 2·2·2·2·2 = 32 (heads 0→1, 1→2, 2→3 and the two stacked
    // layers), 0-1-2-4 16, 0-1-3-4 8. Uniform over architectures draws them in that proportion.
    #expect(ir.architectures == BigUInt(56))
    #expect(Set(paths.keys) == [[0, 1, 2, 3, 4], [0, 1, 2, 4], [0, 1, 3, 4]])
    let share = Double(paths[[0, 1, 2, 3, 4]] ?? 0) / 600
    #expect(abs(share - 32.0 / 56) < 0.07, "\(paths)")
    // A path the graph lacks, and an op that is no candidate, are problems.
    var bad = space.sample(rng: &rng)
    bad.decisions["route.path"] = .route(RouteDecision(path: [0, 2, 4], ops: [:]))
    #expect(space.problem(bad)?.contains("does not connect") == true)
  }

  /// A pair pass draws two distinct ops per mixed op (sorted), weights them by softmax over their
  /// α and passes softmax(β / T) with gradient; the rescale keeps the pair's probability mass.
  @Test func twoPathSamplingDrawsPairsAndKeepsTheirMass() throws {
    let ir = try tinyRoute()
    var rng = RNG(seed: 1)
    let arch = ArchitectureParameters(ir: ir, inputs: false, rng: &rng)
    let s = TwoPathSampling(layout: ChoiceLayout(ir), temperature: 2)
    s.pass = .pair
    let plan = s.plan(arch, epoch: 0, rng: &rng)
    #expect(s.lastPairs.count == 6 && s.lastPaths.count == 2)  // blocks 1 and 2 have a choice
    for (id, pair) in s.lastPairs {
      #expect(pair.candidates.count == 2 && pair.candidates[0] < pair.candidates[1], "\(id)")
      let alpha = arch[id]!.value.scalars
      let want = Tensor(pair.candidates.map { alpha[$0] }).softmax().scalars
      #expect(zip(pair.weights.scalars, want).allSatisfy { abs($0 - $1) < 1e-6 })
    }
    guard case .weights(let w)? = plan.paths["route.block[1].next"] else {
      Issue.record("no path weights for block 1")
      return
    }
    let beta = arch["route.block[1].next"]!.value.scalars
    #expect(zip(w.scalars, (Tensor(beta) * 0.5).softmax().scalars).allSatisfy { abs($0 - $1) < 1e-6 })
    // Weight passes run one op per mixed op.
    s.pass = .uniform
    let single = s.plan(arch, epoch: 0, rng: &rng)
    #expect(single.ops.values.allSatisfy { if case .single = $0 { true } else { false } })
    let old: [Float] = [0.3, -0.2, 0.9, 0.1], new: [Float] = [0.5, -0.2, 0.4, 0.1]
    let r = BinaryGates.rescale(new, old: old, pair: [0, 2])
    func mass(_ a: [Float]) -> Double { [0, 2].reduce(0) { $0 + exp(Double(a[$1])) } }
    #expect(abs(mass(r) - mass(old)) < 1e-5 && r[1] == new[1] && r[3] == new[3])
  }

  /// A run: warm-up then search epochs with the expected latency, β and its entropy per block,
  /// the routing picture; killed after the warm-up and after a search epoch it resumes
  /// bit-identically; the derived arch document compiles, trains, and meets a latency target.
  @Test func denseNASRunsResumesAndMeetsATarget() throws {
    let dir = try TempDir()
    let args = ["search", Self.space, "--limit", "64", "--seed", "4"]
    let full = dir.path + "/dn-full"
    let a = try runNasc(args + ["--out", full])
    #expect(a.status == 0, "\(a.stderr)")
    #expect(a.stderr.contains("warmup: epoch 1/1") && a.stderr.contains("search: epoch 2/2"), "\(a.stderr)")
    let arch = try text(full + "/arch.yaml")
    #expect(arch.contains("route.path: [0, 1, ") && arch.contains("route.edge[0→1].op: "), "\(arch)")
    let last = try #require(try metrics(full).last)
    for key in ["\"expected_mmacs\":", "\"beta_entropy\":{", "\"route.block[1].next\":", "\"path\":\"0-1-"] {
      #expect(last.contains(key), "\(key) in \(last)")
    }
    let svg = try text(full + "/route.svg")
    #expect(svg.components(separatedBy: "class=\"edge").count - 1 == 6)
    for unit in [1, 2] {
      let cut = dir.path + "/dn-cut\(unit)"
      #expect(try killAndResume(args, out: cut, unit: unit) == 0)
      #expect(try text(full + "/arch.yaml") == text(cut + "/arch.yaml"), "after unit \(unit)")
      #expect(try metrics(full) == metrics(cut), "after unit \(unit)")
    }
    // nasc derive re-derives the same route from the checkpoint (Viterbi); other rules are E311.
    let again = try runNasc(["derive", full])
    func body(_ t: String) -> [Substring] { t.split(separator: "\n").filter { !$0.hasPrefix("#") } }
    #expect(again.status == 0 && body(again.stdout) == body(arch), "\(again.stdout)\n\(again.stderr)")
    let wrongRule = try runNasc(["derive", full, "--rule", "top_k_edges"])
    #expect(wrongRule.status == 1 && wrongRule.stderr.contains("E311"), "\(wrongRule.stderr)")
    // The derived network is a fixed architecture: it compiles and trains.
    let compiled = try runNasc(["compile", full + "/arch.yaml"])
    #expect(compiled.status == 0 && compiled.stdout.contains("architectures 1"), "\(compiled.stdout)")
    let trained = try runNasc([
      "train", "--arch", full + "/arch.yaml", "--epochs", "1", "--limit", "64", "--out", dir.path + "/t",
    ])
    #expect(trained.status == 0 && trained.stdout.contains("test accuracy"), "\(trained.stderr)")
    // A target at the cheapest architecture forces it; one below it is E316.
    let ir = try tinyRoute()
    let costs = try RouteCosts(ir: ir, tablePath: "", anyConditions: false, macUnit: ("MMACs", 1e6), method: "densenas")
    let cheapest = costs.extremes.cheapest
    let tight = dir.path + "/dn-tight"
    let t = try runNasc(args + ["--set", "latency_target=\(cheapest * 1.0001)", "--out", tight])
    #expect(t.status == 0, "\(t.stderr)")
    let space = ArchSpace(ir: ir)
    let derived = try #require(space.decode(archDocument: try text(tight + "/arch.yaml")))
    #expect(costs.cost(of: try #require(derived.route("route.path"))) <= cheapest * 1.0001)
    // nasc derive on that run derives within its target too.
    let tightAgain = try runNasc(["derive", tight])
    let tightArch = try text(tight + "/arch.yaml")
    #expect(tightAgain.status == 0 && body(tightAgain.stdout) == body(tightArch))
    let low = try runNasc(args + ["--set", "latency_target=\(cheapest * 0.5)", "--out", dir.path + "/dn-low"])
    #expect(low.status == 1 && low.stderr.contains("E316") && low.stderr.contains("cheapest"), "\(low.stderr)")
  }

  /// Arch documents of routes: a path entry that is no integer is E-syntax with its location, a
  /// decision off the path is ignored with a warning, a second route in one network is an error.
  @Test func routeArchDocumentsAndSpacesAreChecked() throws {
    let dir = try TempDir()
    let spacePath = dir.path + "/s.yaml"
    try text(Self.space).write(toFile: spacePath, atomically: true, encoding: .utf8)
    let base =
      "nasc: 1\narch:\n  space: s.yaml\n  choices:\n    route.path: [0, 1, 3, 4]\n"
      + "    route.edge[0→1].op: k3_e1\n    route.edge[1→3].op: k3_e2\n    route.block[1].layer[0].op: skip_connect\n"
    func compile(_ doc: String) throws -> CompileResult {
      let p = dir.path + "/a.yaml"
      try doc.write(toFile: p, atomically: true, encoding: .utf8)
      return Compiler.compile(path: p)
    }
    #expect(try compile(base).ir?.mode == .fixed)
    let bad = try compile(base.replacingOccurrences(of: "[0, 1, 3, 4]", with: "[0, 1, x, 4]"))
    let syntax = try #require(bad.diagnostics.first { $0.severity == .error })
    #expect(syntax.code == .badArchSyntax && syntax.location.line == 5 && syntax.message.contains("'x'"), "\(syntax)")
    let off = try compile(base + "    route.edge[2→4].op: k3_e1\n")
    #expect(off.ir != nil)
    #expect(off.diagnostics.contains { $0.severity == .warning && $0.message.contains("not on route.path") })
    let space = ArchSpace(ir: try tinyRoute())
    #expect(space.decode(text: "route.path=0-1-?-4") == nil)
    #expect(space.decode(text: "route.path=0-1-3-4 route.edge[0→1].op=k3_e1 route.edge[1→3].op=k3_e2") == nil)
    let two = try text(Self.space).replacingOccurrences(
      of: "  head: [global_avg_pool, linear]",
      with: "    - route: {head: k3_e1, blocks: [{out: 8, scale: 2, stage: 1}]}\n  head: [global_avg_pool, linear]")
    try two.write(toFile: spacePath, atomically: true, encoding: .utf8)
    let twice = Compiler.compile(path: spacePath)
    #expect(twice.diagnostics.contains { $0.severity == .error && $0.message.contains("at most one route") })
  }

  /// Routing spaces are DenseNAS's: other supernet methods refuse them, and DenseNAS refuses a
  /// space without a route, each with E310.
  @Test func routingSpacesAndDenseNASGoTogether() throws {
    let dir = try TempDir()
    for method in ["darts", "fbnet", "spos"] {
      let r = try runNasc(["search", Self.space, "--method", method, "--limit", "64", "--out", dir.path + "/" + method])
      #expect(r.status == 1 && r.stderr.contains("E310") && r.stderr.contains("densenas"), "\(method): \(r.stderr)")
    }
    let layers = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-layers.yaml"
    let r = try runNasc(["search", layers, "--method", "densenas", "--limit", "64", "--out", dir.path + "/l"])
    #expect(r.status == 1 && r.stderr.contains("E310") && r.stderr.contains("routing"), "\(r.stderr)")
  }
}
