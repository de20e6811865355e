import Foundation
import Glibc
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// An evaluator whose score is a made-up function of the architecture, counting its queries.
final class FakeEvaluator: Evaluator {
  let space: ArchSpace
  var queries = 0
  let score: (Architecture) -> Double
  init(space: ArchSpace, score: @escaping (Architecture) -> Double) {
    self.space = space
    self.score = score
  }
  var description: String { "fake" }
  var columns: (signal: String, reported: String) { ("fake", "fake") }
  func score(_ a: Architecture) throws -> Score {
    queries += 1
    let s = score(a)
    return Score(signal: s, reported: -s)
  }
}

@Suite struct BaselineTests {
  static let nb201Path = repoRoot + "/spaces/nas-bench-201.yaml"
  static let tableAtHand = FileManager.default.fileExists(atPath: repoRoot + "/../shared/data/nas-bench-201/nb201.csv")

  static func context(_ method: String, ir: SpaceIR, seed: UInt64, evaluator: any Evaluator, set: [String: Int] = [:])
    throws -> MethodContext
  {
    var config = try #require(Compiler.compile(path: nb201Path, options: CompileOptions(method: method)).ir?.method)
    for (k, v) in set { config.set(k, .int(v)) }
    return MethodContext(ir: ir, config: config, run: RunSettings(seed: seed), data: nil, evaluator: evaluator)
  }

  @Test func evolutionRemovesTheOldestNotTheWorst() throws {
    let ir = try #require(Compiler.compile(path: Self.nb201Path).ir)
    let space = ArchSpace(ir: ir)
    // Scores rise with every query: the newest member is always the best, the oldest the worst...
    var n = 0.0
    let rising = FakeEvaluator(space: space) { _ in
      n += 1
      return n
    }
    let evo = try RegularizedEvolution(
      try Self.context("evolution", ir: ir, seed: 4, evaluator: rising, set: ["population": 5, "budget": 12]))
    try SearchLoop(method: evo).run()
    // ...so the population is the last five evaluated, in order.
    #expect(evo.population.map(\.score.signal) == [8, 9, 10, 11, 12])
    #expect(rising.queries == 12)
    // Scores that fall: the oldest is now the best, and it leaves all the same.
    n = 0
    let falling = FakeEvaluator(space: space) { _ in
      n += 1
      return -n
    }
    let evo2 = try RegularizedEvolution(
      try Self.context("evolution", ir: ir, seed: 4, evaluator: falling, set: ["population": 5, "budget": 12]))
    try SearchLoop(method: evo2).run()
    #expect(evo2.population.map(\.score.signal) == [-8, -9, -10, -11, -12])
    // The result is the best of the whole history, not of the final population.
    #expect(try evo2.result().signal == -1)
  }

  @Test func evolutionChildrenDifferFromAPopulationMemberInOneDecision() throws {
    let ir = try #require(Compiler.compile(path: Self.nb201Path).ir)
    let space = ArchSpace(ir: ir)
    var seen = [Architecture]()
    let recording = FakeEvaluator(space: space) { a in
      seen.append(a)
      return Double(space.text(a).count)
    }
    let evo = try RegularizedEvolution(
      try Self.context("evolution", ir: ir, seed: 2, evaluator: recording, set: ["population": 4, "budget": 30]))
    try SearchLoop(method: evo).run()
    #expect(seen.count == 30)
    for (i, child) in seen.enumerated().dropFirst(4) {
      // The parent was in the population of the cycle: one of the 4 members evaluated just before.
      #expect(seen[(i - 4)..<i].contains { space.distance($0, child) == 1 })
    }
  }

  @Test func randomSearchEvaluatesDistinctArchitecturesAndKeepsTheBest() throws {
    let ir = try #require(Compiler.compile(path: Self.nb201Path).ir)
    let space = ArchSpace(ir: ir)
    let e = FakeEvaluator(space: space) { a in Double(space.text(a).filter { $0 == "3" }.count) }
    let rs = try RandomSearch(try Self.context("random", ir: ir, seed: 1, evaluator: e, set: ["budget": 50]))
    let loop = try SearchLoop(method: rs)
    try loop.run()
    #expect(e.queries == 50 && loop.history.count == 50)
    let scores = loop.history.compactMap { $0["signal"]?.number }
    #expect(try rs.result().signal == scores.max())
    let archs = loop.history.compactMap { m -> String? in if case .text(let t)? = m["arch"] { t } else { nil } }
    #expect(Set(archs).count == 50)
  }

