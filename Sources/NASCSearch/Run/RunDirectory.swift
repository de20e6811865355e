import NASCSpace
import Foundation

/// The files of one search run: `space/` (the run's copy of its space), `arch.yaml`, `genotype.txt`,
/// `metrics.jsonl`, `checkpoint.safetensors`, `manifest.json` and SVG pictures.
public struct RunDirectory: Sendable {
  /// The directory.
  public let path: String

  /// Uses `path` (not created yet).
  public init(path: String) { self.path = path }

  /// `path/name`.
  public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
  /// The checkpoint.
  public var checkpoint: String { file("checkpoint.safetensors") }
  /// The manifest.
  public var manifest: String { file("manifest.json") }
  /// Per-epoch metrics, one JSON object per line.
  public var metrics: String { file("metrics.jsonl") }
  /// The derived architecture.
  public var arch: String { file("arch.yaml") }
  /// The run's copy of its space, if the manifest names one.
  public func spaceCopy(_ manifest: RunManifest) -> String? { manifest.spaceCopy.map(file) }

  /// Makes the directory ready and locks it for this process: a new run needs a missing or empty
  /// directory; a resumed run needs an existing checkpoint. Keep the lock until the run ends.
  public func prepare(resume: Bool) throws -> RunLock {
    try check(resume: resume)
    return try createAndLock(resume: resume)
  }

  /// Creates the directory if it is missing and takes its lock (`E302` when another process holds
  /// it); then checks again what `check` checked, now that no other writer can change it, and
  /// removes the temporary files of writers that were killed mid-write.
  public func createAndLock(resume: Bool) throws -> RunLock {
    try create()
    let lock = try RunLock(directory: path)
    try check(resume: resume, clearing: true)
    removeStaleTemporaries()
    return lock
  }

  /// Removes `.NAME.tmp-PID` files (what `AtomicFile` leaves when its writer is killed) here and
  /// in the space copy; only called with the lock held, so no live writer owns them.
  func removeStaleTemporaries() {
    let fm = FileManager.default
    for folder in [path, file(SpaceSnapshot.folder)] {
      for e in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] where AtomicFile.isTemporary(e) {
        try? fm.removeItem(atPath: (folder as NSString).appendingPathComponent(e))
      }
    }
  }

  /// Creates the directory if it is missing.
  func create() throws {
    let fm = FileManager.default
    guard !fm.fileExists(atPath: path) else { return }
    do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
      throw RunError(
        "E301", "cannot create \(path): \(error.localizedDescription)", help: "check the path and permissions",
        path: path)
    }
  }

  /// Checks what `prepare` needs without creating anything (so a run that fails to start leaves no
  /// directory behind). An unstarted run's leftovers pass, and with `clearing` (only under the
  /// lock: they may be a running search's first files) are removed.
  public func check(resume: Bool, clearing: Bool = false) throws {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    let exists = fm.fileExists(atPath: path, isDirectory: &isDir)
    if resume {
      guard exists, fm.fileExists(atPath: checkpoint) else {
        throw RunError(
          "E302", "no checkpoint to resume in \(path)",
          help: "pass the --out directory of an earlier run, or drop --resume to start a new one", path: path)
      }
      return
    }
    if exists {
      guard isDir.boolValue else {
        throw RunError("E302", "\(path) exists and is not a directory", help: "choose another --out", path: path)
      }
      func listing() -> [String] {
        ((try? fm.contentsOfDirectory(atPath: path)) ?? []).filter { $0 != RunLock.fileName }
      }
      var entries = listing()
      if isUnstartedRun(entries) {
        // A run stopped before its first checkpoint: nothing to keep, start it again.
        guard clearing else { return }
        for e in entries { try? fm.removeItem(atPath: file(e)) }
        entries = listing()
      }
      guard entries.isEmpty else {
        throw RunError(
          "E302", "\(path) is not empty",
          help: fm.fileExists(atPath: checkpoint)
            ? "add --resume to continue that run, or choose another --out" : "choose an empty or new --out directory",
          path: path)
      }
    }
  }

  /// Whether `entries` are only what a search writes before its first checkpoint: a nasc
  /// `manifest.json` (one that reads as a run manifest, never a file of the user's that happens to
  /// have the name), the space copy (recognised by its marker) and temporary files.
  func isUnstartedRun(_ entries: [String]) -> Bool {
    let fm = FileManager.default
    guard entries.contains("manifest.json"), !entries.contains("checkpoint.safetensors"),
      (try? RunManifest.read(from: manifest)) != nil
    else { return false }
    return entries.allSatisfy { e in
      e == "manifest.json" || AtomicFile.isTemporary(e)
        || (e == SpaceSnapshot.folder && fm.fileExists(atPath: file(e) + "/" + SpaceSnapshot.marker))
    }
  }

  /// `p` as an absolute, standardised path.
  public static func absolute(_ p: String) -> String {
    let full = p.hasPrefix("/") ? p : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(p)
    return (full as NSString).standardizingPath
  }

  /// `base`, or `base-2`, `base-3`, … : the first that does not exist or is an empty directory.
  public static func fresh(_ base: String) -> String {
    let fm = FileManager.default
    var candidate = base
    var n = 1
    while fm.fileExists(atPath: candidate), !((try? fm.contentsOfDirectory(atPath: candidate))?.isEmpty ?? false) {
      n += 1
      candidate = "\(base)-\(n)"
    }
    return candidate
  }

  /// The path of `target` relative to this directory (arch documents name their space this way).
  public func relativePath(to target: String) -> String {
    let cwd = FileManager.default.currentDirectoryPath
    func absolute(_ p: String) -> [String] {
      let full = p.hasPrefix("/") ? p : (cwd as NSString).appendingPathComponent(p)
      return (full as NSString).standardizingPath.split(separator: "/").map(String.init)
    }
    let from = absolute(path), to = absolute(target)
    var i = 0
    while i < from.count && i < to.count && from[i] == to[i] { i += 1 }
    return (Array(repeating: "..", count: from.count - i) + to[i...]).joined(separator: "/")
  }
}
