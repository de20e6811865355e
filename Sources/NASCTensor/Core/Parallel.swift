import Dispatch
import Foundation

/// Engine-wide execution settings.
public enum Engine {
  nonisolated(unsafe) private static var _threads = max(1, ProcessInfo.processInfo.activeProcessorCount)

  /// The number of worker threads kernels split their work into (default: the active processors).
  ///
  /// Work is always partitioned into `threads` fixed chunks and partial sums are reduced in chunk
  /// order, so results depend on this number but not on scheduling: the same seed and thread count
  /// give the same bits.
  public static var threads: Int {
    get { _threads }
    set {
      precondition(newValue >= 1, "Engine.threads must be at least 1")
      _threads = newValue
    }
  }
}

/// A raw pointer that may cross into `concurrentPerform` workers; each worker writes a disjoint range.
@usableFromInline
struct SendablePointer: @unchecked Sendable {
  @usableFromInline let p: UnsafeMutablePointer<Float>
  @usableFromInline init(_ p: UnsafeMutablePointer<Float>) { self.p = p }
}

/// Splits `0..<n` into `min(chunks, n)` contiguous, deterministic ranges and runs `body(chunk, range)`
/// for each, in parallel when there is more than one chunk.
@inlinable
func parallelChunks(
  _ n: Int, chunks requested: Int = Engine.threads, _ body: (Int, Range<Int>) -> Void
) {
  let chunks = max(1, min(requested, n))
  if chunks == 1 {
    if n > 0 { body(0, 0..<n) }
    return
  }
  let run: (Int) -> Void = { c in
    let lo = n * c / chunks
    let hi = n * (c + 1) / chunks
    body(c, lo..<hi)
  }
  withoutActuallyEscaping(run) { r in
    let box = UncheckedSendable(r)
    DispatchQueue.concurrentPerform(iterations: chunks) { c in box.value(c) }
  }
}

/// Runs `body(i)` for every `i` in `0..<n`, split over `Engine.threads` chunks.
@inlinable
func parallelFor(_ n: Int, minimumPerChunk: Int = 1, _ body: (Int) -> Void) {
  let chunks = minimumPerChunk > 1 ? min(Engine.threads, max(1, n / minimumPerChunk)) : Engine.threads
  parallelChunks(n, chunks: chunks) { _, r in
    for i in r { body(i) }
  }
}

/// Carries a non-Sendable value (a non-escaping kernel body) into `concurrentPerform`; safe because the
/// workers finish before `parallelChunks` returns and each writes a disjoint range.
@usableFromInline
struct UncheckedSendable<T>: @unchecked Sendable {
  @usableFromInline let value: T
  @usableFromInline init(_ value: T) { self.value = value }
}
