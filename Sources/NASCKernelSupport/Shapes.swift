/// A 2-D convolution's extents and settings, as the kernels read them (NASCTensor's `ConvGeometry`
/// flattened into plain integers, so that both builds of the kernels share one type).
@usableFromInline
package struct ConvShape: Sendable {
  @usableFromInline package var n, cin, h, w, cout, kh, kw, oh, ow: Int
  @usableFromInline package var strideH, strideW, padH, padW, dilationH, dilationW, groups: Int

  @inlinable
  package init(
    n: Int, cin: Int, h: Int, w: Int, cout: Int, kh: Int, kw: Int, oh: Int, ow: Int, strideH: Int,
    strideW: Int, padH: Int, padW: Int, dilationH: Int, dilationW: Int, groups: Int
  ) {
    (self.n, self.cin, self.h, self.w, self.cout, self.kh, self.kw, self.oh, self.ow) =
      (n, cin, h, w, cout, kh, kw, oh, ow)
    (self.strideH, self.strideW, self.padH, self.padW) = (strideH, strideW, padH, padW)
    (self.dilationH, self.dilationW, self.groups) = (dilationH, dilationW, groups)
  }

  /// Input channels per group.
  @inlinable package var cinG: Int { cin / groups }
  /// Output channels per group.
  @inlinable package var coutG: Int { cout / groups }
  /// Rows of the im2col matrix: cinG · kh · kw.
  @inlinable package var kdim: Int { cinG * kh * kw }

  /// Kernel sides up to this take the stride-2 depthwise kernel (its tap tables are fixed-size).
  @usableFromInline package static let stride2MaxSide = 7

  /// Whether the stride-1 depthwise kernel applies: stride 1 and "same-or-smaller" padding
  /// (p ≤ d·(k−1)).
  @inlinable package var fitsDepthwiseStride1: Bool {
    strideH == 1 && strideW == 1 && padH <= dilationH * (kh - 1) && padW <= dilationW * (kw - 1)
  }

  /// Whether the stride-2 depthwise kernel applies: column stride 2, row stride 1 or 2, kernel sides
  /// up to `stride2MaxSide`.
  @inlinable package var fitsDepthwiseStride2: Bool {
    strideW == 2 && (strideH == 1 || strideH == 2) && kh <= Self.stride2MaxSide && kw <= Self.stride2MaxSide
  }

  /// The range of output positions `o` in `0..<outCount` with `o·stride + offset` inside `0..<inCount`.
  @inlinable @inline(__always)
  package static func validRange(outCount: Int, inCount: Int, stride: Int, offset: Int) -> Range<Int> {
    // o*stride + offset >= 0  →  o >= ceil(-offset / stride)
    let lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride
    // o*stride + offset <= inCount - 1  →  o <= floor((inCount - 1 - offset) / stride)
    let top = inCount - 1 - offset
    let hi = top < 0 ? 0 : min(outCount, top / stride + 1)
    return lo < hi ? lo..<hi : 0..<0
  }
}

/// A square 2-D pooling window over `planes` planes of `h × w`, giving `oh × ow` outputs each.
@usableFromInline
package struct PoolShape: Sendable {
  @usableFromInline package var planes, h, w, oh, ow, kernel, stride, padding: Int

  @inlinable
  package init(planes: Int, h: Int, w: Int, oh: Int, ow: Int, kernel: Int, stride: Int, padding: Int) {
    (self.planes, self.h, self.w, self.oh, self.ow) = (planes, h, w, oh, ow)
    (self.kernel, self.stride, self.padding) = (kernel, stride, padding)
  }
}

/// A function of one element.
package enum UnaryOp: Sendable, Equatable {
  /// x · s.
  case scale(Float)
  /// x + c.
  case addScalar(Float)
  /// eˣ.
  case exp
  /// ln x.
  case log
  /// max(x, 0) (0 for NaN).
  case relu
  /// min(max(x, 0), 6).
  case relu6
  /// tanh x.
  case tanh
  /// 1 / (1 + e⁻ˣ).
  case sigmoid
  /// 1 where x > threshold, else 0.
  case indicator(threshold: Float)
}

/// A function of two elements (the second is usually a saved activation in a backward rule).
package enum BinaryOp: Sendable, Equatable {
  /// a + b.
  case add
  /// a − b.
  case sub
  /// a · b.
  case mul
  /// a / b.
  case div
  /// g · 1[y > 0].
  case reluGrad
  /// g · 1[0 < x < 6].
  case relu6Grad
  /// g · (1 − y²).
  case tanhGrad
  /// g · y · (1 − y).
  case sigmoidGrad
}

/// How a per-plane value combines with a map (NASCTensor's public `PlaneCombine`).
package enum PlaneOp: Sendable, Equatable {
  case add, sub, mul
}

/// An activation fused into a batch norm's output pass (NASCTensor's public `BatchNormActivation`).
@usableFromInline
package enum FusedActivation: Sendable, Equatable {
  case identity, relu, relu6

  /// Where the activation passes its gradient: 0 < y < upper.
  @inlinable package var upper: Float { self == .relu6 ? 6 : .infinity }
}
