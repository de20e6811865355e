/// Weight-shared narrower layers: a layer built at the largest width of a width choice runs a
/// narrower width on the leading slice of its weights (SPOS' channel search, superkernels). The
/// gradient reaches exactly that slice of the shared parameter; the rest of it gets zeros.
extension Conv2d {
  /// Convolves `x` (whose channels may be fewer than the layer's input width) into `outChannels`
  /// channels with the leading `[outChannels, x channels / groups]` block of the weight. A depthwise
  /// layer (groups = input = output width) stays depthwise at the narrower width.
  public func callAsFunction(_ x: Tensor, outChannels: Int) -> Tensor {
    let cout = weight.value.shape[0], cinPerGroup = weight.value.shape[1]
    let cin = x.shape[1]
    let depthwise = config.groups > 1 && config.groups == cout && cinPerGroup == 1
    let groups = depthwise ? cin : config.groups
    precondition(
      outChannels <= cout && cin / groups <= cinPerGroup && (!depthwise || outChannels == cin),
      "a sliced convolution \(cin)→\(outChannels) does not fit the weight \(weight.value.shape)")
    precondition(depthwise || config.groups == 1 || (outChannels == cout && cin / groups == cinPerGroup))
    if outChannels == cout && cin / groups == cinPerGroup { return self(x) }
    var w = weight.value
    if outChannels < cout { w = w.slice(axis: 0, start: 0, end: outChannels) }
    if cin / groups < cinPerGroup { w = w.slice(axis: 1, start: 0, end: cin / groups) }
    var cfg = config
    cfg.groups = groups
    let y = conv2d(x, weight: w, config: cfg)
    guard let bias else { return y }
    return y.addingChannelBias(outChannels < cout ? bias.value.slice(axis: 0, start: 0, end: outChannels) : bias.value)
  }
}

extension BatchNorm2d {
  /// Normalises `x`, whose channels may be fewer than the layer's: the leading affine parameters and
  /// running statistics serve them, and only those statistics are updated.
  public func callAsFunction(sliced x: Tensor, activation: BatchNormActivation = .identity) -> Tensor {
    let c = x.shape[1], full = stats.mean.count
    precondition(c <= full, "\(c) channels do not fit a batch norm of \(full)")
    if c == full { return self(x, activation: activation) }
    let w = weight.map { $0.value.slice(axis: 0, start: 0, end: c) }
    let b = bias.map { $0.value.slice(axis: 0, start: 0, end: c) }
    let part = BatchNormStats(channels: c)
    part.mean = stats.mean.slice(axis: 0, start: 0, end: c).detached()
    part.variance = stats.variance.slice(axis: 0, start: 0, end: c).detached()
    part.batchesTracked = stats.batchesTracked
    let y = normalise(x, weight: w, bias: b, stats: part, activation: activation)
    if isTraining {
      var mean = stats.mean.scalars, variance = stats.variance.scalars
      mean.replaceSubrange(0..<c, with: part.mean.scalars)
      variance.replaceSubrange(0..<c, with: part.variance.scalars)
      stats.mean = Tensor(shape: [full], scalars: mean)
      stats.variance = Tensor(shape: [full], scalars: variance)
      stats.batchesTracked = part.batchesTracked
    }
    return y
  }
}

extension Linear {
  /// Applies the leading `[outFeatures, x features]` block of the layer (and of its bias).
  public func callAsFunction(_ x: Tensor, outFeatures: Int) -> Tensor {
    let (o, i) = (weight.value.shape[0], weight.value.shape[1])
    precondition(outFeatures <= o && x.shape[1] <= i, "a sliced linear layer does not fit \(weight.value.shape)")
    if outFeatures == o && x.shape[1] == i { return self(x) }
    let w = weight.value.slice(axis: 0, start: 0, end: outFeatures).slice(axis: 1, start: 0, end: x.shape[1])
    return linear(x, weight: w, bias: bias.map { $0.value.slice(axis: 0, start: 0, end: outFeatures) })
  }
}
