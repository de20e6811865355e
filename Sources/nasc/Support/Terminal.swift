import Foundation

/// Where output goes and whether it may be coloured.
enum Terminal {
  /// Colour only on a TTY and never with NO_COLOR set (to anything non-empty).
  static var stderrColour: Bool {
    if let v = ProcessInfo.processInfo.environment["NO_COLOR"], !v.isEmpty { return false }
    return isatty(STDERR_FILENO) != 0
  }

  static func out(_ s: String) { FileHandle.standardOutput.write(Data(s.utf8)) }
  static func err(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}
