import NASCSpace
import Foundation
import NASCTensor

/// Writes files so that a reader (or a crash) only ever sees the old or the new content
/// (`DurableFile`), with failures as coded run errors.
public enum AtomicFile {
  /// Writes `data` to a temporary file beside `path`, flushes it to disk and renames it over `path`.
  public static func write(_ data: Data, to path: String) throws {
    do { try DurableFile.replace(data, at: path) } catch {
      throw error.creating
        ? RunError(
          "E301", "cannot create \(error.path): \(error.reason)", help: "check that the run directory is writable",
          path: path)
        : RunError(
          "E301", "cannot write \(path): \(error.reason)", help: "check free disk space and permissions", path: path)
    }
  }

  /// Whether `name` is one of the temporary files `write` renames into place (`.NAME.tmp-PID`).
  public static func isTemporary(_ name: String) -> Bool { DurableFile.isTemporary(name) }

  /// Writes a UTF-8 string atomically.
  public static func write(_ text: String, to path: String) throws {
    try write(Data(text.utf8), to: path)
  }
}
