import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The engine's own worker threads: `parallelChunks` hands them a job and works on it too.
///
/// Kernels come back to back, a few microseconds apart, and most run for tens of microseconds, so
/// waking threads per kernel (as `DispatchQueue.concurrentPerform` does) costs about as much as the
/// work. A pool thread spins for a short while after a job (`spinChecks`) and only then sleeps on a
/// condition variable; the caller never waits for a sleeping thread, since it counts finished
/// chunks, not threads, and claims whatever chunks are left itself.
///
/// One job runs at a time. A second caller (another thread, or a kernel inside a job's chunk) runs
/// its chunks on its own thread. Chunk boundaries depend on `n` and the chunk count alone, so which
/// thread runs a chunk never changes a result bit.
final class WorkerPool: @unchecked Sendable {
  /// The process's pool.
  static let shared = WorkerPool()

  /// The job word: generation (high bits), allowed pool threads, chunk count and next chunk to
  /// claim. A chunk is claimed by a compare-and-swap of this word, so a thread that sees a
  /// generation late can never claim a chunk of a later job.
  private let word = Atomic<Int>(0)
  /// Chunks of the current job finished (by any thread).
  private let finished = Atomic<Int>(0)
  /// Pool threads waiting on `condition`.
  private let sleeping = Atomic<Int>(0)
  /// Whether a job is running (a second caller then runs its chunks itself).
  private let busy = Atomic<Bool>(false)
  /// The current job's body; set before the job's word is published, cleared after all its chunks
  /// finished.
  nonisolated(unsafe) private var body: ((Int) -> Void)?
  /// Pool threads started so far.
  private let started = Mutex<Int>(0)
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let condition: UnsafeMutablePointer<pthread_cond_t>

  /// The most pool threads one job uses (the job word's field).
  static let maxHelpers = 255
  /// The largest chunk count a job word holds.
  static let maxChunks = (1 << 16) - 1
  /// Checks of the job word a pool thread makes before it sleeps (about 50 µs).
  static let spinChecks = 20_000

  private init() {
    mutex = .allocate(capacity: 1)
    condition = .allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(condition, nil)
  }

  private static func pack(generation: Int, allowed: Int, chunks: Int, next: Int) -> Int {
    (generation << 40) | (allowed << 32) | (chunks << 16) | next
  }

  /// Runs `run(c)` for every chunk `c` in `0..<chunks` on this thread and up to `helpers` pool
  /// threads (at most `maxHelpers`); false (nothing run) when another job is running.
  func run(chunks: Int, helpers: Int, _ run: (Int) -> Void) -> Bool {
    precondition(chunks >= 1 && chunks <= Self.maxChunks && helpers >= 1 && helpers <= Self.maxHelpers)
    guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
    defer { busy.store(false, ordering: .releasing) }
    startThreads(helpers)
    withoutActuallyEscaping(run) { r in
      body = r
      finished.store(0, ordering: .relaxed)
      let generation = ((word.load(ordering: .relaxed) >> 40) + 1) & 0x7F_FFFF
      word.store(
        Self.pack(generation: generation, allowed: helpers, chunks: chunks, next: 0), ordering: .sequentiallyConsistent)
      if sleeping.load(ordering: .sequentiallyConsistent) > 0 {
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
      }
      work(generation: generation, r)
      // The last chunks are running on pool threads; one that was preempted gets this core back.
      var checks = 0
      while finished.load(ordering: .acquiring) < chunks {
        checks += 1
        if checks > 1_000 { sched_yield() }
      }
      body = nil
    }
    return true
  }

  /// Claims and runs chunks of job `generation` until none is left.
  private func work(generation: Int, _ run: (Int) -> Void) {
    var w = word.load(ordering: .acquiring)
    while true {
      let next = w & 0xFFFF, chunks = (w >> 16) & 0xFFFF
      guard w >> 40 == generation, next < chunks else { return }
      let (done, now) = word.compareExchange(expected: w, desired: w + 1, ordering: .acquiring)
      if done {
        run(next)
        finished.add(1, ordering: .releasing)
        w = w + 1
      } else {
        w = now
      }
    }
  }

  private func startThreads(_ count: Int) {
    started.withLock { n in
      while n < count {
        let index = n
        let t = Thread { [self] in loop(index: index) }
        t.stackSize = 8 << 20
        t.start()
        n += 1
      }
    }
  }

  /// A pool thread: waits for a job it may join, works on it, and waits again.
  private func loop(index: Int) {
    var seen = 0
    while true {
      var w = word.load(ordering: .acquiring)
      var checks = 0
      while w >> 40 == seen {
        checks += 1
        // A thread the last job did not ask for (Workers.threads was lowered) sleeps at once.
        if checks < Self.spinChecks, index < (w >> 32) & 0xFF || seen == 0 {
          w = word.load(ordering: .acquiring)
          continue
        }
        pthread_mutex_lock(mutex)
        sleeping.add(1, ordering: .sequentiallyConsistent)
        while word.load(ordering: .sequentiallyConsistent) >> 40 == seen { pthread_cond_wait(condition, mutex) }
        sleeping.subtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(mutex)
        w = word.load(ordering: .acquiring)
        checks = 0
      }
      seen = w >> 40
      guard index < (w >> 32) & 0xFF else { continue }
      // The body is read only after a chunk of this generation is claimed (in `work`), and stays
      // set until every claimed chunk has finished.
      work(generation: seen) { c in
        let run = self.body!
        run(c)
      }
    }
  }
}
