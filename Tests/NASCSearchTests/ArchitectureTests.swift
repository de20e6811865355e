import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

@Suite struct ArchitectureTests {
  static let darts = repoRoot + "/spaces/darts-digits.yaml"
  static let nb201 = repoRoot + "/spaces/nas-bench-201.yaml"

  @Test func theDartsSpaceHasNodeUnitsOfTwoDistinctInputs() throws {
    let ir = try #require(Compiler.compile(path: Self.darts).ir)
    let space = ArchSpace(ir: ir)
    #expect(space.units.count == 8)
    guard case .node(let n) = try #require(space.unit("normal.node5")) else {
      Issue.record("normal.node5 is not a node unit")
      return
    }
    #expect(n.inputs == [0, 1, 2, 3, 4] && n.k == 2 && n.distinct && !n.ops.contains("none") && n.ops.count == 7)
    // top_k_pairs (GDAS) lets inputs repeat.
    var rule = ir.derive
    rule.kind = .topKPairs
    guard case .node(let p) = try #require(ArchSpace(ir: ir, rule: rule).unit("normal.node2")) else { return }
    #expect(!p.distinct)
  }

  @Test func samplesAreLegalAndCoverTheChoices() throws {
    let ir = try #require(Compiler.compile(path: Self.darts).ir)
    let space = ArchSpace(ir: ir)
    var rng = RNG(seed: 3)
    var ops = Set<String>(), inputs = Set<Int>()
    for _ in 0..<200 {
      let a = space.sample(rng: &rng)
      #expect(space.problem(a) == nil)
      for p in a.pairs("normal.node5") ?? [] {
        ops.insert(p.op)
        inputs.insert(p.input)
      }
    }
    #expect(ops.count == 7 && inputs == [0, 1, 2, 3, 4])
  }

  @Test(arguments: [ArchitectureTests.darts, ArchitectureTests.nb201])
  func aMutationChangesExactlyOneDecision(_ path: String) throws {
    let ir = try #require(Compiler.compile(path: path).ir)
    let space = ArchSpace(ir: ir)
    var rng = RNG(seed: 5)
    for _ in 0..<300 {
      let a = space.sample(rng: &rng)
      let b = space.mutate(a, rng: &rng)
      #expect(space.problem(b) == nil)
      #expect(a != b)
      #expect(space.distance(a, b) == 1, "\(space.text(a)) → \(space.text(b))")
    }
  }

  @Test func crossoverTakesEachUnitFromAParent() throws {
    let ir = try #require(Compiler.compile(path: Self.darts).ir)
    let space = ArchSpace(ir: ir)
    var rng = RNG(seed: 9)
    let a = space.sample(rng: &rng), b = space.sample(rng: &rng)
    let c = space.crossover(a, b, rng: &rng)
    #expect(space.problem(c) == nil)
    for u in space.units {
      #expect(c.decisions[u.key] == a.decisions[u.key] || c.decisions[u.key] == b.decisions[u.key])
    }
  }

  @Test func equalityIgnoresTheOrderOfANodesPairs() {
    let x = DerivedInput(op: "sep_conv_3x3", input: 0), y = DerivedInput(op: "skip_connect", input: 1)
    let a = Architecture(decisions: ["normal.node2": .pairs([x, y])])
    let b = Architecture(decisions: ["normal.node2": .pairs([y, x])])
    #expect(a == b && Set([a, b]).count == 1)
    #expect(a != Architecture(decisions: ["normal.node2": .pairs([x, x])]))
  }

  @Test func genotypeAndNB201StringRoundTrip() throws {
    let ir = try #require(Compiler.compile(path: Self.darts).ir)
    let space = ArchSpace(ir: ir)
    let v2 = try DartsGenotype.parse(try #require(DartsGenotype.published["DARTS_V2"]))
    let a = try #require(space.decode(genotype: v2))
    #expect(space.genotype(a) == v2)
    #expect(space.decode(text: space.text(a)) == a)
    // The arch document round-trips too, pair order included.
    let dartsDoc = space.archDocument(a, spacePath: "darts-digits.yaml", header: ["a comment"])
    let back = try #require(space.decode(archDocument: dartsDoc))
    #expect(back == a && space.genotype(back) == v2)
    #expect(space.decode(archDocument: "nasc: 1\narch: {choices: {normal.node2: [[sep_conv_3x3, 7]]}}\n") == nil)
    #expect(space.decode(archDocument: "not: [yaml") == nil)
    let nb = try #require(Compiler.compile(path: Self.nb201).ir)
    let nbSpace = ArchSpace(ir: nb)
    let s = "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|skip_connect~2|"
    let b = try #require(nbSpace.decode(text: s))
    #expect(nbSpace.text(b) == s)
    // The arch document compiles back to the same decided network.
    let doc = nbSpace.archDocument(b, spacePath: Self.nb201, header: [])
    #expect(doc.contains("cell.edge[0→1].op: nor_conv_3x3"))
    #expect(nbSpace.decode(archDocument: doc) == b)
    let fixed = try #require(
      Compiler.compile(path: Self.nb201, options: CompileOptions(arch: s)).ir, "the NB201 string compiles")
    #expect(fixed.mode == .fixed)
    // A string that does not fit is rejected, not mangled.
    #expect(nbSpace.decode(text: "|nor_conv_3x3~0|+|nor_conv_3x3~0|") == nil)
    #expect(nbSpace.decode(text: s.replacingOccurrences(of: "avg_pool_3x3", with: "sep_conv_3x3")) == nil)
  }

  @Test func costsSumTheChosenCandidates() throws {
    let nb = try #require(Compiler.compile(path: Self.nb201).ir)
    let space = ArchSpace(ir: nb)
    let conv = try #require(
      space.decode(
        text: "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"))
    let free = try #require(
      space.decode(text: "|skip_connect~0|+|none~0|avg_pool_3x3~1|+|skip_connect~0|none~1|none~2|"))
    #expect(space.costs(free).params == 0)
    // One cell of C = 16 in the search skeleton (BN without affine): 6 edges × a 3·3·16·16 convolution.
    #expect(space.costs(conv).params == 6 * 9 * 16 * 16)
    #expect(space.costs(conv).macs == 6 * 9 * 16 * 16 * 32 * 32)
  }
}
