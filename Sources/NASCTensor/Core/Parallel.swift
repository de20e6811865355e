import NASCKernelSupport

/// Engine-wide execution settings.
public enum Engine {
  /// The number of worker threads kernels run on (default: the active processors).
  ///
  /// Kernels split their work into `workChunks(_:)` fixed chunks, which the workers claim one at a
  /// time (a slow or shared core simply takes fewer), and partial sums are reduced in chunk order. The
  /// chunking is max(8, 2·threads), so results depend on scheduling not at all and on the thread count
  /// only beyond 4 threads: the same seed and thread count always give the same bits (on one machine:
  /// see `kernels`).
  public static var threads: Int {
    get { Workers.threads }
    set { Workers.threads = newValue }
  }

  /// Whether kernels called from this thread currently run all their chunks on it.
  static var isSerial: Bool { Workers.isSerial }

  /// Runs `body` with the kernels it calls on this thread only, for work too small to pay for
  /// waking other threads. The split into chunks (and so every result bit) stays the same.
  public static func serially<R>(_ body: () throws -> R) rethrows -> R { try Workers.serially(body) }

  /// The number of chunks `n` independent work items are split into.
  static func workChunks(_ n: Int) -> Int { Workers.workChunks(n) }
}
