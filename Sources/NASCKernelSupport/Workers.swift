import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The engine's worker settings, shared by NASCTensor and both builds of the kernels (NASCTensor's
/// public `Engine` forwards to them).
@usableFromInline
package enum Workers {
  nonisolated(unsafe) private static var _threads = max(1, ProcessInfo.processInfo.activeProcessorCount)

  /// The number of worker threads kernels run on (default: the active processors); at least 1.
  @usableFromInline
  package static var threads: Int {
    get { _threads }
    set {
      precondition(newValue >= 1, "Engine.threads must be at least 1")
      _threads = newValue
    }
  }

  static let serialKey: pthread_key_t = {
    var k = pthread_key_t()
    pthread_key_create(&k) { free($0) }
    return k
  }()

  /// Whether kernels called from this thread currently run all their chunks on it.
  package static var isSerial: Bool {
    guard let p = pthread_getspecific(serialKey) else { return false }
    return p.assumingMemoryBound(to: Int.self).pointee > 0
  }

  /// Runs `body` with the kernels it calls on this thread only; the split into chunks (and so every
  /// result bit) stays the same.
  package static func serially<R>(_ body: () throws -> R) rethrows -> R {
    let p: UnsafeMutablePointer<Int>
    if let q = pthread_getspecific(serialKey) {
      p = q.assumingMemoryBound(to: Int.self)
    } else {
      p = UnsafeMutablePointer<Int>.allocate(capacity: 1)
      p.initialize(to: 0)
      pthread_setspecific(serialKey, p)
    }
    p.pointee += 1
    defer { p.pointee -= 1 }
    return try body()
  }

  /// The number of chunks `n` independent work items are split into: max(8, 2·threads), at most `n`.
  package static func workChunks(_ n: Int) -> Int { max(1, min(n, max(8, 2 * threads))) }
}

/// A raw pointer that may cross into pool workers; each worker writes a disjoint range.
@usableFromInline
package struct SendablePointer: @unchecked Sendable {
  @usableFromInline package let p: UnsafeMutablePointer<Float>
  @inlinable package init(_ p: UnsafeMutablePointer<Float>) { self.p = p }
  @inlinable package init(_ p: UnsafePointer<Float>) { self.p = UnsafeMutablePointer(mutating: p) }
}

/// A pointer to max-pooling indices that may cross into workers.
@usableFromInline
package struct SendableIndexPointer: @unchecked Sendable {
  @usableFromInline package let p: UnsafeMutablePointer<Int32>
  @inlinable package init(_ p: UnsafeMutablePointer<Int32>) { self.p = p }
}

/// Carries a non-Sendable value (a non-escaping kernel body) into pool workers; safe because the
/// workers finish before `parallelChunks` returns and each writes a disjoint range.
@usableFromInline
package struct UncheckedSendable<T>: @unchecked Sendable {
  @usableFromInline package let value: T
  @inlinable package init(_ value: T) { self.value = value }
}

/// Splits `0..<n` into `chunks` (default `Workers.workChunks(n)`) contiguous ranges fixed by `n` and
/// `chunks` alone, and runs `body(chunk, range)` for each on this thread and up to
/// `Workers.threads - 1` threads of the `WorkerPool`, which claim chunks dynamically. `body` must
/// only write what its chunk owns (per-chunk partial sums included).
@usableFromInline
package func parallelChunks(_ n: Int, chunks requested: Int? = nil, _ body: (Int, Range<Int>) -> Void) {
  if n <= 0 { return }
  let chunks = max(1, min(requested ?? Workers.workChunks(n), n))
  let workers = Workers.isSerial ? 1 : min(Workers.threads, chunks)
  if workers > 1, chunks <= WorkerPool.maxChunks,
    WorkerPool.shared.run(
      chunks: chunks, helpers: min(workers - 1, WorkerPool.maxHelpers),
      { c in body(c, (n * c / chunks)..<(n * (c + 1) / chunks)) })
  {
    return
  }
  // One worker, or a job already running (a kernel inside a chunk, another thread): this thread
  // runs every chunk, split as a parallel run splits them.
  for c in 0..<chunks { body(c, (n * c / chunks)..<(n * (c + 1) / chunks)) }
}

/// Runs `body(i)` for every `i` in `0..<n`, split into chunks.
@inlinable @inline(__always)
package func parallelFor(_ n: Int, _ body: (Int) -> Void) {
  parallelChunks(n) { _, r in
    for i in r { body(i) }
  }
}

/// Elementwise kernels: split over workers for large tensors, a plain loop for small ones.
@inlinable @inline(__always)
package func elementwiseChunks(_ n: Int, _ body: (Range<Int>) -> Void) {
  if n < 32_768 || Workers.threads == 1 {
    body(0..<n)
  } else {
    parallelChunks(n) { _, r in body(r) }
  }
}
