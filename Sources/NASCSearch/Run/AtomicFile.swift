import NASCSpace
import Foundation

/// Writes files so that a reader (or a crash) only ever sees the old or the new content.
public enum AtomicFile {
  /// Writes `data` to a temporary file beside `path`, flushes it to disk and renames it over `path`.
  public static func write(_ data: Data, to path: String) throws {
    let dir = (path as NSString).deletingLastPathComponent
    let tmp = (dir.isEmpty ? "." : dir) + "/.\((path as NSString).lastPathComponent).tmp-\(getpid())"
    let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else {
      throw RunError(
        "E301", "cannot create \(tmp): \(String(cString: strerror(errno)))",
        help: "check that the run directory is writable", path: path)
    }
    var ok = true
    data.withUnsafeBytes { raw in
      var off = 0
      while off < raw.count {
        let n = Foundation.write(fd, raw.baseAddress! + off, raw.count - off)
        if n <= 0 { ok = false; break }
        off += n
      }
    }
    if fsync(fd) != 0 { ok = false }
    close(fd)
    guard ok, rename(tmp, path) == 0 else {
      let why = String(cString: strerror(errno))
      unlink(tmp)
      throw RunError(
        "E301", "cannot write \(path): \(why)", help: "check free disk space and permissions", path: path)
    }
  }

  /// Writes a UTF-8 string atomically.
  public static func write(_ text: String, to path: String) throws {
    try write(Data(text.utf8), to: path)
  }
}
