import Dispatch
import Synchronization
import Testing

@testable import NASCKernelSupport

/// `parallelChunks` on the engine's worker pool: every chunk runs exactly once, over the same ranges,
/// whoever calls it (one thread, several at once, a kernel inside a chunk).
@Suite(.serialized) struct WorkerPoolTests {
  /// Runs `parallelChunks(n, chunks:)` and returns how often each chunk ran and the ranges seen.
  static func runs(_ n: Int, chunks: Int? = nil) -> (counts: [Int], covered: [Int]) {
    let slots = chunks ?? Workers.workChunks(n)
    let seen = Mutex<[(Int, Range<Int>)]>([])
    parallelChunks(n, chunks: chunks) { c, r in seen.withLock { $0.append((c, r)) } }
    var counts = [Int](repeating: 0, count: slots), covered = [Int](repeating: 0, count: n)
    for (c, r) in seen.withLock({ $0 }) {
      counts[c] += 1
      for i in r { covered[i] += 1 }
    }
    return (counts, covered)
  }

  @Test func everyChunkRunsOnceOverTheWholeRange() {
    for n in [1, 2, 7, 8, 100, 4_097] {
      for _ in 0..<200 {
        let (counts, covered) = Self.runs(n)
        #expect(counts.allSatisfy { $0 == 1 } && covered.allSatisfy { $0 == 1 }, "n \(n)")
      }
    }
    let many = Self.runs(70_000, chunks: 70_000)  // beyond the job word's chunk field
    #expect(many.counts.allSatisfy { $0 == 1 })
  }

  @Test func concurrentAndNestedCallersEachRunTheirChunksOnce() {
    let failures = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: 8) { t in
      for i in 0..<100 {
        let n = 16 + (t * 7 + i) % 50
        let outer = Atomic<Int>(0)
        parallelChunks(n) { _, r in
          // A kernel inside a chunk: it runs in place, with the same split.
          let (counts, covered) = Self.runs(r.count + 1)
          if !(counts.allSatisfy { $0 == 1 } && covered.allSatisfy { $0 == 1 }) {
            failures.add(1, ordering: .relaxed)
          }
          outer.add(r.count, ordering: .relaxed)
        }
        if outer.load(ordering: .relaxed) != n { failures.add(1, ordering: .relaxed) }
      }
    }
    #expect(failures.load(ordering: .relaxed) == 0)
  }

  @Test func changingTheThreadCountKeepsEveryChunk() {
    let saved = Workers.threads
    defer { Workers.threads = saved }
    for threads in [4, 1, 3, 2] {
      Workers.threads = threads
      for _ in 0..<100 {
        let (counts, covered) = Self.runs(1_000)
        #expect(counts.allSatisfy { $0 == 1 } && covered.allSatisfy { $0 == 1 }, "threads \(threads)")
      }
    }
  }
}
