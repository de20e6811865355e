import Synchronization

/// A cache of large freed tensor buffers, keyed by exact size.
///
/// A search step allocates the same activation shapes every iteration; reusing their buffers avoids
/// the page faults and kernel zeroing that fresh large allocations cost (glibc hands blocks this size
/// back to the OS on free). Buffers below `minimumBytes` go straight to the system allocator.
public enum StoragePool {
  /// Buffers smaller than this are never cached.
  public static let minimumBytes = 64 * 1024

  struct State {
    var free: [Int: [UInt]] = [:]  // addresses, so the state stays Sendable
    var cachedBytes = 0
    var limitBytes = 4 << 30
  }

  static let state = Mutex(State())

  /// The most bytes kept cached (default 4 GiB); lowering it releases the excess at once.
  public static var limitBytes: Int {
    get { state.withLock { $0.limitBytes } }
    set {
      precondition(newValue >= 0, "pool limit must be non-negative")
      state.withLock { $0.limitBytes = newValue }
      if cachedBytes > newValue { releaseAll() }
    }
  }

  /// Bytes currently held in the cache.
  public static var cachedBytes: Int { state.withLock { $0.cachedBytes } }

  /// Returns every cached buffer to the system.
  public static func releaseAll() {
    let all = state.withLock { s -> [UInt] in
      let ptrs = s.free.values.flatMap { $0 }
      s.free = [:]
      s.cachedBytes = 0
      return ptrs
    }
    for a in all { UnsafeMutableRawPointer(bitPattern: a)!.deallocate() }
  }

  static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
    if bytes >= minimumBytes {
      let reused = state.withLock { s -> UInt? in
        guard let a = s.free[bytes]?.popLast() else { return nil }
        s.cachedBytes -= bytes
        return a
      }
      if let reused { return UnsafeMutableRawPointer(bitPattern: reused)! }
    }
    return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
  }

  static func deallocate(_ p: UnsafeMutableRawPointer, bytes: Int) {
    if bytes >= minimumBytes {
      let address = UInt(bitPattern: p)
      let kept = state.withLock { s -> Bool in
        guard s.cachedBytes + bytes <= s.limitBytes else { return false }
        s.free[bytes, default: []].append(address)
        s.cachedBytes += bytes
        return true
      }
      if kept { return }
    }
    p.deallocate()
  }
}
