import Dispatch
#if canImport(Glibc)
  import Glibc
#endif
import Foundation
import Synchronization

/// Engine-wide execution settings.
public enum Engine {
  nonisolated(unsafe) private static var _threads = max(1, ProcessInfo.processInfo.activeProcessorCount)

  /// The number of worker threads kernels run on (default: the active processors).
  ///
  /// Kernels split their work into `workChunks(_:)` fixed chunks, which the workers claim one at a
  /// time (a slow or shared core simply takes fewer), and partial sums are reduced in chunk order. The
  /// chunking is max(8, 2·threads), so results depend on scheduling not at all and on the thread count
  /// only beyond 4 threads: the same seed and thread count always give the same bits.
  public static var threads: Int {
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
  static var isSerial: Bool {
    guard let p = pthread_getspecific(serialKey) else { return false }
    return p.assumingMemoryBound(to: Int.self).pointee > 0
  }

  /// Runs `body` with the kernels it calls on this thread only, for work too small to pay for
  /// waking other threads. The split into chunks (and so every result bit) stays the same.
  public static func serially<R>(_ body: () throws -> R) rethrows -> R {
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

  /// The number of chunks `n` independent work items are split into.
  static func workChunks(_ n: Int) -> Int { max(1, min(n, max(8, 2 * threads))) }
}

/// A raw pointer that may cross into `concurrentPerform` workers; each worker writes a disjoint range.
struct SendablePointer: @unchecked Sendable {
  let p: UnsafeMutablePointer<Float>
  init(_ p: UnsafeMutablePointer<Float>) { self.p = p }
}

/// The next chunk to claim.
final class ChunkCounter: Sendable {
  let next = Atomic<Int>(0)
}

/// Splits `0..<n` into `chunks` (default `Engine.workChunks(n)`) contiguous ranges fixed by `n` and
/// `chunks` alone, and runs `body(chunk, range)` for each on up to `Engine.threads` workers that claim
/// chunks dynamically. `body` must only write what its chunk owns (per-chunk partial sums included).
func parallelChunks(_ n: Int, chunks requested: Int? = nil, _ body: (Int, Range<Int>) -> Void) {
  if n <= 0 { return }
  let chunks = max(1, min(requested ?? Engine.workChunks(n), n))
  let workers = Engine.isSerial ? 1 : min(Engine.threads, chunks)
  if workers == 1 {
    for c in 0..<chunks { body(c, (n * c / chunks)..<(n * (c + 1) / chunks)) }
    return
  }
  let counter = ChunkCounter()
  withoutActuallyEscaping(body) { b in
    let box = UncheckedSendable(b)
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
      while true {
        let c = counter.next.wrappingAdd(1, ordering: .relaxed).oldValue
        if c >= chunks { break }
        box.value(c, (n * c / chunks)..<(n * (c + 1) / chunks))
      }
    }
  }
}

/// Runs `body(i)` for every `i` in `0..<n`, split into chunks.
func parallelFor(_ n: Int, _ body: (Int) -> Void) {
  parallelChunks(n) { _, r in
    for i in r { body(i) }
  }
}

/// Carries a non-Sendable value (a non-escaping kernel body) into `concurrentPerform`; safe because the
/// workers finish before `parallelChunks` returns and each writes a disjoint range.
struct UncheckedSendable<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}
