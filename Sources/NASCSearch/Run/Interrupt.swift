import Foundation

/// Turns Ctrl-C (SIGINT) and SIGTERM into a flag that long loops poll, so they can save a checkpoint
/// and exit cleanly instead of dying mid-write.
public enum Interrupt {
  nonisolated(unsafe) private static var flag: sig_atomic_t = 0

  /// Installs the handlers. A second Ctrl-C while the first is being handled exits at once.
  public static func install() {
    let handler: @convention(c) (Int32) -> Void = { sig in
      if Interrupt.flag != 0 { _exit(128 + sig) }
      Interrupt.flag = 1
    }
    signal(SIGINT, handler)
    signal(SIGTERM, handler)
  }

  /// Whether an interrupt was requested since the handlers were installed.
  public static var requested: Bool { flag != 0 }
}
