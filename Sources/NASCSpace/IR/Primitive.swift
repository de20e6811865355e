/// The shape of one feature map (per image): channels × height × width. Vectors are `c × 1 × 1`.
public struct Shape: Sendable, Hashable, CustomStringConvertible {
  /// Channels.
  public var channels: Int
  /// Height in pixels.
  public var height: Int
  /// Width in pixels.
  public var width: Int

  /// Creates a shape.
  public init(_ channels: Int, _ height: Int, _ width: Int) {
    self.channels = channels
    self.height = height
    self.width = width
  }

  /// `CxHxW`.
  public var description: String { "\(channels)x\(height)x\(width)" }
  /// Number of elements.
  public var elements: Int { Cost.mul(channels, height, width) }
}

/// A 2-D convolution with everything resolved. Weight shape `[cout, cin/groups, kh, kw]`.
public struct Conv2d: Sendable, Hashable {
  /// Input channels.
  public var cin: Int
  /// Output channels.
  public var cout: Int
  /// Kernel (height, width).
  public var kernel: (Int, Int) { (kh, kw) }
  /// Kernel height.
  public var kh: Int
  /// Kernel width.
  public var kw: Int
  /// Stride (height).
  public var sh: Int
  /// Stride (width).
  public var sw: Int
  /// Zero padding (height), each side.
  public var ph: Int
  /// Zero padding (width), each side.
  public var pw: Int
  /// Dilation (height).
  public var dh: Int
  /// Dilation (width).
  public var dw: Int
  /// Groups (`cin` for depthwise).
  public var groups: Int
  /// Whether the conv has a bias.
  public var bias: Bool
}

/// A pooling window.
public struct Pool2d: Sendable, Hashable {
  /// Kernel height.
  public var kh: Int
  /// Kernel width.
  public var kw: Int
  /// Stride (height).
  public var sh: Int
  /// Stride (width).
  public var sw: Int
  /// Padding (height).
  public var ph: Int
  /// Padding (width).
  public var pw: Int
  /// Whether padded zeros count in an average (PyTorch `count_include_pad`).
  public var countIncludePad: Bool
}

/// The primitive vocabulary every op lowers to. Each is one engine module; parameters and
/// multiply-accumulates are defined by `CostModel`.
public enum Primitive: Sendable, Hashable {
  /// Convolution (weights `cout·cin/groups·kh·kw`, plus `cout` bias).
  case conv(Conv2d)
  /// Batch norm over `channels`; `affine` adds scale and shift (2·channels parameters).
  case batchNorm(channels: Int, affine: Bool)
  /// max(x, 0).
  case relu
  /// min(max(x, 0), 6).
  case relu6
  /// tanh.
  case tanh
  /// sigmoid.
  case sigmoid
  /// The input itself.
  case identity
  /// Zeros of the output shape; with stride s the input is first subsampled `x[:, :, ::s, ::s]`.
  case zero(stride: Int)
  /// Max pooling.
  case maxPool(Pool2d)
  /// Average pooling.
  case avgPool(Pool2d)
  /// Mean over height and width → `c×1×1`.
  case globalAvgPool
  /// Fully connected layer on the flattened input (`inFeatures = c·h·w`).
  case linear(inFeatures: Int, outFeatures: Int, bias: Bool)
  /// Element-wise dropout (training only).
  case dropout(p: Double)
  /// FactorizedReduce's pixel shift: `y[:, :, i, j] = x[:, :, i+1, j+1]`, zero beyond the border
  /// (same shape; equals PyTorch's `x[:, :, 1:, 1:]` followed by the stride-2 conv, padded).
  case shift
  /// ShuffleNet channel shuffle: reshape `(g, c/g)` → transpose → flatten.
  case channelShuffle(groups: Int)
  /// Channels `start, start+step, …` (`count` of them).
  case slice(start: Int, count: Int, step: Int)
  /// Concatenation of all inputs along channels.
  case concat
  /// Element-wise sum of all inputs (a 1×1 map broadcasts over height and width).
  case add
  /// Element-wise product of all inputs (a 1×1 map broadcasts over height and width).
  case mul
  /// The first input minus the others, element-wise (a 1×1 map broadcasts over height and width).
  case sub
  /// Token embedding: a table of `tokens × dim` parameters; the input is a token id.
  case embedding(tokens: Int, dim: Int)
  /// A linear layer whose weight is the network's embedding table (tied decoder): only the bias is
  /// a parameter of its own.
  case tiedLinear(inFeatures: Int, outFeatures: Int, bias: Bool)

  /// The name used in `--dump ir`.
  public var name: String {
    switch self {
    case .conv: return "conv"
    case .batchNorm: return "bn"
    case .relu: return "relu"
    case .relu6: return "relu6"
    case .tanh: return "tanh"
    case .sigmoid: return "sigmoid"
    case .identity: return "identity"
    case .zero: return "zero"
    case .maxPool: return "max_pool"
    case .avgPool: return "avg_pool"
    case .globalAvgPool: return "global_avg_pool"
    case .linear: return "linear"
    case .dropout: return "dropout"
    case .shift: return "shift"
    case .channelShuffle: return "channel_shuffle"
    case .slice: return "slice"
    case .concat: return "concat"
    case .add: return "add"
    case .mul: return "mul"
    case .sub: return "sub"
    case .embedding: return "embedding"
    case .tiedLinear: return "linear"
    }
  }
}

extension Conv2d {
  /// Equality and hashing over all fields (tuples are not Hashable).
  public static func == (a: Conv2d, b: Conv2d) -> Bool {
    a.cin == b.cin && a.cout == b.cout && a.kh == b.kh && a.kw == b.kw && a.sh == b.sh && a.sw == b.sw
      && a.ph == b.ph && a.pw == b.pw && a.dh == b.dh && a.dw == b.dw && a.groups == b.groups && a.bias == b.bias
  }

  /// Hashes all fields.
  public func hash(into h: inout Hasher) {
    for v in [cin, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups] { h.combine(v) }
    h.combine(bias)
  }
}
