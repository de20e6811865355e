import Foundation
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// End-to-end tests of `nasc search` as a user runs it: the built `nasc` executable in a subprocess.
@Suite(.serialized) struct SearchCommandTests {
  static let tiny = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml"
  static let args = ["--limit", "64", "--epochs", "3", "--seed", "7"]

  @Test func resumeAfterKillMinus9IsBitIdentical() throws {
    let dir = try TempDir()
    let full = dir.path + "/full", cut = dir.path + "/cut"
    let a = try runNasc(["search", Self.tiny, "--out", full] + Self.args)
    #expect(a.status == 0, "\(a.stderr)")
    // Start the same run, kill it hard once the first epoch is written, then resume.
    let p = try startNasc(["search", Self.tiny, "--out", cut] + Self.args)
    let metrics = cut + "/metrics.jsonl"
    let deadline = Date().addingTimeInterval(300)
    while Date() < deadline {
      if let text = try? String(contentsOfFile: metrics, encoding: .utf8), !text.isEmpty { break }
      usleep(20_000)
    }
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    let b = try runNasc(["search", Self.tiny, "--out", cut, "--resume"])
    #expect(b.status == 0, "\(b.stderr)")
    #expect(try contents(full + "/arch.yaml") == contents(cut + "/arch.yaml"))
    #expect(try finalAlpha(full) == finalAlpha(cut))
    #expect(try finalAlpha(full).count == 28)
  }

  @Test func interruptSavesMidEpochAndResumeMatches() throws {
    let dir = try TempDir()
    let full = dir.path + "/full", cut = dir.path + "/cut"
    let a = try runNasc(["search", Self.tiny, "--out", full] + Self.args)
    #expect(a.status == 0)
    let p = try startNasc(["search", Self.tiny, "--out", cut] + Self.args)
    let deadline = Date().addingTimeInterval(300)
    while Date() < deadline && !FileManager.default.fileExists(atPath: cut + "/manifest.json") { usleep(20_000) }
    usleep(300_000)
    kill(p.processIdentifier, SIGINT)
    p.waitUntilExit()
    if p.terminationStatus == 130 {
      let b = try runNasc(["search", Self.tiny, "--out", cut, "--resume"])
      #expect(b.status == 0, "\(b.stderr)")
      #expect(b.stderr.contains("resuming"))
    }
    // Either the run finished before the signal (exit 0) or it was resumed: the result is the same.
    #expect(try contents(full + "/arch.yaml") == contents(cut + "/arch.yaml"))
    #expect(try finalAlpha(full) == finalAlpha(cut))
  }

