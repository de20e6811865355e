import Foundation
import NASCSpace

/// An advisory lock on a run directory (`flock` on its `.nasc.lock`), held while one process writes
/// there: a second `nasc search`, `train` or `derive --write` on the same directory is refused. The
/// kernel drops the lock when its holder exits in any way, so a run stopped with `kill -9` leaves
/// nothing that blocks a `--resume`. The file itself stays (removing it would let a third process
/// lock a new file while a second still holds the old one).
public final class RunLock: Sendable {
  /// The lock file's name inside a run directory.
  public static let fileName = ".nasc.lock"
  let fd: Int32

  /// Takes the lock of `directory` (which must exist); `E302` naming the holder when another process
  /// has it.
  public init(directory: String) throws {
    let path = (directory as NSString).appendingPathComponent(Self.fileName)
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw RunError(
        "E301", "cannot create \(path): \(String(cString: strerror(errno)))",
        help: "check that the run directory is writable", path: directory)
    }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      let busy = errno == EWOULDBLOCK
      let why = String(cString: strerror(errno))
      let holder = Self.holder(fd)
      close(fd)
      if busy {
        throw RunError(
          "E302", "\(directory) is in use by another nasc process\(holder.map { " (\($0))" } ?? "")",
          help: "wait for that run to finish or stop it, or choose another --out; two writers would mix their files",
          path: directory)
      }
      throw RunError("E301", "cannot lock \(path): \(why)", help: "use a local file system for --out", path: directory)
    }
    self.fd = fd
    // Who holds it, for the message a second process prints.
    let args = ProcessInfo.processInfo.arguments
    let command =
      (args.first.map { ($0 as NSString).lastPathComponent } ?? "nasc") + (args.count > 1 ? " " + args[1] : "")
    let me = "pid \(getpid()), \(command)\n"
    _ = ftruncate(fd, 0)
    _ = me.withCString { pwrite(fd, $0, strlen($0), 0) }
  }

  /// The holder's line as it wrote it, if readable.
  static func holder(_ fd: Int32) -> String? {
    var buffer = [UInt8](repeating: 0, count: 256)
    let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 255, 0) }
    guard n > 0 else { return nil }
    let line = String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    return line.isEmpty ? nil : line
  }

  deinit { close(fd) }
}
