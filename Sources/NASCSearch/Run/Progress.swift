import Foundation

/// Reports progress on standard error: a redrawing bar on a terminal, plain throttled lines otherwise
/// (pipes, CI). Honours `NO_COLOR` and `NASC_PROGRESS=plain`.
public final class ProgressReporter: @unchecked Sendable {
  private let isTTY: Bool
  private let color: Bool
  private var lastDraw = Date.distantPast
  private var lastPlain = Date.distantPast
  private let plainInterval: TimeInterval
  private var drawn = false
  private var phase = ""
  private var phaseStart = Date()

  /// Creates a reporter; `plainInterval` is the minimum time between plain lines within an epoch.
  public init(plainInterval: TimeInterval = 10) {
    let env = ProcessInfo.processInfo.environment
    isTTY = isatty(2) != 0 && env["NASC_PROGRESS"] != "plain" && env["TERM"] != "dumb"
    color = isTTY && env["NO_COLOR"] == nil
    self.plainInterval = plainInterval
  }

  /// Reports step `step` of `total` in `phase` (e.g. `epoch 3/50`) with short key figures.
  public func update(phase: String, step: Int, total: Int, detail: String) {
    let now = Date()
    if phase != self.phase {
      self.phase = phase
      phaseStart = now
    }
    let elapsed = now.timeIntervalSince(phaseStart)
    var timing = ""
    if step > 0 && elapsed > 0 {
      let rate = Double(step) / elapsed
      let eta = Int((Double(total - step) / rate).rounded())
      timing = String(format: "%.1f it/s, ETA %d:%02d", rate, eta / 60, eta % 60)
    }
    let detail = [detail, timing].filter { !$0.isEmpty }.joined(separator: "  ")
    if isTTY {
      guard now.timeIntervalSince(lastDraw) > 0.1 || step == total else { return }
      lastDraw = now
      let width = 24
      let filled = total > 0 ? min(width, width * step / total) : 0
      let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
      let line = "\(phase) \(bar) \(step)/\(total) \(detail)"
      FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
      drawn = true
    } else {
      guard now.timeIntervalSince(lastPlain) >= plainInterval else { return }
      lastPlain = now
      FileHandle.standardError.write(Data("\(phase) step \(step)/\(total) \(detail)\n".utf8))
    }
  }

  /// Prints a line that stays (e.g. an epoch summary), clearing any bar first.
  public func line(_ text: String) {
    if isTTY && drawn {
      FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
      drawn = false
    }
    lastPlain = Date()
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }

  /// Colours `text` green when colour is allowed.
  public func highlight(_ text: String) -> String { color ? "\u{1B}[32m\(text)\u{1B}[0m" : text }
}
