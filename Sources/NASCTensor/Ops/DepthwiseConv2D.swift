import NASCKernelSupport

/// Depthwise convolution (groups = Cin = Cout): one small filter per channel plane, where GEMM would
/// waste its time packing. The kernels (`TensorKernels`) touch every plane once in forward and once in
/// the fused data+weight backward pass.
enum DepthwiseKernels {
  /// The kernels a depthwise conv can run on, fastest first.
  enum Kernel: Equatable {
    /// Stride 1, same-or-smaller padding: `DepthwiseStride1`.
    case stride1
    /// Column stride 2, row stride 1 or 2: `DepthwiseStride2`.
    case stride2
    /// Anything else: the scalar direct loops.
    case direct
  }

  /// The fastest kernel that applies to `g`.
  static func kernel(for g: ConvGeometry) -> Kernel {
    if DepthwiseStride1.applies(g) { return .stride1 }
    if DepthwiseStride2.applies(g) { return .stride2 }
    return .direct
  }

  /// Forward by the fastest applicable kernel.
  static func bestForward(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry) -> Tensor {
    switch kernel(for: g) {
    case .stride1: DepthwiseStride1.forward(x, w, g)
    case .stride2: DepthwiseStride2.forward(x, w, g)
    case .direct: forward(x, w, g)
    }
  }

  /// Backward by the same kernel choice as `bestForward`.
  static func bestBackward(
    _ x: Tensor, _ w: Tensor, _ dy: Tensor, _ g: ConvGeometry, needX: Bool, needW: Bool
  ) -> (Tensor?, Tensor?) {
    switch kernel(for: g) {
    case .stride1: DepthwiseStride1.backward(x, w, dy, g, needX: needX, needW: needW)
    case .stride2: DepthwiseStride2.backward(x, w, dy, g, needX: needX, needW: needW)
    case .direct: backward(x, w, dy, g, needX: needX, needW: needW)
    }
  }

  /// Forward by the direct loops (any geometry).
  static func forward(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry) -> Tensor {
    let y = Tensor(uninitializedShape: [g.n, g.cout, g.oh, g.ow])
    kernels.depthwiseDirectForward(x.storage.pointer, w.storage.pointer, into: y.storage.pointer, g.shape)
    return y
  }

  /// Backward by the direct loops.
  static func backward(_ x: Tensor, _ w: Tensor, _ dy: Tensor, _ g: ConvGeometry, needX: Bool, needW: Bool)
    -> (Tensor?, Tensor?)
  {
    gradients(x, w, needX: needX, needW: needW) { dx, dw in
      kernels.depthwiseDirectBackward(x.storage.pointer, w.storage.pointer, dy.storage.pointer, dx: dx, dw: dw, g.shape)
    }
  }

  /// Allocates the gradients asked for and lets `body` fill them.
  @inline(__always)
  static func gradients(
    _ x: Tensor, _ w: Tensor, needX: Bool, needW: Bool,
    _ body: (UnsafeMutablePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void
  ) -> (Tensor?, Tensor?) {
    let dx: Tensor? = needX ? Tensor(uninitializedShape: x.shape) : nil
    let dw: Tensor? = needW ? Tensor(uninitializedShape: w.shape) : nil
    body(dx?.storage.pointer, dw?.storage.pointer)
    return (dx, dw)
  }
}

/// The stride-1 depthwise fast path (every normal-cell sep/dil conv in DARTS): 8-wide SIMD blocks on a
/// zero-padded scratch plane (`NASCKernels/DepthwiseStride1.swift`).
enum DepthwiseStride1 {
  /// Whether the fast path applies: stride 1 and "same-or-smaller" padding (p ≤ d·(k−1)).
  static func applies(_ g: ConvGeometry) -> Bool { g.shape.fitsDepthwiseStride1 }

  static func forward(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry) -> Tensor {
    let y = Tensor(uninitializedShape: [g.n, g.cout, g.oh, g.ow])
    kernels.depthwiseStride1Forward(x.storage.pointer, w.storage.pointer, into: y.storage.pointer, g.shape)
    return y
  }

  static func backward(_ x: Tensor, _ w: Tensor, _ dy: Tensor, _ g: ConvGeometry, needX: Bool, needW: Bool)
    -> (Tensor?, Tensor?)
  {
    DepthwiseKernels.gradients(x, w, needX: needX, needW: needW) { dx, dw in
      kernels.depthwiseStride1Backward(
        x.storage.pointer, w.storage.pointer, dy.storage.pointer, dx: dx, dw: dw, g.shape)
    }
  }
}

/// The column-stride-2 depthwise fast path (every DARTS reduction-cell sep/dil conv): only the needed
/// outputs, on 8-wide SIMD blocks over deinterleaved planes (`NASCKernels/DepthwiseStride2.swift`).
enum DepthwiseStride2 {
  /// Whether the fast path applies: column stride 2, row stride 1 or 2, kernel sides ≤ 7.
  static func applies(_ g: ConvGeometry) -> Bool { g.shape.fitsDepthwiseStride2 }

  static func forward(_ x: Tensor, _ w: Tensor, _ g: ConvGeometry) -> Tensor {
    let y = Tensor(uninitializedShape: [g.n, g.cout, g.oh, g.ow])
    kernels.depthwiseStride2Forward(x.storage.pointer, w.storage.pointer, into: y.storage.pointer, g.shape)
    return y
  }

  static func backward(
    _ x: Tensor, _ w: Tensor, _ dy: Tensor, _ g: ConvGeometry, needX: Bool, needW: Bool
  ) -> (Tensor?, Tensor?) {
    DepthwiseKernels.gradients(x, w, needX: needX, needW: needW) { dx, dw in
      kernels.depthwiseStride2Backward(
        x.storage.pointer, w.storage.pointer, dy.storage.pointer, dx: dx, dw: dw, g.shape)
    }
  }
}
