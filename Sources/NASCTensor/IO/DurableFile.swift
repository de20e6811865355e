import Foundation

/// Replaces files so that a reader, a crash or a power cut only ever leaves the old or the new
/// content: the bytes go to `.NAME.tmp-PID` beside the target, are flushed to disk (`fsync`),
/// renamed over the target, and the directory entry is flushed too.
public enum DurableFile {
  /// Why a replacement failed: the path concerned and the system's reason.
  public struct Failure: Error, Sendable {
    /// The file that could not be created or written.
    public let path: String
    /// The system's reason (`strerror`).
    public let reason: String
    /// Whether the temporary file could not even be created (permissions, missing folder).
    public let creating: Bool
  }

  /// The temporary name `replace` writes `path` under first.
  public static func temporaryPath(for path: String) -> String {
    let dir = (path as NSString).deletingLastPathComponent
    return (dir.isEmpty ? "." : dir) + "/.\((path as NSString).lastPathComponent).tmp-\(getpid())"
  }

  /// Whether `name` is such a temporary file (`.NAME.tmp-PID`), left behind by a killed writer.
  public static func isTemporary(_ name: String) -> Bool {
    guard name.hasPrefix("."), let r = name.range(of: ".tmp-", options: .backwards) else { return false }
    let pid = name[r.upperBound...]
    return !pid.isEmpty && pid.allSatisfy(\.isNumber)
  }

  /// Writes `data` to `path` durably and atomically.
  public static func replace(_ data: Data, at path: String) throws(Failure) {
    let tmp = temporaryPath(for: path)
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw Failure(path: tmp, reason: String(cString: strerror(errno)), creating: true) }
    var ok = true
    data.withUnsafeBytes { raw in
      var off = 0
      while off < raw.count {
        let n = write(fd, raw.baseAddress! + off, raw.count - off)
        if n <= 0 {
          if n < 0 && errno == EINTR { continue }
          ok = false
          break
        }
        off += n
      }
    }
    if ok && fsync(fd) != 0 { ok = false }
    var why = ok ? "" : String(cString: strerror(errno))
    close(fd)
    if ok && rename(tmp, path) != 0 {
      ok = false
      why = String(cString: strerror(errno))
    }
    guard ok else {
      unlink(tmp)
      throw Failure(path: path, reason: why, creating: false)
    }
    // The rename itself reaches the disk with the directory's own flush.
    let dir = (path as NSString).deletingLastPathComponent
    let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if dfd >= 0 {
      _ = fsync(dfd)
      close(dfd)
    }
  }
}