  @Test func trainResumeAfterKillMinus9IsBitIdentical() throws {
    let dir = try TempDir()
    let full = dir.path + "/full", cut = dir.path + "/cut"
    let args = [
      Self.tiny, "--arch", "DARTS_V2", "--limit", "200", "--epochs", "3", "--batch-size", "16", "--seed", "4",
    ]
    let a = try runNasc(["train"] + args + ["--out", full])
    #expect(a.status == 0, "\(a.stderr)")
    #expect(a.stdout.hasPrefix("test accuracy "))
    let p = try startNasc(["train"] + args + ["--out", cut])
    let deadline = Date().addingTimeInterval(300)
    while Date() < deadline {
      if let text = try? String(contentsOfFile: cut + "/metrics.jsonl", encoding: .utf8), !text.isEmpty { break }
      usleep(20_000)
    }
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    let b = try runNasc(["train"] + args + ["--out", cut, "--resume"])
    #expect(b.status == 0, "\(b.stderr)")
    #expect(a.stdout == b.stdout)
    let (ta, _) = try Safetensors.read(from: URL(fileURLWithPath: full + "/checkpoint.safetensors"))
    let (tb, _) = try Safetensors.read(from: URL(fileURLWithPath: cut + "/checkpoint.safetensors"))
    #expect(ta.keys.sorted() == tb.keys.sorted())
    for (k, v) in ta { #expect(tb[k]?.scalars == v.scalars, "\(k)") }
    // Another network with the same weight shapes (max pooling turned into average pooling) cannot
    // continue the run.
    let v2 = try #require(DartsGenotype.published["DARTS_V2"])
    #expect(v2.contains("max_pool_3x3"))
    let other = v2.replacingOccurrences(of: "max_pool_3x3", with: "avg_pool_3x3")
    let c = try runNasc(["train", Self.tiny, "--arch", other, "--out", cut, "--resume"])
    #expect(c.status == 1)
    #expect(c.stderr.contains("error[E304]") && c.stderr.contains("another network"))
  }

  /// A fixed network declared for another input (32×32 RGB, 100 classes, convs with bias as in
  /// FBNet's blocks) is refused on digits with a hint, and trains there with `--fit-data`.
  @Test func trainFitsAFixedNetworkToTheDataSet() throws {
    let dir = try TempDir()
    let space = dir.path + "/net.yaml"
    try """
    nasc: 1
    name: biased
    input: {channels: 3, size: 32, classes: 100}
    network:
      stem: [{conv: {out: 8, kernel: 3, stride: 2, bias: true}}, bn, relu]
      body:
        - {layer: {op: mbconv, with: {k: 3, e: 3}}, out: 8}
        - {name: last, steps: [{conv: {out: 16, kernel: 1, bias: true}}, bn, relu]}
      head: [global_avg_pool, linear]
    """.write(toFile: space, atomically: true, encoding: .utf8)
    let args = ["train", "--arch", space, "--limit", "64", "--epochs", "1", "--batch-size", "16"]
    let refused = try runNasc(args + ["--out", dir.path + "/a"])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("error[E206]") && refused.stderr.contains("--fit-data"))
    let fitted = try runNasc(args + ["--out", dir.path + "/b", "--fit-data"])
    #expect(fitted.status == 0, "\(fitted.stderr)")
    #expect(fitted.stderr.contains("1x8x8 images and 10 classes"))
    // 3·3·1·8 + 8 (stem, bias) + 16 (BN) + mbconv 8→24→8 (192 + 48 + 216 + 48 + 192 + 16) + 8·16 + 16 + 32
    // + linear 16·10 + 10
    #expect(
      fitted.stdout.hasPrefix("test accuracy ") && fitted.stdout.contains("(1154 parameters)"), "\(fitted.stdout)")
  }

  @Test func runDirectoryIsSelfContainedAndArchFileIndependentOfItsPlace() throws {
    let dir = try TempDir()
    // A project of its own: a space that extends a library file.
    let proj = dir.path + "/proj/spaces"
    try FileManager.default.createDirectory(atPath: proj + "/lib", withIntermediateDirectories: true)
    let tinyText = try String(contentsOfFile: Self.tiny, encoding: .utf8)
      .replacingOccurrences(of: "../../../spaces/lib/darts-cells.yaml", with: "lib/darts-cells.yaml")
    try tinyText.write(toFile: proj + "/tiny.yaml", atomically: true, encoding: .utf8)
    try FileManager.default.copyItem(
      atPath: repoRoot + "/spaces/lib/darts-cells.yaml", toPath: proj + "/lib/darts-cells.yaml")
    let near = dir.path + "/a", far = dir.path + "/x/y/z/b"
    let args = ["--limit", "64", "--epochs", "1", "--seed", "3"]
    let a = try runNasc(["search", proj + "/tiny.yaml", "--out", near] + args)
    let b = try runNasc(["search", proj + "/tiny.yaml", "--out", far] + args)
    #expect(a.status == 0 && b.status == 0, "\(a.stderr)\(b.stderr)")
    let arch = try String(contentsOfFile: near + "/arch.yaml", encoding: .utf8)
    #expect(arch.contains("space: space/tiny.yaml"))
    #expect(try contents(near + "/arch.yaml") == contents(far + "/arch.yaml"))
    // The original space is gone: the run still trains, re-derives and resumes from its copy.
    try FileManager.default.removeItem(atPath: dir.path + "/proj")
    let t = try runNasc([
      "train", "--arch", near + "/arch.yaml", "--limit", "32", "--epochs", "1", "--out", dir.path + "/t",
    ])
    #expect(t.status == 0, "\(t.stderr)")
    let d = try runNasc(["derive", near, "--write"])
    #expect(d.status == 0, "\(d.stderr)")
    let r = try runNasc(["search", near + "/space/tiny.yaml", "--out", near, "--resume"])
    #expect(r.status == 0, "\(r.stderr)")
    // Another --method on resume is ignored with a note: the run keeps its method and derive rule.
    let m = try runNasc(["search", near + "/space/tiny.yaml", "--out", near, "--resume", "--method", "gdas"])
    #expect(m.status == 0, "\(m.stderr)")
    #expect(m.stderr.contains("--method ignored"))
    #expect(try contents(near + "/arch.yaml") == contents(far + "/arch.yaml"))
    // Resuming with another space names the copy to use.
    let other = try runNasc(["search", repoRoot + "/spaces/darts-digits.yaml", "--out", far, "--resume"])
    #expect(other.status == 1)
    #expect(other.stderr.contains("error[E304]") && other.stderr.contains("space/tiny.yaml"))
    // A run killed before its first checkpoint leaves only its manifest and space copy: the same
    // command starts it again.
    for e in try FileManager.default.contentsOfDirectory(atPath: far) where e != "manifest.json" && e != "space" {
      try FileManager.default.removeItem(atPath: far + "/" + e)
    }
    let again = try runNasc(["search", near + "/space/tiny.yaml", "--out", far] + args)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try contents(near + "/arch.yaml") == contents(far + "/arch.yaml"))
  }

  @Test func badInputsEndWithClearErrorsAndKeepCheckpoints() throws {
    let dir = try TempDir()
    // Missing data set directory.
    let r1 = try runNasc(["search", Self.tiny, "--out", dir.path + "/a", "--data", "idx:/nonexistent"])
    #expect(r1.status == 1)
    #expect(r1.stderr.contains("error[E201]"))
    // NaN loss: clear error, and the checkpoint of the epochs before it stays.
    let nan = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits-nan.yaml"
    let r2 = try runNasc(["search", nan, "--out", dir.path + "/b", "--limit", "64"])
    #expect(r2.status == 1)
    #expect(r2.stderr.contains("error[E401]"))
    // A checkpoint from another space.
    let ok = try runNasc(["search", Self.tiny, "--out", dir.path + "/c", "--limit", "64", "--epochs", "1"])
    #expect(ok.status == 0)
    let before = try contents(dir.path + "/c/checkpoint.safetensors")
    let r3 = try runNasc(["search", repoRoot + "/spaces/darts-digits.yaml", "--out", dir.path + "/c", "--resume"])
    #expect(r3.status == 1)
    #expect(r3.stderr.contains("error[E304]"))
    #expect(try contents(dir.path + "/c/checkpoint.safetensors") == before)
    // A corrupt checkpoint.
    FileManager.default.createFile(atPath: dir.path + "/c/checkpoint.safetensors", contents: Data("garbage".utf8))
    let r4 = try runNasc(["search", Self.tiny, "--out", dir.path + "/c", "--resume"])
    #expect(r4.status == 1)
    #expect(r4.stderr.contains("error[E303]"))
    // A run that cannot start (the NB201 table does not describe this space) leaves no directory.
    let r6 = try runNasc(["search", Self.tiny, "--method", "random", "--benchmark", "nb201", "--out", dir.path + "/d"])
    #expect(r6.status == 1)
    #expect(r6.stderr.contains("error[E211]") || r6.stderr.contains("error[E209]"))
    #expect(!FileManager.default.fileExists(atPath: dir.path + "/d"))
    // A non-empty --out without --resume.
    let r5 = try runNasc(["search", Self.tiny, "--out", dir.path + "/c"])
    #expect(r5.status == 1)
    #expect(r5.stderr.contains("error[E302]"))
  }

  @Test func evolutionWithStandaloneTrainingResumesBitIdenticallyMidGeneration() throws {
    let dir = try TempDir()
    let full = dir.path + "/full", cut = dir.path + "/cut"
    let args = [
      "--method", "evolution", "--budget", "6", "--set", "population=3", "--set", "train_epochs=1", "--limit", "120",
      "--seed", "5",
    ]
    let a = try runNasc(["search", Self.tiny, "--out", full] + args)
    #expect(a.status == 0, "\(a.stderr)")
    #expect(a.stderr.contains("evolve: cycle 3/3"))
    // Kill the same run hard while it trains the child of the first or second cycle.
    let p = try startNasc(["search", Self.tiny, "--out", cut] + args)
    let deadline = Date().addingTimeInterval(300)
    while Date() < deadline {
      let text = (try? String(contentsOfFile: cut + "/metrics.jsonl", encoding: .utf8)) ?? ""
      if text.split(separator: "\n").count >= 4 { break }
      usleep(20_000)
    }
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    let b = try runNasc(["search", Self.tiny, "--out", cut, "--resume"])
    #expect(b.status == 0, "\(b.stderr)")
    #expect(b.stderr.contains("resuming") && b.stderr.contains("evolve"))
    #expect(try contents(full + "/arch.yaml") == contents(cut + "/arch.yaml"))
    #expect(try metricsWithoutTimes(full) == metricsWithoutTimes(cut))
    #expect(try metricsWithoutTimes(full).count == 6)
  }

  @Test func pDartsResumesBitIdenticallyAcrossAStageBoundaryAndMidStage() throws {
    let space = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-pdarts.yaml"
    let dir = try TempDir()
    let full = dir.path + "/full"
    let args = ["--limit", "64", "--seed", "3"]
    let a = try runNasc(["search", space, "--out", full] + args)
    #expect(a.status == 0, "\(a.stderr)")
    #expect(a.stderr.contains("stage 3 (4 cells): epoch 2/2"))
    // Pruning 8 → 5 → 3 ops per edge, recorded per epoch.
    let lines = try String(contentsOfFile: full + "/metrics.jsonl", encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 6)
    for (i, want) in [8, 8, 5, 5, 3, 3].enumerated() {
      let m = try JSONDecoder().decode(Metrics.self, from: Data(lines[i].utf8))
      guard case .map(let alive)? = m["alive"], case .text(let ops)? = alive["normal.edge[0→2].op"] else {
        Issue.record("no alive ops in epoch \(i)")
        continue
      }
      #expect(ops.split(separator: ",").count == want)
    }
    // The derived normal cell has at most 2 skip connections.
    let genotype = try String(contentsOfFile: full + "/genotype.txt", encoding: .utf8)
    let normal = try DartsGenotype.parse(genotype.trimmingCharacters(in: .whitespacesAndNewlines)).normal
    #expect(normal.filter { $0.op == "skip_connect" }.count <= 2)
    // Killed (SIGKILL) right after the checkpoint that ends stage 1, and in the middle of stage 2.
    for unit in [2, 3] {
      let cut = dir.path + "/cut\(unit)"
      let p = Process()
      p.executableURL = URL(fileURLWithPath: nascExecutable)
      p.arguments = ["search", space, "--out", cut] + args
      p.environment = ProcessInfo.processInfo.environment.merging(["NASC_TEST_KILL_AFTER_UNIT": "\(unit)"]) { $1 }
      p.standardError = FileHandle.nullDevice
      try p.run()
      p.waitUntilExit()
      #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL)
      let b = try runNasc(["search", space, "--out", cut, "--resume"])
      #expect(b.status == 0, "\(b.stderr)")
      #expect(try contents(full + "/arch.yaml") == contents(cut + "/arch.yaml"))
      #expect(try metricsWithoutTimes(full) == metricsWithoutTimes(cut))
      #expect(try finalAlpha(full) == finalAlpha(cut))
    }
    // Keeping a single op from the first stage on never leaves an edge with only `none`.
    let one = try runNasc(["search", space, "--out", dir.path + "/one", "--set", "num_to_keep=[1, 1, 1]"] + args)
    #expect(one.status == 0, "\(one.stderr)")
    let oneGenotype = try String(contentsOfFile: dir.path + "/one/genotype.txt", encoding: .utf8)
    #expect(!oneGenotype.contains("'none'"))
    // `nasc derive` reads α and the switches without building the run, and agrees; the result trains.
    let d = try runNasc(["derive", full])
    #expect(d.status == 0, "\(d.stderr)")
    #expect(d.stdout.contains(genotype.trimmingCharacters(in: .whitespacesAndNewlines)))
    let t = try runNasc([
      "train", "--arch", full + "/arch.yaml", "--limit", "32", "--epochs", "1", "--out", dir.path + "/t",
    ])
    #expect(t.status == 0, "\(t.stderr)")
    #expect(t.stdout.hasPrefix("test accuracy "))
  }

  /// examples/squeeze-excite.yaml multiplies an 8x8 map by a sigmoid gate that `linear` made an
  /// [N, C] vector (it broadcasts over height and width). Trained with `se` on every searchable layer
  /// it runs one epoch to a finite loss, and a DARTS search (which runs every candidate, `se`
  /// included, on every step) derives an architecture.
  @Test func squeezeExciteGateBroadcastsInTrainingAndSearch() throws {
    let dir = try TempDir()
    let arch = repoRoot + "/Tests/NASCSearchTests/Spaces/squeeze-excite-se-arch.yaml"
    let t = try runNasc([
      "train", "--arch", arch, "--limit", "64", "--epochs", "1", "--batch-size", "16", "--out", dir.path + "/train",
    ])
    #expect(t.status == 0, "\(t.stderr)")
    #expect(t.stdout.hasPrefix("test accuracy ") && t.stdout.contains("(6870 parameters)"), "\(t.stdout)")
    let epoch = try String(contentsOfFile: dir.path + "/train/metrics.jsonl", encoding: .utf8)
    #expect(!epoch.isEmpty && !epoch.contains("nan") && !epoch.contains("inf"), "\(epoch)")
    let s = try runNasc([
      "search", repoRoot + "/examples/squeeze-excite.yaml", "--method", "darts", "--epochs", "1", "--limit", "64",
      "--out", dir.path + "/search",
    ])
    #expect(s.status == 0, "\(s.stderr)")
    #expect(s.stderr.contains("epoch 1/1"), "\(s.stderr)")
    let derived = try String(contentsOfFile: dir.path + "/search/arch.yaml", encoding: .utf8)
    for id in ["layer[0].op", "layer[1].op", "layer[2].op", "layer[3].k"] {
      #expect(derived.contains(id + ": "), "\(derived)")
    }
  }

  @Test func seedSweepOnTheNB201TablePrintsOneJSONLinePerSeed() throws {
    let table = repoRoot + "/../shared/data/nas-bench-201/nb201.csv"
    guard FileManager.default.fileExists(atPath: table) else { return }
    let r = try runNasc([
      "search", repoRoot + "/spaces/nas-bench-201.yaml", "--method", "evolution", "--benchmark", "nb201:" + table,
      "--budget", "50", "--seeds", "1-3", "--json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stdout.split(separator: "\n").map(String.init)
    #expect(lines.count == 4)
    for (i, line) in lines.prefix(3).enumerated() {
      let row = try JSONDecoder().decode(SeedSweep.Row.self, from: Data(line.utf8))
      #expect(
        row.seed == UInt64(i + 1) && row.arch.hasPrefix("|") && (row.reported ?? 0) > 80 && (row.signal ?? 0) > 60)
    }
    #expect(lines[3].contains("\"column\": \"analognas_c10_baseline_200ep\""))
    // Killed right after its last checkpoint, a resumed run still writes every metrics line.
    let nb = repoRoot + "/spaces/nas-bench-201.yaml"
    let args = ["--method", "evolution", "--benchmark", "nb201:" + table, "--budget", "12", "--set", "population=4"]
    let dir = try TempDir()
    let full = try runNasc(["search", nb, "--out", dir.path + "/full"] + args)
    #expect(full.status == 0, "\(full.stderr)")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: nascExecutable)
    p.arguments = ["search", nb, "--out", dir.path + "/cut"] + args
    p.environment = ProcessInfo.processInfo.environment.merging(["NASC_TEST_KILL_AFTER_UNIT": "12"]) { $1 }
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    #expect(p.terminationReason == .uncaughtSignal)
    let resumed = try runNasc(["search", nb, "--out", dir.path + "/cut", "--resume"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(try metricsWithoutTimes(dir.path + "/full") == metricsWithoutTimes(dir.path + "/cut"))
    #expect(try metricsWithoutTimes(dir.path + "/cut").count == 12)
    #expect(try contents(dir.path + "/full/arch.yaml") == contents(dir.path + "/cut/arch.yaml"))
    // Misspelt names get a did-you-mean on the command line, in --set and for the table.
    let m = try runNasc(["search", repoRoot + "/spaces/nas-bench-201.yaml", "--method", "evolutoin"])
    #expect(m.status == 2 && m.stderr.contains("did you mean 'evolution'?"))
    let k = try runNasc(["search", repoRoot + "/spaces/nas-bench-201.yaml", "--method", "random", "--set", "budgte=3"])
    #expect(k.status == 1 && k.stderr.contains("did you mean 'budget'?"))
    let t = try runNasc([
      "search", repoRoot + "/spaces/nas-bench-201.yaml", "--method", "random", "--benchmark", "nb210",
    ])
    #expect(t.status == 1 && t.stderr.contains("error[E208]") && t.stderr.contains("did you mean 'nb201'?"))
  }

  /// The lines of a run's metrics.jsonl without their timings.
  func metricsWithoutTimes(_ run: String) throws -> [String] {
    try String(contentsOfFile: run + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").map {
      $0.replacingOccurrences(of: #""seconds":[0-9.e+-]+"#, with: "", options: .regularExpression)
    }
  }

  func finalAlpha(_ run: String) throws -> [String: [Float]] {
    let (t, _) = try Safetensors.read(from: URL(fileURLWithPath: run + "/checkpoint.safetensors"))
    var out = [String: [Float]]()
    for (k, v) in t where k.hasPrefix("arch/") { out[k] = v.scalars }
    return out
  }

  func contents(_ path: String) throws -> Data { try #require(FileManager.default.contents(atPath: path)) }
}

/// The `nasc` executable built beside the test bundle.
let nascExecutable: String = {
  let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  return dir.appendingPathComponent("nasc").path
}()

func startNasc(_ args: [String]) throws -> Process {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: nascExecutable)
  p.arguments = args
  p.standardOutput = FileHandle.nullDevice
  p.standardError = FileHandle.nullDevice
  try p.run()
  return p
}

func runNasc(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: nascExecutable)
  p.arguments = args
  let out = Pipe(), err = Pipe()
  p.standardOutput = out
  p.standardError = err
  try p.run()
  let o = out.fileHandleForReading.readDataToEndOfFile()
  let e = err.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}
