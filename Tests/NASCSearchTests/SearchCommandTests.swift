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
    // A non-empty --out without --resume.
    let r5 = try runNasc(["search", Self.tiny, "--out", dir.path + "/c"])
    #expect(r5.status == 1)
    #expect(r5.stderr.contains("error[E302]"))
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
