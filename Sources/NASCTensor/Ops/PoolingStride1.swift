import NASCKernelSupport

/// Stride-1 pooling fast paths (the DARTS `max_pool_3x3` / `avg_pool_3x3` in normal cells), on the
/// padded 8-wide scratch layout of the stride-1 depthwise kernel (`NASCKernels/Pooling.swift`).
enum PoolingStride1 {
  static func applies(_ cfg: Pool2DConfig) -> Bool { cfg.stride == 1 && cfg.padding < cfg.kernel }

  /// The stride-1 geometry over `h × w` planes of an [N, C, h, w] input.
  static func poolShape(_ inShape: [Int], _ cfg: Pool2DConfig) -> PoolShape {
    let h = inShape[2], w = inShape[3], k = cfg.kernel, pad = cfg.padding
    return PoolShape(
      planes: inShape[0] * inShape[1], h: h, w: w, oh: h + 2 * pad - k + 1, ow: w + 2 * pad - k + 1, kernel: k,
      stride: 1, padding: pad)
  }

  static func avgForward(_ x: Tensor, _ cfg: Pool2DConfig) -> Tensor {
    let s = poolShape(x.shape, cfg)
    let y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], s.oh, s.ow])
    kernels.avgPoolStride1Forward(x.storage.pointer, into: y.storage.pointer, s)
    return y
  }

  static func avgBackward(_ g: Tensor, inShape: [Int], _ cfg: Pool2DConfig) -> Tensor {
    var s = poolShape(inShape, cfg)
    (s.oh, s.ow) = (g.shape[2], g.shape[3])
    let dx = Tensor(uninitializedShape: inShape)
    kernels.avgPoolStride1Backward(g.storage.pointer, into: dx.storage.pointer, s)
    return dx
  }

  /// Max over each window, with the winning input index (first maximum in row-major order, as PyTorch).
  static func maxForward(_ x: Tensor, _ cfg: Pool2DConfig, indices: UnsafeMutablePointer<Int32>?) -> Tensor {
    let s = poolShape(x.shape, cfg)
    let y = Tensor(uninitializedShape: [x.shape[0], x.shape[1], s.oh, s.ow])
    kernels.maxPoolStride1Forward(x.storage.pointer, into: y.storage.pointer, indices: indices, s)
    return y
  }
}
