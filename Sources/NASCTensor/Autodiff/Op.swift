/// Every differentiable operation, with what its backward rule needs (saved inputs/outputs, shapes).
enum Op {
  case leaf, released
  case identity, add, sub
  case mul(Tensor, Tensor)
  case mulScalar(Float)
  case scaleBy(Tensor, Tensor)
  case weightedSum([Tensor], Tensor)
  case exp(Tensor), log(Tensor)
  case relu(Tensor), relu6(Tensor), tanh(Tensor), sigmoid(Tensor)
  case leakyRelu(Tensor, Float)
  case frobeniusNormalized(Tensor, Float)
  case sum([Int])
  case sumAxis(inShape: [Int], axis: Int)
  case reshape([Int])
  case slice(inShape: [Int], axis: Int, start: Int, step: Int)
  case concat(axis: Int, sizes: [Int])
  case channelShuffle(groups: Int)
  case channelBias(channels: Int)
  case planeBroadcast(PlaneBroadcastSaved)
  case transpose2d
  case conv2d(Tensor, Tensor, Conv2DConfig)
  case maxPool(indices: TensorStorage, inShape: [Int])
  case avgPool(inShape: [Int], Pool2DConfig)
  case globalAvgPool(inShape: [Int])
  case batchNorm(BatchNormSaved)
  case linear(Tensor, Tensor)
  case matmul(Tensor, Tensor)
  case softmax(Tensor), logSoftmax(Tensor)
  case crossEntropy(logProbs: Tensor, labels: [Int], smoothing: Float)
  case mask(Tensor)
  case embedding(indices: [Int], vocabulary: Int)
  case recompute(RecomputeBlock)
}

/// The backward table: for each op, the gradient of every input (positionally, nil where the input
/// needs none) given the gradient `g` of the output. `node` tells which inputs need a gradient.
func backwardRule(_ node: Node, grad g: Tensor) -> [Tensor?] {
  let need = node.inputs.map { $0 != nil }
  switch node.op {
  case .leaf, .released:
    return []
  case .identity:
    return [g]
  case .add:
    return [g, g]
  case .sub:
    return [g, need[1] ? g.mapped(.scale(-1)) : nil]
  case .mul(let a, let b):
    return ElementwiseGrad.mul(a, b, g)
  case .mulScalar(let s):
    return [g.mapped(.scale(s))]
  case .scaleBy(let x, let s):
    return ElementwiseGrad.scaleBy(x, s, g)
  case .weightedSum(let xs, let w):
    return ElementwiseGrad.weightedSum(xs, w, g, need: need)
  case .exp(let y):
    return [g.zipped(y, .mul)]
  case .log(let x):
    return [g.zipped(x, .div)]
  case .relu(let y):
    return [ActivationGrad.relu(y, g)]
  case .relu6(let x):
    return [ActivationGrad.relu6(x, g)]
  case .tanh(let y):
    return [ActivationGrad.tanh(y, g)]
  case .sigmoid(let y):
    return [ActivationGrad.sigmoid(y, g)]
  case .leakyRelu(let x, let slope):
    return [HypernetGrad.leakyRelu(x, slope, g)]
  case .frobeniusNormalized(let y, let norm):
    return [HypernetGrad.frobeniusNormalized(y, norm, g)]
  case .sum(let shape):
    return [Tensor(repeating: g.storage.pointer[0], shape: shape)]
  case .sumAxis(let inShape, let axis):
    return [ReductionGrad.sumAxis(g, inShape: inShape, axis: axis)]
  case .reshape(let shape):
    return [Tensor(storage: g.storage, shape: shape)]
  case .slice(let inShape, let axis, let start, let step):
    return [ShapeGrad.slice(g, inShape: inShape, axis: axis, start: start, step: step)]
  case .concat(let axis, let sizes):
    return ShapeGrad.concat(g, axis: axis, sizes: sizes)
  case .channelShuffle(let groups):
    return [ShapeGrad.channelShuffle(g, groups: groups)]
  case .channelBias(let c):
    return [g, need[1] ? ChannelBiasGrad.bias(g, channels: c) : nil]
  case .planeBroadcast(let saved):
    return PlaneBroadcast.backward(saved, g, need: need)
  case .transpose2d:
    let t = Tensor(uninitializedShape: [g.shape[1], g.shape[0]])
    Tensor.transpose(g.storage.pointer, rows: g.shape[0], cols: g.shape[1], into: t.storage.pointer)
    return [t]
  case .conv2d(let x, let w, let cfg):
    let geo = ConvGeometry(x: x.shape, w: w.shape, cfg: cfg)
    let (dx, dw) =
      !geo.isDepthwise
      ? DenseConvKernels.backward(x, w, g, geo, needX: need[0], needW: need[1])
      : DepthwiseKernels.bestBackward(x, w, g, geo, needX: need[0], needW: need[1])
    return [dx, dw]
  case .maxPool(let indices, let inShape):
    return [PoolGrad.maxPool(g, indices: indices, inShape: inShape)]
  case .avgPool(let inShape, let cfg):
    return [PoolGrad.avgPool(g, inShape: inShape, cfg)]
  case .globalAvgPool(let inShape):
    return [PoolGrad.globalAvgPool(g, inShape: inShape)]
  case .batchNorm(let saved):
    return BatchNormGrad.backward(saved, g, needX: need[0], needW: need[1], needB: need[2])
  case .linear(let x, let w):
    return LinearGrad.linear(x, w, g, need: need)
  case .matmul(let a, let b):
    return LinearGrad.matmul(a, b, g, need: need)
  case .softmax(let y):
    return [SoftmaxGrad.softmax(y, g)]
  case .logSoftmax(let y):
    return [SoftmaxGrad.logSoftmax(y, g)]
  case .crossEntropy(let logp, let labels, let eps):
    return [LossGrad.crossEntropy(logp, labels, eps, g)]
  case .embedding(let indices, let v):
    return [EmbeddingGrad.backward(g, indices: indices, vocabulary: v)]
  case .mask(let m):
    return [g.zipped(m, .mul)]
  case .recompute(let block):
    return block.backward(g, need: need)
  }
}
