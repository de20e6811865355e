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
