import Foundation
import Testing

@testable import NASCSpace

/// The repository root (two levels above this file's folder).
let repoRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().path

/// A path inside the repository.
func repo(_ rel: String) -> String { repoRoot + "/" + rel }

/// A fresh temporary directory holding a `.git` marker, so it is its own project root.
func tempProject() -> String {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nasc-tests-\(UUID().uuidString)").path
  try? FileManager.default.createDirectory(atPath: dir + "/.git", withIntermediateDirectories: true)
  return dir
}

/// Writes `text` to `name` in `dir` and returns the path.
@discardableResult
func write(_ text: String, _ name: String, in dir: String) -> String {
  let p = dir + "/" + name
  try? FileManager.default.createDirectory(
    atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
  FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
  return p
}

/// Compiles YAML text written to a temporary project.
func compileText(_ text: String, options: CompileOptions = CompileOptions()) -> CompileResult {
  let dir = tempProject()
  return Compiler.compile(path: write(text, "space.yaml", in: dir), options: options)
}

/// Validates YAML text written to a temporary project.
func validateText(_ text: String, name: String = "space.yaml") -> CompileResult {
  let dir = tempProject()
  return Compiler.validate(path: write(text, name, in: dir))
}

extension PrimGraph {
  /// Channels of the input (test helper).
  var inputShapeChannels: Int { input.channels }
}

/// Reads a repository file.
func readRepo(_ rel: String) -> String { (try? String(contentsOfFile: repo(rel), encoding: .utf8)) ?? "" }