  @Test func aRestoredHistoryWithAForeignArchitectureIsRefused() throws {
    let path = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-nb201.yaml"
    for method in ["random", "evolution"] {
      let ir = try #require(Compiler.compile(path: path, options: CompileOptions(method: method)).ir)
      let e = FakeEvaluator(space: ArchSpace(ir: ir)) { _ in 1 }
      let context = try Self.context(method, ir: ir, seed: 2, evaluator: e)
      let m: any SearchMethod = method == "random" ? try RandomSearch(context) : try RegularizedEvolution(context)
      try expectForeignArchitectureRefused(m, method)
    }
  }

  @Test func randomSearchResumesBitIdenticallyInASpaceWithRepeats() throws {
    let path = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-nb201.yaml"
    let ir = try #require(Compiler.compile(path: path, options: CompileOptions(method: "random")).ir)
    let space = ArchSpace(ir: ir)
    func make() throws -> RandomSearch {
      var config = try #require(ir.method)
      config.set("budget", .int(60))
      let e = FakeEvaluator(space: space) { a in Double(space.text(a).filter { $0 == "3" }.count) }
      return try RandomSearch(MethodContext(ir: ir, config: config, run: RunSettings(seed: 8), data: nil, evaluator: e))
    }
    let full = try SearchLoop(method: try make())
    try full.run()
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("nasc-rs-\(getpid()).safetensors")
    defer { try? FileManager.default.removeItem(at: url) }
    let first = try SearchLoop(method: try make())
    var events = SearchLoop.Events()
    events.shouldStop = { first.history.count >= 30 }
    #expect(try !first.run(events))
    try LoopCheckpoint.save(first, spaceHash: "h", hyperparameters: [], run: RunSettings(seed: 8), to: url)
    let resumed = try LoopCheckpoint.resume(try make(), from: url, spaceHash: "h")
    try resumed.run()
    let arch = { (l: SearchLoop) -> [String] in
      l.history.map { m in if case .text(let t)? = m["arch"] { t } else { "" } }
    }
    #expect(arch(full) == arch(resumed))
    // All 60 are distinct (the space has 64).
    #expect(Set(arch(full)).count == 60)
  }

  @Test(.enabled(if: BaselineTests.tableAtHand))
  func macroCodesIndexTheDeclaredCandidatesWhateverTheRuleExcludes() throws {
    let path = repoRoot + "/Tests/NASCSearchTests/Spaces/macro-without-identity.yaml"
    let ir = try #require(Compiler.compile(path: path).ir)
    let table = try TabularBenchmark.load("nas-bench-macro:" + repoRoot + "/../shared/data/nas-bench-macro")
    let e = try TableEvaluator(ir: ir, table: table)
    var d = [String: Architecture.Value]()
    for u in e.space.units { d[u.key] = .op("ir_5x5_t6") }
    #expect(e.key(Architecture(decisions: d)) == "22222222")
    #expect(try e.score(Architecture(decisions: d)).signal == table.lookup("22222222")?.signal)
  }

  @Test(.enabled(if: BaselineTests.tableAtHand))
  func onTheNB201TableEvolutionBeatsRandomSearch() throws {
    let ir = try #require(Compiler.compile(path: Self.nb201Path, options: CompileOptions(method: "evolution")).ir)
    var run = RunSettings(benchmark: "nb201:" + repoRoot + "/../shared/data/nas-bench-201/nb201.csv")
    let evo = try SeedSweep.run(ir: ir, run: run, seeds: Array(1...100)).summary
    let rir = try #require(Compiler.compile(path: Self.nb201Path, options: CompileOptions(method: "random")).ir)
    run.seed = 1
    let rs = try SeedSweep.run(ir: rir, run: run, seeds: Array(1...100)).summary
    #expect(evo.column == "analognas_c10_baseline_200ep")
    // 100 queries: REA ≈ 93.6, RS ≈ 93.4 (500 seeds: 93.61 ± 0.36 and 93.41 ± 0.34).
    #expect(evo.mean > rs.mean + 0.05)
    #expect((93.3...93.9).contains(evo.mean) && (93.1...93.7).contains(rs.mean))
  }

