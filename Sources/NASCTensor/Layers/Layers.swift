/// A module that maps one tensor to one tensor.
public protocol UnaryLayer: Module {
  /// Applies the layer.
  func callAsFunction(_ x: Tensor) -> Tensor
}

/// A 2-D convolution layer, bias-free unless asked (PyTorch `nn.Conv2d` default initialisation:
/// weight and bias uniform in ±1/√fan_in).
public final class Conv2d: Module, UnaryLayer {
  /// The `[Cout, Cin/groups, kh, kw]` weight.
  public let weight: Parameter
  /// The `[Cout]` bias, if any.
  public let bias: Parameter?
  /// Stride, padding, dilation, groups.
  public let config: Conv2DConfig

  /// A square-kernel convolution.
  public init(
    _ cin: Int, _ cout: Int, kernel: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
    groups: Int = 1, rng: inout RNG
  ) {
    precondition(
      cin % groups == 0 && cout % groups == 0, "channels \(cin)→\(cout) not divisible by \(groups)")
    config = Conv2DConfig(stride: stride, padding: padding, dilation: dilation, groups: groups)
    let fanIn = cin / groups * kernel * kernel
    let bound = 1 / Float(fanIn).squareRoot()
    weight = Parameter(.uniform([cout, cin / groups, kernel, kernel], low: -bound, high: bound, rng: &rng))
    bias = nil
    super.init()
    register("weight", weight)
  }

  /// A convolution with an explicit kernel shape and configuration (e.g. 1×7 / 7×1), with a bias
  /// when `bias` is set (its initial values are drawn after the weight's).
  public init(
    _ cin: Int, _ cout: Int, kernelH: Int, kernelW: Int, config: Conv2DConfig, bias hasBias: Bool = false,
    rng: inout RNG
  ) {
    self.config = config
    let fanIn = cin / config.groups * kernelH * kernelW
    let bound = 1 / Float(fanIn).squareRoot()
    weight = Parameter(
      .uniform([cout, cin / config.groups, kernelH, kernelW], low: -bound, high: bound, rng: &rng))
    bias = hasBias ? Parameter(.uniform([cout], low: -bound, high: bound, rng: &rng)) : nil
    super.init()
    register("weight", weight)
    if let bias { register("bias", bias) }
  }

  /// Convolves `x` (and adds the bias).
  public func callAsFunction(_ x: Tensor) -> Tensor {
    let y = conv2d(x, weight: weight.value, config: config)
    guard let bias else { return y }
    return y.addingChannelBias(bias.value)
  }
}

/// Batch normalisation over channels of NCHW (or [N, C]) tensors, with running statistics.
public final class BatchNorm2d: Module, UnaryLayer {
  /// Scale γ (nil when not affine).
  public let weight: Parameter?
  /// Shift β (nil when not affine).
  public let bias: Parameter?
  /// Running mean and variance.
  public let stats: BatchNormStats
  /// Running-average factor.
  public var momentum: Float
  /// Added to the variance.
  public var eps: Float
  /// When set, training batches are normalised in independent slices of this many samples ("ghost
  /// batches"); each slice updates the running statistics.
  public var ghostBatchSize: Int?
  /// When true, the running statistics are the plain average of every batch since they were last
  /// reset (PyTorch's `momentum=None`: factor 1 / batches tracked) instead of an exponential one:
  /// what BN recalibration of a weight-shared supernet uses.
  public var cumulativeAverage = false

  /// `affine: false` is the DARTS search setting.
  public init(
    _ channels: Int, affine: Bool = true, momentum: Float = 0.1, eps: Float = 1e-5,
    ghostBatchSize: Int? = nil
  ) {
    precondition(ghostBatchSize.map { $0 > 1 } ?? true, "ghost batches need more than one sample")
    self.ghostBatchSize = ghostBatchSize
    weight = affine ? Parameter(.ones([channels])) : nil
    bias = affine ? Parameter(.zeros([channels])) : nil
    stats = BatchNormStats(channels: channels)
    self.momentum = momentum
    self.eps = eps
    super.init()
    if let weight { register("weight", weight) }
    if let bias { register("bias", bias) }
    register("", stats)
  }

  /// Normalises `x` (batch statistics in training mode, running statistics in eval mode).
  public func callAsFunction(_ x: Tensor) -> Tensor {
    normalise(x, weight: weight?.value, bias: bias?.value, stats: stats)
  }

  /// Normalises `x` and applies `activation` in the same pass (BN → ReLU6 as one op).
  public func callAsFunction(_ x: Tensor, activation: BatchNormActivation) -> Tensor {
    normalise(x, weight: weight?.value, bias: bias?.value, stats: stats, activation: activation)
  }

  /// Normalises `x` with the given affine parameters and statistics (ghost batches in training),
  /// then `activation`.
  func normalise(
    _ x: Tensor, weight: Tensor?, bias: Tensor?, stats: BatchNormStats, activation: BatchNormActivation = .identity
  ) -> Tensor {
    if isTraining, let ghost = ghostBatchSize, x.shape[0] > ghost {
      let n = x.shape[0]
      var sizes = stride(from: 0, to: n, by: ghost).map { min(ghost, n - $0) }
      if sizes.last == 1, x.shape.dropFirst(2).reduce(1, *) == 1 {
        // A last ghost batch of one 1×1 image has one value per channel: it joins the one before.
        sizes.removeLast()
        sizes[sizes.count - 1] += 1
      }
      let parts = x.split(sizes: sizes, axis: 0).map {
        batchNorm(
          $0, weight: weight, bias: bias, stats: stats, training: true,
          momentum: cumulativeAverage ? 1 / Float(stats.batchesTracked + 1) : momentum, eps: eps,
          activation: activation)
      }
      return concat(parts, axis: 0)
    }
    return batchNorm(
      x, weight: weight, bias: bias, stats: stats, training: isTraining,
      momentum: cumulativeAverage ? 1 / Float(stats.batchesTracked + 1) : momentum, eps: eps,
      activation: activation)
  }
}

/// A fully connected layer (PyTorch `nn.Linear` default initialisation).
public final class Linear: Module, UnaryLayer {
  /// The `[out, in]` weight.
  public let weight: Parameter
  /// The `[out]` bias, if any.
  public let bias: Parameter?

  /// A linear layer from `inFeatures` to `outFeatures`.
  public init(_ inFeatures: Int, _ outFeatures: Int, bias hasBias: Bool = true, rng: inout RNG) {
    let bound = 1 / Float(inFeatures).squareRoot()
    weight = Parameter(.uniform([outFeatures, inFeatures], low: -bound, high: bound, rng: &rng))
    bias = hasBias ? Parameter(.uniform([outFeatures], low: -bound, high: bound, rng: &rng)) : nil
    super.init()
    register("weight", weight)
    if let bias { register("bias", bias) }
  }

  /// Applies the layer to `x` of shape [N, in].
  public func callAsFunction(_ x: Tensor) -> Tensor { linear(x, weight: weight.value, bias: bias?.value) }
}

/// Layers applied one after another.
public final class Sequential: Module, UnaryLayer {
  /// The layers in order.
  public let layers: [any UnaryLayer]

  /// Registers the layers as children "0", "1", ….
  public init(_ layers: [any UnaryLayer]) {
    self.layers = layers
    super.init()
    for (i, l) in layers.enumerated() { register(String(i), l) }
  }

  /// Applies every layer in order.
  public func callAsFunction(_ x: Tensor) -> Tensor { layers.reduce(x) { $1($0) } }
}
