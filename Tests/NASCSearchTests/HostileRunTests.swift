import Foundation
import NASCSpace
import NASCTensor
import Testing

@testable import NASCSearch

/// Hostile run-time inputs on `nasc search`, `train` and `derive`, as a user types them (issue 16's
/// findings): each is a coded error with a non-zero exit that loses no earlier run, never a trap,
/// a hang or a silently wrong result.
@Suite(.serialized) struct HostileRunTests {
  static let tiny = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml"
  static let quick = ["--limit", "64", "--epochs", "1", "--seed", "3"]

  /// Runs nasc, killing it (and failing the test) if it has not ended after `seconds`.
  func runWithin(_ seconds: Double, _ args: [String]) throws -> (status: Int32, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: nascExecutable)
    p.arguments = args
    let err = Pipe()
    p.standardOutput = FileHandle.nullDevice
    p.standardError = err
    try p.run()
    let deadline = Date().addingTimeInterval(seconds)
    while p.isRunning && Date() < deadline { usleep(50_000) }
    if p.isRunning {
      kill(p.processIdentifier, SIGKILL)
      Issue.record("nasc \(args.joined(separator: " ")) still ran after \(seconds) s")
    }
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: e, as: UTF8.self))
  }

  @Test func gdasStopsWhenAlphaBecomesNaN() throws {
    let dir = try TempDir()
    let r = try runWithin(
      240, ["search", Self.tiny, "--method", "gdas", "--set", "arch_lr=1e38", "--out", dir.path + "/r"] + Self.quick)
    #expect(r.status == 1)
    #expect(r.stderr.contains("error[E401]: the architecture parameters became NaN or infinite"), "\(r.stderr)")
  }

  @Test func nonFiniteAndOutOfRangeSettingsAreRejectedBeforeAnythingIsWritten() throws {
    let dir = try TempDir()
    let cases: [(String, String, String)] = [
      ("darts", "arch_lr=nan", "'arch_lr' must be a finite number, found nan"),
      ("darts", "w_lr=inf", "'w_lr' must be a finite number, found inf"),
      ("darts", "arch_lr=1e999", "'arch_lr' must be a finite number"),
      ("pc-darts", "k=0", "'k' must be at least 1"),
      ("pc-darts", "w_momentum=2", "'w_momentum' must lie in [0, 1), not 2.0"),
      ("darts", "arch_betas=[0.5,1.5]", "'arch_betas' must be two numbers in [0, 1)"),
      // Counts whose products (epochs × batches) would overflow, reals Float turns into 0 or inf.
      ("darts", "epochs=1000000000000000000", "'epochs' must be at most 1000000000"),
      ("spos", "bn_recalibration_batches=1000000000000000000", "'bn_recalibration_batches' must be at most"),
      ("densenas", "softmax_temp=1e-300", "'softmax_temp' must be 0 or of magnitude 1e-37 to 1e38"),
    ]
    for (method, setting, message) in cases {
      let out = dir.path + "/" + setting
      let r = try runNasc(["search", Self.tiny, "--method", method, "--set", setting, "--out", out])
      #expect(r.status == 1, "\(setting)")
      #expect(r.stderr.contains("error[E052]: " + message), "\(setting): \(r.stderr)")
      #expect(!FileManager.default.fileExists(atPath: out), "\(setting) left \(out)")
    }
  }

  @Test func stageListsMustBeWholeNumbers() throws {
    let dir = try TempDir()
    for list in ["[2.7]", "[1e19]"] {
      let r = try runNasc(
        ["search", Self.tiny, "--method", "p-darts", "--set", "num_to_keep=" + list, "--out", dir.path + "/r"])
      #expect(r.status == 1)
      #expect(
        r.stderr.contains("error[E310]") && r.stderr.contains("a list of whole numbers in 1...1000"), "\(r.stderr)")
    }
  }

  @Test func hugeTargetsAndRankCountsAreRefused() throws {
    let target = try runNasc(["search", Self.tiny, "--method", "fairnas", "--target", "macs<=1e30"])
    #expect(target.status == 2, "\(target.stderr)")
    let rank = try runNasc(["rank", "/nonexistent", "--archs", "1000000000000000000"])
    #expect(rank.status == 2 && rank.stderr.contains("--archs must lie in 2...10000"), "\(rank.stderr)")
  }

  @Test func aUsersManifestIsNeverTakenForAnUnstartedRun() throws {
    let dir = try TempDir()
    let mine = dir.path + "/manifest.json"
    try #"{"project": "mine"}"#.write(toFile: mine, atomically: true, encoding: .utf8)
    let r = try runNasc(["search", Self.tiny, "--out", dir.path] + Self.quick)
    #expect(r.status == 1)
    #expect(r.stderr.contains("error[E302]") && r.stderr.contains("is not empty"), "\(r.stderr)")
    #expect(try text(mine) == #"{"project": "mine"}"#)
  }

  @Test func commandLineMisuseExitsTwo() throws {
    let published = try runNasc(["train", "--arch", "DARTS_V2"])
    #expect(published.status == 2)
    #expect(published.stderr.contains("nasc train spaces/darts-cnn.yaml --arch DARTS_V2"), "\(published.stderr)")
    let method = try runNasc(["search", Self.tiny, "--method", "dart"])
    #expect(method.status == 2)
    #expect(method.stderr.contains("unknown method 'dart'") && method.stderr.contains("'darts'"), "\(method.stderr)")
    let out = try runNasc(["search", Self.tiny, "--out", ""])
    #expect(out.status == 2)
    #expect(out.stderr.contains("--out needs a directory name"))
    let folder = try runNasc(["compile", repoRoot + "/spaces"])
    #expect(folder.status == 1)
    #expect(folder.stderr.contains("/spaces: error[E006]: cannot read"), "\(folder.stderr)")
    #expect(!folder.stderr.contains(":1:1"))
  }

  @Test func archDocumentsCannotNameASpaceOutsideTheirProject() throws {
    let dir = try TempDir()
    let project = dir.path + "/project", outside = dir.path + "/secret.yaml"
    try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
    try FileManager.default.createFile(atPath: project + "/.git", contents: Data())
    try "TOPSECRET-LINE: 1\n".write(toFile: outside, atomically: true, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: project + "/link.yaml", withDestinationPath: outside)
    for (space, why) in [
      (outside, "is absolute"), ("../secret.yaml", "leaves the project root"), ("link.yaml", "leaves"),
    ] {
      let doc = project + "/arch.yaml"
      try "nasc: 1\narch:\n  space: \(space)\n  choices: {}\n".write(toFile: doc, atomically: true, encoding: .utf8)
      let r = Compiler.compile(path: doc)
      let d = try #require(r.diagnostics.first { $0.code == .extendsEscapes }, "\(space): \(r.diagnostics)")
      #expect(d.message.contains(why))
      #expect(d.location.line == 3 && d.location.column == 10)
      #expect(!TextRenderer(sources: r.sources).render(r.diagnostics).contains("TOPSECRET"))
    }
  }

  @Test func aSpaceWithoutReductionCellsRoundTrips() throws {
    let dir = try TempDir()
    let space = repoRoot + "/Tests/NASCSearchTests/Spaces/no-reduction-digits.yaml"
    let r = try runNasc(["search", space, "--out", dir.path + "/r"] + Self.quick)
    #expect(r.status == 0, "\(r.stderr)")
    let fixed = Compiler.compile(path: dir.path + "/r/arch.yaml")
    #expect(fixed.ir?.mode == .fixed, "\(fixed.diagnostics)")
    let genotype = try text(dir.path + "/r/genotype.txt").trimmingCharacters(in: .newlines)
    #expect(genotype.hasSuffix("reduce=[], reduce_concat=[])"))
    let again = Compiler.compile(path: space, options: CompileOptions(arch: genotype))
    #expect(again.ir?.mode == .fixed, "\(again.diagnostics)")
    let train = try runNasc(["train", "--arch", dir.path + "/r/arch.yaml", "--out", dir.path + "/t"] + Self.quick)
    #expect(train.status == 0, "\(train.stderr)")
  }

  @Test func deriveRefusesKBeyondTheNodesInputsAndKeepsArchYaml() throws {
    let dir = try TempDir()
    let run = dir.path + "/r"
    #expect(try runNasc(["search", Self.tiny, "--out", run] + Self.quick).status == 0)
    let before = try text(run + "/arch.yaml")
    let r = try runNasc(["derive", run, "--k", "9", "--write"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("error[E311]: --k 9 is more than the 2 inputs of"), "\(r.stderr)")
    #expect(try text(run + "/arch.yaml") == before)
    #expect(try runNasc(["derive", run, "--k", "2"]).status == 0)
  }

  @Test func resumeChecksTheManifestAndClearsStaleTemporaries() throws {
    let dir = try TempDir()
    let run = dir.path + "/r"
    let args = ["search", Self.tiny, "--limit", "64", "--epochs", "2", "--seed", "3"]
    try killAfterUnit(args, out: run, unit: 1)
    // The killed process's lock file stays; the kernel released the lock itself.
    #expect(FileManager.default.fileExists(atPath: run + "/" + RunLock.fileName))
    // A writer killed mid-write leaves its temporary file; the next run on the directory removes it.
    let stale = run + "/.checkpoint.safetensors.tmp-999999"
    try Data([1, 2, 3]).write(to: URL(fileURLWithPath: stale))
    try FileManager.default.removeItem(atPath: run + "/manifest.json")
    let missing = try runNasc(args + ["--out", run, "--resume"])
    #expect(missing.status == 0, "\(missing.stderr)")
    #expect(missing.stderr.contains("manifest.json is missing: it is rewritten from the checkpoint"))
    #expect(FileManager.default.fileExists(atPath: run + "/manifest.json"))
    #expect(!FileManager.default.fileExists(atPath: stale))
    try "{ not json".write(toFile: run + "/manifest.json", atomically: true, encoding: .utf8)
    let damaged = try runNasc(args + ["--out", run, "--resume"])
    #expect(damaged.status == 1)
    #expect(damaged.stderr.contains("error[E303]: manifest.json is damaged"), "\(damaged.stderr)")
    #expect(damaged.stderr.contains("move it away to resume without it"))
  }

  @Test func twoSearchesOnOneDirectoryNeverBothWrite() throws {
    let dir = try TempDir()
    let run = dir.path + "/r"
    let args = ["search", Self.tiny, "--limit", "64", "--epochs", "3", "--seed", "3", "--out", run]
    let first = try startNasc(args)
    let deadline = Date().addingTimeInterval(120)
    while Date() < deadline && !FileManager.default.fileExists(atPath: run + "/manifest.json") { usleep(20_000) }
    let second = try runNasc(args)
    #expect(second.status == 1)
    #expect(second.stderr.contains("error[E302]") && second.stderr.contains("is in use by another nasc process (pid"))
    let resumed = try runNasc(args + ["--resume"])
    #expect(resumed.status == 1, "a --resume must not join a running search either")
    first.waitUntilExit()
    #expect(first.terminationStatus == 0)
    #expect(Compiler.compile(path: run + "/arch.yaml").ir?.mode == .fixed)
    #expect(try metrics(run).count == 3)
    // The kernel dropped the lock with its holder: the directory resumes (as complete) at once.
    #expect(try runNasc(args + ["--resume"]).status == 0)
  }

  @Test func trainResumeRejectsImpossibleStoredSettings() throws {
    let dir = try TempDir()
    let run = dir.path + "/t"
    let args = ["train", Self.tiny, "--arch", "DARTS_V2", "--limit", "64", "--epochs", "1", "--batch-size", "16"]
    #expect(try runNasc(args + ["--out", run]).status == 0)
    let url = URL(fileURLWithPath: run + "/checkpoint.safetensors")
    let (tensors, metadata) = try Safetensors.read(from: url)
    for (key, value) in [("threads", 0), ("epochs", 0), ("batchSize", 1)] as [(String, Any)] {
      let json = try #require(metadata["nasc.train"])
      var state = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
      var settings = try #require(state["settings"] as? [String: Any])
      settings[key] = value
      state["settings"] = settings
      var edited = metadata
      edited["nasc.train"] = String(decoding: try JSONSerialization.data(withJSONObject: state), as: UTF8.self)
      try Safetensors.write(tensors, metadata: edited, to: url)
      let r = try runNasc(args + ["--out", run, "--resume"])
      #expect(r.status == 1, "\(key)")
      #expect(
        r.stderr.contains("error[E303]: the checkpoint's training settings are impossible"), "\(key): \(r.stderr)")
    }
  }

  @Test func valueChoicesSearchWithTheArgmaxRule() throws {
    let dir = try TempDir()
    let space = dir.path + "/value-choices.yaml"
    try text(repoRoot + "/examples/value-choices.yaml")
      .replacingOccurrences(of: "derive: {rule: best_of_population}", with: "derive: {rule: argmax}")
      .replacingOccurrences(of: "# yaml-language-server: $schema=../schema/nasc.schema.json\n", with: "")
      .write(toFile: space, atomically: true, encoding: .utf8)
    for method in ["darts", "gdas"] {
      let r = try runNasc(["search", space, "--method", method, "--out", dir.path + "/" + method] + Self.quick)
      #expect(r.status == 0, "\(method): \(r.stderr)")
      #expect(Compiler.compile(path: dir.path + "/\(method)/arch.yaml").ir?.mode == .fixed)
    }
  }
}

/// The library-level checks behind the findings.
@Suite struct NonFiniteValueTests {
  @Test func metricsWithNaNAreE401NotEncodingErrors() throws {
    let dir = try TempDir()
    let error = #expect(throws: RunError.self) {
      try MetricsFile.write([["val_loss": MetricValue.number(.nan)]], to: dir.path + "/m.jsonl")
    }
    #expect(error?.code == "E401")
    #expect(error?.message.contains("val_loss") == true, "\(String(describing: error))")
    #expect(throws: RunError.self) { _ = try MethodState.encode(["x": Double.infinity]) }
  }

  @Test func genotypeStringsHaveALengthLimit() {
    let long = "Genotype(normal=[" + Array(repeating: "('sep_conv_3x3', 0)", count: 5000).joined(separator: ", ") + "])"
    let r = Compiler.compile(path: repoRoot + "/spaces/darts-digits.yaml", options: CompileOptions(arch: long))
    #expect(r.diagnostics.contains { $0.code == .badArchSyntax && $0.message.contains("longer than the 65536") })
  }
}
