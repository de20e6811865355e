import Foundation
import NASCSpace
import Testing

/// The repository root (where `spaces/` lives), found from this file's path.
let repoRoot: String = {
  var url = URL(fileURLWithPath: #filePath)
  for _ in 0..<3 { url.deleteLastPathComponent() }
  return url.path
}()

/// Compiles a space under `spaces/` and fails the test on diagnostics.
func compileSpace(_ name: String, options: CompileOptions = CompileOptions()) throws -> SpaceIR {
  let result = Compiler.compile(path: repoRoot + "/spaces/" + name, options: options)
  for d in result.diagnostics where d.severity == .error { Issue.record("\(d.message)") }
  return try #require(result.ir)
}

/// Runs `args` killed with SIGKILL right after the checkpoint of unit `unit`, then resumes it.
func killAndResume(_ args: [String], out: String, unit: Int) throws -> Int32 {
  try killAfterUnit(args, out: out, unit: unit)
  return try runNasc(args + ["--out", out, "--resume"]).status
}

/// Runs `args` and kills it with SIGKILL right after the checkpoint of unit `unit`.
func killAfterUnit(_ args: [String], out: String, unit: Int) throws {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: nascExecutable)
  p.arguments = args + ["--out", out]
  p.environment = ProcessInfo.processInfo.environment.merging(["NASC_TEST_KILL_AFTER_UNIT": "\(unit)"]) { $1 }
  p.standardError = FileHandle.nullDevice
  try p.run()
  p.waitUntilExit()
  #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL)
}

/// A file's text.
func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

/// A run's metrics lines without their timings.
func metrics(_ run: String) throws -> [String] {
  try text(run + "/metrics.jsonl").split(separator: "\n").map {
    $0.replacingOccurrences(of: #""seconds":[0-9.e+-]+"#, with: "", options: .regularExpression)
  }
}
