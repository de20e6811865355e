import Foundation
import NASCSpace

/// The space of a finished or interrupted search run, compiled again from the run's own copy
/// (`nasc derive`, `nasc rank`).
public enum RunSpace {
  /// Reads `dir`'s manifest and compiles its space with the run's method and hyperparameters;
  /// `E305` when it no longer compiles, `E304` when it is not the space the checkpoint was
  /// trained on.
  public static func compile(_ dir: RunDirectory) throws -> (manifest: RunManifest, result: CompileResult, ir: SpaceIR)
  {
    let manifest = try RunManifest.read(from: dir.manifest)
    let copy = dir.spaceCopy(manifest).flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
    let spacePath = copy ?? manifest.space
    let result = Compiler.compile(
      path: spacePath, options: CompileOptions(method: manifest.method, settings: manifest.hyperparameters))
    guard let ir = result.ir else {
      throw RunError(
        "E305", "cannot compile the run's space \(spacePath)",
        help: copy == nil
          ? "restore the space file the search started from"
          : "restore the run's copy of its space (space/ in the run)",
        path: spacePath)
    }
    try checkHash(result, checkpoint: URL(fileURLWithPath: dir.checkpoint))
    return (manifest, result, ir)
  }

  /// `E304` when `result` is not the space the checkpoint at `url` was trained on.
  public static func checkHash(_ result: CompileResult, checkpoint url: URL) throws {
    let saved = try LoopCheckpoint.info(at: url).spaceHash, now = SearchDriver.spaceHash(sources: result.sources)
    guard saved == now else {
      throw RunError.spaceChanged(
        saved: saved, now: now, help: "restore the run's copy of its space (space/ in the run)", path: url.path)
    }
  }
}