  @Test(.enabled(if: BaselineTests.tableAtHand))
  func anArchitectureTheTableLacksIsAnErrorWithItsString() throws {
    let ir = try #require(Compiler.compile(path: Self.nb201Path).ir)
    let table = try TabularBenchmark.load("nb201:" + repoRoot + "/../shared/data/nas-bench-201/nb201.csv")
    let e = try TableEvaluator(ir: ir, table: table)
    let bogus = Architecture(decisions: ["cell.edge[0→1].op": .op("nor_conv_7x7")])
    #expect(throws: RunError.self) { try e.score(bogus) }
    do { _ = try e.score(bogus) } catch let err as RunError { #expect(err.code == "E212") }
    // The macro table does not describe the NB201 space.
    let macro = try TabularBenchmark.load("nas-bench-macro:" + repoRoot + "/../shared/data/nas-bench-macro")
    #expect(throws: RunError.self) { try TableEvaluator(ir: ir, table: macro) }
  }

  @Test(.enabled(if: BaselineTests.tableAtHand))
  func evolutionRunsOnNASBenchMacro() throws {
    let path = repoRoot + "/spaces/nas-bench-macro.yaml"
    let ir = try #require(Compiler.compile(path: path, options: CompileOptions(method: "evolution")).ir)
    let run = RunSettings(benchmark: "nas-bench-macro:" + repoRoot + "/../shared/data/nas-bench-macro")
    let (rows, summary) = try SeedSweep.run(ir: ir, run: run, seeds: [1, 2, 3])
    #expect(rows.allSatisfy { $0.arch.contains("layer") && ($0.reported ?? 0) > 90 })
    #expect(summary.column == "mean_acc")
  }
}

@Suite struct SettingsThatWouldTrapTests {
  static func code(_ body: () throws -> Void) -> String? {
    do { try body() } catch let e as RunError { return e.code } catch { return "other" }
    return nil
  }

  @Test func badMethodSettingsAreErrorsNotTraps() throws {
    let ir = try #require(Compiler.compile(path: repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml").ir)
    let gdas = try #require(
      Compiler.compile(
        path: repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml", options: CompileOptions(method: "gdas")
      ).ir)
    // A Gumbel temperature of 0, and Nesterov momentum without momentum.
    #expect(Self.code { _ = try supernetMethod(gdas, batch: 8, seed: 1, set: ["tau_min": .real(0)]) } == "E310")
    #expect(Self.code { _ = try supernetMethod(gdas, batch: 8, seed: 1, set: ["w_momentum": .real(0)]) } == "E310")
    // More classes in the data than the space classifies into.
    var two = ir
    two.network.classes = 2
    let data = SearchBenchmark.syntheticData(shape: ir.network.input, classes: 10, batch: 8, seed: 1)
    #expect(Self.code { try SearchDriver.checkInput(data, fits: two) } == "E206")
  }

  @Test func aRuleThatExcludesEveryOpLeavesNothingToSample() throws {
    let path = repoRoot + "/spaces/nas-bench-201.yaml"
    let ir = try #require(Compiler.compile(path: path, options: CompileOptions(method: "random")).ir)
    var rule = ir.derive
    rule.exclude = ["none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"]
    let e = FakeEvaluator(space: ArchSpace(ir: ir, rule: rule)) { _ in 0 }
    let context = MethodContext(ir: ir, config: try #require(ir.method), run: RunSettings(), data: nil, evaluator: e)
    #expect(Self.code { _ = try RandomSearch(context) } == "E310")
  }
}
