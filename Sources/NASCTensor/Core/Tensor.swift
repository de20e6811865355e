/// An n-dimensional float32 array (image tensors are NCHW) with value semantics.
///
/// A `Tensor` is a struct over copy-on-write `TensorStorage` plus an optional link into the autodiff
/// graph: tensors computed from a `Parameter` while gradients are enabled remember how they were made,
/// and `backward()` on a scalar result accumulates gradients into those parameters.
public struct Tensor: @unchecked Sendable {
  /// The backing buffer (shared between copies until one of them mutates).
  public internal(set) var storage: TensorStorage
  /// The extent of every axis, outermost first (NCHW for images).
  public internal(set) var shape: [Int]
  /// The autodiff node that produced this value, or `nil` for a constant.
  var node: Node?

  /// Wraps existing storage; `shape` must describe exactly `storage.count` elements.
  init(storage: TensorStorage, shape: [Int], node: Node? = nil) {
    precondition(
      shape.reduce(1, *) == storage.count, "shape \(shape) does not match \(storage.count) elements")
    self.storage = storage
    self.shape = shape
    self.node = node
  }

  /// A tensor with uninitialised elements (kernels fill it).
  init(uninitializedShape shape: [Int]) {
    self.init(storage: TensorStorage(uninitializedCount: shape.reduce(1, *)), shape: shape)
  }

  /// A tensor of `shape` filled with `value`.
  public init(repeating value: Float, shape: [Int]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in \(shape)")
    self.init(storage: TensorStorage(count: shape.reduce(1, *), repeating: value), shape: shape)
  }

  /// A tensor of `shape` holding `scalars` in row-major order.
  public init(shape: [Int], scalars: [Float]) {
    precondition(shape.reduce(1, *) == scalars.count, "\(scalars.count) scalars for shape \(shape)")
    let s = TensorStorage(uninitializedCount: scalars.count)
    scalars.withUnsafeBufferPointer { s.pointer.update(from: $0.baseAddress!, count: scalars.count) }
    self.init(storage: s, shape: shape)
  }

  /// A 1-element tensor of shape `[1]`.
  public init(_ scalar: Float) { self.init(shape: [1], scalars: [scalar]) }

  /// A 1-D tensor holding `scalars`.
  public init(_ scalars: [Float]) { self.init(shape: [scalars.count], scalars: scalars) }

  /// Zeros of the given shape.
  public static func zeros(_ shape: [Int]) -> Tensor { Tensor(repeating: 0, shape: shape) }

  /// Ones of the given shape.
  public static func ones(_ shape: [Int]) -> Tensor { Tensor(repeating: 1, shape: shape) }

  /// Samples from N(mean, std²) drawn from `rng`.
  public static func randn(_ shape: [Int], mean: Float = 0, std: Float = 1, rng: inout RNG) -> Tensor {
    let t = Tensor(uninitializedShape: shape)
    let p = t.storage.pointer
    for i in 0..<t.count { p[i] = mean + std * rng.nextNormal() }
    return t
  }

  /// Samples uniformly from [low, high) drawn from `rng`.
  public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1, rng: inout RNG) -> Tensor {
    let t = Tensor(uninitializedShape: shape)
    let p = t.storage.pointer
    for i in 0..<t.count { p[i] = low + (high - low) * rng.nextFloat() }
    return t
  }

  /// The number of elements.
  public var count: Int { storage.count }

  /// The number of axes.
  public var rank: Int { shape.count }

  /// All elements in row-major order.
  public var scalars: [Float] { Array(UnsafeBufferPointer(start: storage.pointer, count: count)) }

  /// The only element of a one-element tensor.
  public var scalar: Float {
    precondition(count == 1, "scalar of a tensor with \(count) elements")
    return storage.pointer[0]
  }

  /// Whether this value is linked into the autodiff graph (gradients will flow through it).
  public var requiresGrad: Bool { node != nil }

  /// The same value, cut from the autodiff graph (stop-gradient).
  public func detached() -> Tensor { Tensor(storage: storage, shape: shape) }

  /// Reads the elements without copying.
  public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
    try body(UnsafeBufferPointer(start: storage.pointer, count: count))
  }

  /// Mutates the elements in place, copying the storage first if it is shared (copy-on-write).
  /// The result is detached from the autodiff graph.
  public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    node = nil
    return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
  }

  /// The element at a multi-dimensional index (slow; for tests and small tensors).
  public subscript(index: Int...) -> Float {
    precondition(index.count == rank, "index \(index) for shape \(shape)")
    var flat = 0
    for (i, d) in zip(index, shape) {
      precondition(i >= 0 && i < d, "index \(index) out of range for shape \(shape)")
      flat = flat * d + i
    }
    return storage.pointer[flat]
  }
}

extension Tensor: CustomStringConvertible {
  /// A short description: shape and the first few elements.
  public var description: String {
    let head = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
    return "Tensor(shape: \(shape), [\(head)\(count > 8 ? ", …" : "")])"
  }
}
