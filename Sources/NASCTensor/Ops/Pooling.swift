import NASCKernelSupport

/// Kernel, stride and padding of a square 2-D pooling window.
public struct Pool2DConfig: Hashable, Sendable {
  /// Window size.
  public var kernel: Int
  /// Step between windows.
  public var stride: Int
  /// Implicit padding on every side (−∞ for max, excluded from the count for average).
  public var padding: Int

  /// A pooling window; `stride` defaults to `kernel`, as in PyTorch.
  public init(kernel: Int, stride: Int? = nil, padding: Int = 0) {
    precondition(
      kernel >= 1 && (stride ?? kernel) >= 1 && padding >= 0 && 2 * padding <= kernel,
      "bad pooling window k\(kernel) s\(stride ?? kernel) p\(padding)")
    self.kernel = kernel
    self.stride = stride ?? kernel
    self.padding = padding
  }

  func outSize(_ n: Int) -> Int {
    let o = (n + 2 * padding - kernel) / stride + 1
    precondition(o > 0, "pooling output would be empty for size \(n)")
    return o
  }
}

/// Max pooling over k×k windows of an NCHW tensor (padding never wins; the first maximum in
/// row-major window order wins ties, as in PyTorch).
public func maxPool2d(_ x: Tensor, _ cfg: Pool2DConfig) -> Tensor {
  precondition(x.rank == 4, "maxPool2d needs NCHW, got \(x.shape)")
  let outCount = x.shape[0] * x.shape[1] * cfg.outSize(x.shape[2]) * cfg.outSize(x.shape[3])
  let needIdx = GradMode.isEnabled && x.requiresGrad
  // Winning input indices for backward, as Int32 in a 4-byte-per-element storage.
  let idx = TensorStorage(uninitializedCount: needIdx ? outCount : 0)
  let ip = UnsafeMutableRawPointer(idx.pointer).bindMemory(to: Int32.self, capacity: max(idx.count, 1))
  var y = PoolKernels.maxForward(x, cfg, indices: needIdx ? ip : nil)
  y.record(.maxPool(indices: idx, inShape: x.shape), x)
  return y
}

/// Average pooling over k×k windows; padded positions are not counted (`count_include_pad=False`).
public func avgPool2d(_ x: Tensor, _ cfg: Pool2DConfig) -> Tensor {
  precondition(x.rank == 4, "avgPool2d needs NCHW, got \(x.shape)")
  var y = PoolKernels.avgForward(x, cfg)
  y.record(.avgPool(inShape: x.shape, cfg), x)
  return y
}

/// Pooling kernels: the SIMD stride-1 path, stride 2 through it, else direct loops.
enum PoolKernels {
  static func maxForward(_ x: Tensor, _ cfg: Pool2DConfig, indices: UnsafeMutablePointer<Int32>?) -> Tensor {
    if PoolingStride1.applies(cfg) { return PoolingStride1.maxForward(x, cfg, indices: indices) }
    if StridedViaStride1.poolApplies(cfg) {
      return StridedViaStride1.maxPoolForward(
        x, cfg, oh: cfg.outSize(x.shape[2]), ow: cfg.outSize(x.shape[3]), indices: indices)
    }
    return maxDirect(x, cfg, indices: indices)
  }

  static func avgForward(_ x: Tensor, _ cfg: Pool2DConfig) -> Tensor {
    if PoolingStride1.applies(cfg) { return PoolingStride1.avgForward(x, cfg) }
    if StridedViaStride1.poolApplies(cfg) {
      return StridedViaStride1.avgPoolForward(
        x, cfg, oh: cfg.outSize(x.shape[2]), ow: cfg.outSize(x.shape[3]))
    }
    return avgDirect(x, cfg)
  }

  /// The pooling geometry of `cfg` over an NCHW input of `shape`.
  static func poolShape(_ shape: [Int], _ cfg: Pool2DConfig) -> PoolShape {
    PoolShape(
      planes: shape[0] * shape[1], h: shape[2], w: shape[3], oh: cfg.outSize(shape[2]), ow: cfg.outSize(shape[3]),
      kernel: cfg.kernel, stride: cfg.stride, padding: cfg.padding)
  }

  static func maxDirect(_ x: Tensor, _ cfg: Pool2DConfig, indices: UnsafeMutablePointer<Int32>?) -> Tensor {
    let s = poolShape(x.shape, cfg)
    let y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], s.oh, s.ow])
    kernels.maxPoolDirectForward(x.storage.pointer, into: y.storage.pointer, indices: indices, s)
    return y
  }

  static func avgDirect(_ x: Tensor, _ cfg: Pool2DConfig) -> Tensor {
    let s = poolShape(x.shape, cfg)
    let y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], s.oh, s.ow])
    kernels.avgPoolDirectForward(x.storage.pointer, into: y.storage.pointer, s)
    return y
  }
}

/// The mean over H and W of an NCHW tensor, as an `[N, C]` tensor.
public func globalAvgPool(_ x: Tensor) -> Tensor {
  precondition(x.rank == 4, "globalAvgPool needs NCHW, got \(x.shape)")
  let (n, c) = (x.shape[0], x.shape[1]), hw = x.shape[2] * x.shape[3]
  var y = Tensor(uninitializedShape: [n, c])
  let xp = x.storage.pointer, yp = y.storage.pointer
  let inv = 1 / Float(hw)
  for p in 0..<(n * c) {
    var s: Float = 0
    let pl = xp + p * hw
    for i in 0..<hw { s += pl[i] }
    yp[p] = s * inv
  }
  y.record(.globalAvgPool(inShape: x.shape), x)
  return y
}

enum PoolGrad {
  static func maxPool(_ g: Tensor, indices: TensorStorage, inShape: [Int]) -> Tensor {
    let dx = Tensor.zeros(inShape)
    let planes = inShape[0] * inShape[1], inPlane = inShape[2] * inShape[3], outPlane = g.count / planes
    let ip = UnsafeMutableRawPointer(indices.pointer).bindMemory(to: Int32.self, capacity: g.count)
    kernels.maxPoolBackward(
      g.storage.pointer, indices: ip, into: dx.storage.pointer, planes: planes, inPlane: inPlane, outPlane: outPlane)
    return dx
  }

  static func avgPool(_ g: Tensor, inShape: [Int], _ cfg: Pool2DConfig) -> Tensor {
    if PoolingStride1.applies(cfg) { return PoolingStride1.avgBackward(g, inShape: inShape, cfg) }
    if StridedViaStride1.poolApplies(cfg) {
      return StridedViaStride1.avgPoolBackward(g, inShape: inShape, cfg)
    }
    return avgPoolDirect(g, inShape: inShape, cfg)
  }

  static func avgPoolDirect(_ g: Tensor, inShape: [Int], _ cfg: Pool2DConfig) -> Tensor {
    let dx = Tensor.zeros(inShape)
    var s = PoolKernels.poolShape(inShape, cfg)
    (s.oh, s.ow) = (g.shape[2], g.shape[3])
    kernels.avgPoolDirectBackward(g.storage.pointer, into: dx.storage.pointer, s)
    return dx
  }

  static func globalAvgPool(_ g: Tensor, inShape: [Int]) -> Tensor {
    let dx = Tensor(uninitializedShape: inShape)
    let hw = inShape[2] * inShape[3], inv = 1 / Float(hw)
    let gp = g.storage.pointer, dp = dx.storage.pointer
    for p in 0..<(inShape[0] * inShape[1]) {
      (dp + p * hw).update(repeating: gp[p] * inv, count: hw)
    }
    return dx
  }
}
