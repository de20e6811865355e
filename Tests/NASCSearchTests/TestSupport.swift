import Foundation
import NASCSpace
import Testing

@testable import NASCSearch

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

/// Restores `method`'s own saved state, then the same state with one scored architecture that
/// decides a unit the space lacks added to its `history`: that must be E303, not a plan that runs
/// nothing.
func expectForeignArchitectureRefused(_ method: any SearchMethod, _ name: String) throws {
  let good = try method.saveState()
  try method.restoreState(good)
  let bogus = #"{"architecture":{"decisions":{"layer[0].op":{"op":{"_0":"bogus"}}}},"score":{"signal":1}}"#
  let text = String(decoding: good, as: UTF8.self).replacingOccurrences(
    of: #""history":[]"#, with: #""history":["# + bogus + "]")
  #expect(text.contains("bogus"), "\(name): \(text.prefix(200))")
  do {
    try method.restoreState(Data(text.utf8))
    Issue.record("\(name) restored a foreign architecture")
  } catch let e as RunError {
    #expect(e.code == "E303" && "\(e)".contains("not of this space"), "\(name): \(e)")
  }
}
