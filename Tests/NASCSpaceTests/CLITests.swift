import Foundation
import Testing

@testable import NASCSpace

/// The `nasc` binary next to the test bundle (built by `swift build`), if present.
let nascBinary: String? = {
  var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").deletingLastPathComponent()
  for _ in 0..<3 {
    let candidate = dir.appendingPathComponent("nasc").path
    if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    dir = dir.deletingLastPathComponent()
  }
  let fallback = repo(".build/debug/nasc")
  return FileManager.default.isExecutableFile(atPath: fallback) ? fallback : nil
}()

/// Runs nasc; returns (exit status, stdout, stderr).
func runNasc(_ args: [String], env: [String: String] = [:]) throws -> (Int32, String, String) {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: nascBinary ?? "/nonexistent")
  p.arguments = args
  p.currentDirectoryURL = URL(fileURLWithPath: repoRoot)
  var e = ProcessInfo.processInfo.environment
  for (k, v) in env { e[k] = v }
  p.environment = e
  let out = Pipe(), err = Pipe()
  p.standardOutput = out
  p.standardError = err
  try p.run()
  let o = out.fileHandleForReading.readDataToEndOfFile()
  let r = err.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: r, as: UTF8.self))
}

@Suite("The nasc command line", .enabled(if: nascBinary != nil, "needs a built nasc binary"))
struct CLITests {
  @Test func validateExitCodes() throws {
    #expect(try runNasc(["validate", "spaces/darts-cnn.yaml", "examples/mobilenetv2.yaml"]).0 == 0)
    let (status, out, err) = try runNasc(["validate", "examples/broken/unknown-op.yaml"], env: ["NO_COLOR": "1"])
    #expect(status == 1)
    #expect(out.isEmpty)
    #expect(err.hasPrefix("examples/broken/unknown-op.yaml:4:43: error[E020]: unknown op 'dil_conv_3x5'"))
    #expect(!err.contains("\u{1B}["))
    #expect(try runNasc(["validate", "--format", "bogus", "spaces/darts-cnn.yaml"]).0 == 2)
    #expect(try runNasc(["validate"]).0 == 2)
    #expect(try runNasc(["compile", "--no-such-flag", "x.yaml"]).0 == 2)
  }

  @Test func strictTurnsWarningsIntoFailures() throws {
    let dir = tempProject()
    let p = write(
      "nasc: 1\nops:\n  unused: {body: [relu]}\nnetwork:\n  stem: [{conv: {out: 8, kernel: 3}}]\n  body: [{layer: {choice: [nor_conv_1x1, nor_conv_3x3]}}]\n",
      "w.yaml", in: dir)
    #expect(try runNasc(["validate", p]).0 == 0)
    #expect(try runNasc(["validate", "--strict", p]).0 == 1)
  }

  @Test func compileJSONContract() throws {
    let (status, out, _) = try runNasc(["compile", "spaces/darts-cnn.yaml", "--eval", "--arch", "DARTS_V2", "--json"])
    #expect(status == 0)
    let obj = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any])
    for key in ["name", "architectures", "log10_architectures", "choice_points", "params", "flops", "params_auxiliary"]
    {
      #expect(obj[key] != nil, "\(key)")
    }
    #expect(obj["params"] as? Int == 3_349_342)
    let search = try #require(
      try JSONSerialization.jsonObject(
        with: Data(try runNasc(["compile", "spaces/nas-bench-201.yaml", "--json"]).1.utf8)) as? [String: Any])
    #expect(search["architectures"] as? String == "15625")
    let cps = try #require(search["choice_points"] as? [[String: Any]])
    #expect(cps.count == 6 && cps[0]["id"] as? String == "cell.edge[0→1].op" && cps[0]["line"] as? Int == 22)
  }

  @Test func schemaCommandPrintsTheCommittedSchema() throws {
    let (status, out, _) = try runNasc(["schema"])
    #expect(status == 0)
    #expect(out == readRepo("schema/nasc.schema.json"))
  }

  @Test func githubFormatGoesToStdout() throws {
    let (status, out, _) = try runNasc(["validate", "--format", "github", "examples/broken/k-too-large.yaml"])
    #expect(status == 1)
    #expect(out.hasPrefix("::error file=examples/broken/k-too-large.yaml,line=9,col=30,title=E041::"))
  }

  /// Text output ends in one summary line, clean or not, on stderr with the diagnostics; the machine
  /// formats on stdout stay exactly what they were (no summary line).
  @Test func validateSummarisesInTextOnly() throws {
    let clean = try runNasc(["validate", "spaces/darts-cnn.yaml", "examples/mobilenetv2.yaml"], env: ["NO_COLOR": "1"])
    #expect(clean.0 == 0 && clean.1.isEmpty)
    #expect(clean.2 == "validated 2 files: 0 errors, 0 warnings\n")
    let dir = tempProject()
    let w = write(
      "nasc: 1\nops:\n  unused: {body: [relu]}\nnetwork:\n  stem: [{conv: {out: 8, kernel: 3}}]\n  body: [{layer: {choice: [nor_conv_1x1, nor_conv_3x3]}}]\n",
      "w.yaml", in: dir)
    let warned = try runNasc(["validate", w], env: ["NO_COLOR": "1"])
    #expect(warned.0 == 0 && warned.2.hasSuffix("\n\nvalidated 1 file: 0 errors, 1 warning\n"))
    let broken = try runNasc(
      ["validate", "examples/broken/unknown-op.yaml", "spaces/nas-bench-201.yaml"], env: ["NO_COLOR": "1"])
    #expect(broken.0 == 1 && broken.2.hasSuffix("\n\nvalidated 2 files: 1 error, 0 warnings\n"))
    for format in ["json", "sarif"] {
      let (status, out, err) = try runNasc(["validate", "--format", format, "spaces/darts-cnn.yaml"])
      #expect(status == 0 && err.isEmpty)
      #expect(try JSONSerialization.jsonObject(with: Data(out.utf8)) is [String: Any], "\(format)")
      #expect(!out.contains("validated"))
    }
    let junit = try runNasc(["validate", "--format", "junit", "spaces/darts-cnn.yaml"])
    #expect(junit.0 == 0 && junit.2.isEmpty && junit.1.hasPrefix("<?xml") && !junit.1.contains("validated"))
    let github = try runNasc(["validate", "--format", "github", "spaces/darts-cnn.yaml"])
    #expect(github.0 == 0 && github.1.isEmpty && github.2.isEmpty)
  }
}
