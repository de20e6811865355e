import Foundation
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// Latency lookup tables: keys that a supernet and its decided networks share, the file format,
/// and the coded errors of tables that cannot serve.
@Suite("Latency tables")
struct LatencyTableTests {
  /// Decided architectures of `space` drawn with `seed`, compiled.
  static func decided(_ space: String, seeds: [UInt64]) throws -> [SpaceIR] {
    let ir = try compileSpace(space)
    let archSpace = ArchSpace(ir: ir)
    return try seeds.map { seed in
      var rng = RNG(seed: seed)
      let a = archSpace.sample(rng: &rng)
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lat-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      let path = dir.appendingPathComponent("arch.yaml").path
      try archSpace.archDocument(a, spacePath: repoRoot + "/spaces/" + space, header: []).write(
        toFile: path, atomically: true, encoding: .utf8)
      let r = Compiler.compile(path: repoRoot + "/spaces/" + space, options: CompileOptions(arch: path))
      for d in r.diagnostics where d.severity == .error { Issue.record("\(d.message)") }
      return try #require(r.ir)
    }
  }

  /// Every block of a decided network is a block of its supernet's table (BN affine or not, at
  /// every width a width choice gives), so a table measured on the space serves every architecture.
  @Test(arguments: ["proxylessnas-digits.yaml", "widths-digits.yaml", "spos-channels-digits.yaml"])
  func decidedBlocksAreInTheSpacesTable(_ space: String) throws {
    let supernet = try compileSpace(space).network.latencyBlocks()
    #expect(supernet.unsupported == nil)
    let keys = Set(supernet.blocks.map(\.key))
    for ir in try Self.decided(space, seeds: [1, 2, 3, 4]) {
      let (blocks, unsupported) = ir.network.latencyBlocks()
      #expect(unsupported == nil)
      for b in blocks { #expect(keys.contains(b.key), "\(b.name): \(b.key)") }
    }
  }

  @Test func keysNameWiringResidualButNotAffine() throws {
    let ir = try compileSpace("proxylessnas-digits.yaml")
    let layer = ir.layers[1]
    let key = layer.candidates[0].graph.latencyKey(residual: true)
    #expect(key.hasPrefix("in 16x8x8 | conv 16->48 k1x1") && key.hasSuffix("+skip"))
    #expect(!key.contains("affine"))
    // Cell spaces are not timed block by block.
    #expect(try compileSpace("darts-digits.yaml").network.latencyBlocks().unsupported == "cells")
  }

  static func table(_ entries: [(String, Double)], cpu: String = LatencyMeter.cpuModel()) -> LatencyTable {
    LatencyTable(
      conditions: .init(threads: 2, batch: 1, cpu: cpu, nascVersion: "0.1.0", date: "now"),
      entries: entries.map {
        .init(key: $0.0, name: $0.0, ms: $0.1, minMs: $0.1, maxMs: $0.1, runs: 1, params: 0, macs: 0)
      })
  }

  @Test func fileRoundTripAndErrors() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lut-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent("lut.json").path
    let t = Self.table([("b", 2), ("a", 1), ("c", 0.5)])
    try t.encoded().write(to: URL(fileURLWithPath: path))
    let back = try LatencyTable.read(from: path)
    #expect(back == t && back.entries.map(\.key) == ["a", "b", "c"] && back.entry("c")?.ms == 0.5)
    #expect(back.entry("d") == nil)
    // Unreadable, not a table, a negative time: E318.
    for text in [
      "{", "{\"format\": 1}",
      String(decoding: try t.encoded(), as: UTF8.self).replacingOccurrences(of: "\"ms\" : 2", with: "\"ms\" : -2"),
      String(decoding: try t.encoded(), as: UTF8.self).replacingOccurrences(of: "\"batch\" : 1", with: "\"batch\" : 0"),
    ] {
      try text.write(toFile: path, atomically: true, encoding: .utf8)
      #expect(throws: RunError.self) { try LatencyTable.read(from: path) }
      do { _ = try LatencyTable.read(from: path) } catch let e as RunError { #expect(e.code == "E318") }
    }
    do { _ = try LatencyTable.read(from: path + ".missing") } catch let e as RunError { #expect(e.code == "E318") }
  }

  /// A prediction sums the blocks' entries; a block the table lacks is E319 naming it; a table of
  /// other conditions is E320 unless allowed.
  @Test func predictionAndCheckErrors() throws {
    let ir = try Self.decided("proxylessnas-digits.yaml", seeds: [5])[0]
    let blocks = ir.network.latencyBlocks().blocks
    let full = Self.table(blocks.enumerated().map { ($0.element.key, Double($0.offset + 1)) })
    #expect(try full.predict(blocks, path: "t") == Double(blocks.count * (blocks.count + 1) / 2))
    let partial = Self.table(blocks.dropLast().map { ($0.key, 1) })
    do {
      _ = try partial.predict(blocks, path: "t")
      Issue.record("a missing block was not reported")
    } catch let e as RunError {
      #expect(e.code == "E319" && e.message.contains(blocks.last!.name))
    }
    let other = Self.table(blocks.map { ($0.key, 1) }, cpu: "Another CPU")
    do {
      _ = try LatencyDriver.check(ir, table: other, tablePath: "t")
      Issue.record("other conditions were accepted")
    } catch let e as RunError {
      #expect(e.code == "E320" && e.message.contains("Another CPU"))
    }
    // A table measured by another build of nasc (the tests run a debug one).
    var otherBuild = Self.table(blocks.map { ($0.key, 1) })
    otherBuild.conditions.build = LatencyMeter.buildKind == "debug" ? "release" : "debug"
    do {
      _ = try LatencyDriver.check(ir, table: otherBuild, tablePath: "t")
      Issue.record("a table of another build was accepted")
    } catch let e as RunError {
      #expect(e.code == "E320" && e.message.contains("build"))
    }
    // A search space is not a decided network.
    do {
      _ = try LatencyDriver.check(try compileSpace("proxylessnas-digits.yaml"), table: full, tablePath: "t")
      Issue.record("a space was checked")
    } catch let e as RunError { #expect(e.code == "E313") }
  }

  /// A search reads its layers' costs from a table: the entries per candidate (0 for zero) and the
  /// fixed parts; a table of another processor is E320 unless `latency_conditions=any`; a block the
  /// table lacks is E319.
  @Test func searchCostsFromATable() throws {
    let ir = try compileSpace("proxylessnas-digits.yaml")
    let blocks = ir.network.latencyBlocks().blocks
    let dir = try TempDir()
    let path = dir.path + "/lut.json"
    func costs(_ t: LatencyTable, any: Bool = false) throws -> LayerCosts {
      try t.encoded().write(to: URL(fileURLWithPath: path))
      return try LayerCosts(ir: ir, tablePath: path, anyConditions: any, macUnit: ("MMACs", 1e6), method: "m")
    }
    let c = try costs(Self.table(blocks.map { ($0.key, 2) }))
    #expect(c.measured && c.unit == "ms" && c.layers.count == 6)
    for l in c.layers {
      let names = try #require(ir.choicePoint(l.id)?.candidates)
      #expect(zip(names, l.costs).allSatisfy { $0.0 == "zero" ? $0.1 == 0 : $0.1 == 2 }, "\(l.id)")
    }
    // Stem, feature mix and head: three fixed blocks of 2 ms.
    #expect(c.fixed == 6 && c.cheapest == 6 + 2 * 2 && c.largest == 6 + 6 * 2)
    do {
      _ = try costs(Self.table(blocks.map { ($0.key, 2) }, cpu: "Another CPU"))
      Issue.record("a table of another processor was searched against")
    } catch let e as RunError {
      #expect(e.code == "E320" && e.message.contains("Another CPU") && e.help.contains("latency_conditions=any"))
    }
    #expect(try costs(Self.table(blocks.map { ($0.key, 2) }, cpu: "Another CPU"), any: true).fixed == 6)
    do {
      _ = try costs(Self.table(blocks.dropLast().map { ($0.key, 2) }))
      Issue.record("a missing block was not reported")
    } catch let e as RunError {
      #expect(e.code == "E319" && e.help.contains("nasc latency"))
    }
  }

  @Test func timingIsTheMedianOfTheRuns() {
    var n = 0
    let t = LatencyMeter.time(warmup: 2, minRuns: 5, minSeconds: 0, maxRuns: 5) { n += 1 }
    #expect(n == 7 && t.runs == 5 && t.minMs <= t.ms && t.ms <= t.maxMs)
  }
}

/// `nasc latency` as a user runs it: a table of a space, a check of an architecture against it,
/// and the coded errors of a missing table and a cell space.
@Suite("nasc latency command")
struct LatencyCommandTests {
  @Test func measureThenCheck() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("latcmd-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let lut = dir + "/lut.json"
    let space = repoRoot + "/spaces/proxylessnas-digits.yaml"
    let m = try runNasc(["latency", space, "--out", lut, "--batch", "2"])
    #expect(m.status == 0, "\(m.stderr)")
    let table = try LatencyTable.read(from: lut)
    #expect(table.conditions.batch == 2 && table.conditions.threads == 2)
    #expect(table.entries.count == (try compileSpace("proxylessnas-digits.yaml")).network.latencyBlocks().blocks.count)
    let ir = try LatencyTableTests.decided("proxylessnas-digits.yaml", seeds: [9])[0]
    // An arch document names its space inside its own project (E062): beside it, as a run's copy is.
    let arch = dir + "/arch.yaml"
    for f in ["proxylessnas-digits.yaml", "proxylessnas.yaml"] {
      try FileManager.default.copyItem(atPath: repoRoot + "/spaces/" + f, toPath: dir + "/" + f)
    }
    let archSpace = ArchSpace(ir: try compileSpace("proxylessnas-digits.yaml"))
    var rng = RNG(seed: 9)
    try archSpace.archDocument(archSpace.sample(rng: &rng), spacePath: "proxylessnas-digits.yaml", header: []).write(
      toFile: arch, atomically: true, encoding: .utf8)
    #expect(ir.mode == .fixed)
    let c = try runNasc(["latency", "--check", arch, "--lut", lut])
    #expect(c.status == 0, "\(c.stderr)")
    #expect(c.stdout.hasPrefix("predicted ") && c.stdout.contains("measured ") && c.stdout.contains("error "))
    let missing = try runNasc(["latency", "--check", arch, "--lut", dir + "/none.json"])
    #expect(missing.status == 1 && missing.stderr.contains("E318"))
    let cells = try runNasc(["latency", repoRoot + "/spaces/darts-digits.yaml", "--out", dir + "/x.json"])
    #expect(cells.status == 1 && cells.stderr.contains("E310"))
    let both = try runNasc(["latency"])
    #expect(both.status == 2)
  }
}
