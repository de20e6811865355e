/// A reference-counted, 64-byte aligned buffer of `Float`s: the copy-on-write backing of a `Tensor`.
///
/// Storage is never mutated in place unless the mutating `Tensor` holds the only reference
/// (`isKnownUniquelyReferenced`), so values saved on the tape for backward are never changed under it.
public final class TensorStorage: @unchecked Sendable {
  /// The first element.
  public let pointer: UnsafeMutablePointer<Float>
  /// The number of elements.
  public let count: Int

  /// Allocates uninitialised storage for `count` floats.
  public init(uninitializedCount count: Int) {
    precondition(count >= 0, "negative element count")
    self.count = count
    let raw = StoragePool.allocate(bytes: max(count, 1) * MemoryLayout<Float>.stride)
    pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
  }

  /// Allocates storage for `count` floats, all set to `value`.
  public convenience init(count: Int, repeating value: Float) {
    self.init(uninitializedCount: count)
    pointer.initialize(repeating: value, count: count)
  }

  /// A fresh storage holding a copy of this one's elements.
  public func copy() -> TensorStorage {
    let s = TensorStorage(uninitializedCount: count)
    s.pointer.update(from: pointer, count: count)
    return s
  }

  deinit {
    StoragePool.deallocate(
      UnsafeMutableRawPointer(pointer), bytes: max(count, 1) * MemoryLayout<Float>.stride)
  }
}
