import Foundation
import NASCSpace

/// The run directory's own copy of the space (`space/`): the space file and every file it extends,
/// laid out as they were relative to each other. Arch documents name this copy, so they hold no
/// path that depends on where the run directory or the original space lives (equal results are
/// equal files), and a run keeps working after its space file is edited or moved.
public enum SpaceSnapshot {
  /// The folder inside the run directory.
  public static let folder = "space"
  /// The marker that makes the copy its own project root for `extends:` checks.
  static let marker = ".nasc-root"

  /// Copies the source files of a compilation (`sources`, keyed by path as read; names in `<…>`
  /// are not files) into `dir/space/` and returns the top file's path relative to `dir`.
  public static func write(sources: [String: String], top: String, into dir: RunDirectory) throws -> String {
    let files = sources.filter { !$0.key.hasPrefix("<") }.map { (path: standardized($0.key), text: $0.value) }
    let topPath = standardized(top)
    guard !files.isEmpty, files.contains(where: { $0.path == topPath }) else {
      throw RunError(
        "E301", "cannot copy the space into the run directory: its file \(top) was not read",
        help: "this is a bug in nasc; please report it", path: top)
    }
    let base = commonDirectory(files.map(\.path))
    let prefix = base.hasSuffix("/") ? base : base + "/"
    let root = dir.file(folder)
    for f in files + [(path: prefix + marker, text: "")] {
      let rel = String(f.path.dropFirst(prefix.count))
      let target = (root as NSString).appendingPathComponent(rel)
      do {
        try FileManager.default.createDirectory(
          atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try AtomicFile.write(f.text, to: target)
      } catch let e as RunError {
        throw e
      } catch {
        throw RunError(
          "E301", "cannot write \(target): \(error.localizedDescription)", help: "check the path and permissions",
          path: target)
      }
    }
    return folder + "/" + String(topPath.dropFirst(prefix.count))
  }

  /// An absolute, standardised path (symbolic links kept, so `extends:` paths still resolve).
  static func standardized(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.path }

  /// The deepest directory that holds every one of `paths` (absolute file paths).
  static func commonDirectory(_ paths: [String]) -> String {
    var common = paths[0].split(separator: "/").dropLast().map(String.init)
    for p in paths.dropFirst() {
      let dirs = p.split(separator: "/").dropLast().map(String.init)
      var i = 0
      while i < common.count && i < dirs.count && common[i] == dirs[i] { i += 1 }
      common = Array(common.prefix(i))
    }
    return "/" + common.joined(separator: "/")
  }
}
