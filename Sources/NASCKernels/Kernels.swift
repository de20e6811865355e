import NASCKernelSupport

/// This build's kernels (this directory is compiled as NASCKernelsBaseline and, through the link
/// `Sources/NASCKernelsX86V3`, as NASCKernelsX86V3 with x86-64-v3 code generation in release builds
/// on x86-64 Linux). NASCTensor calls them through `TensorKernels`; see there.
package enum Kernels: TensorKernels {
  package static var instructionSet: String {
    #if NASC_X86_64_V3
      "x86-64-v3"
    #else
      "baseline"
    #endif
  }

  package static func depthwiseDirectForward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ g: ConvShape
  ) { DepthwiseDirect.forward(x, w, into: y, g) }

  package static func depthwiseDirectBackward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
    dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, _ g: ConvShape
  ) { DepthwiseDirect.backward(x, w, dy, dx: dx, dw: dw, g) }

  package static func depthwiseStride1Forward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ g: ConvShape
  ) { DepthwiseStride1.forward(x, w, into: y, g) }

  package static func depthwiseStride1Backward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
    dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, _ g: ConvShape
  ) { DepthwiseStride1.backward(x, w, dy, dx: dx, dw: dw, g) }

  package static func depthwiseStride2Forward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ g: ConvShape
  ) { DepthwiseStride2.forward(x, w, into: y, g) }

  package static func depthwiseStride2Backward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
    dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, _ g: ConvShape
  ) { DepthwiseStride2.backward(x, w, dy, dx: dx, dw: dw, g) }

  package static func im2col(
    _ x: UnsafePointer<Float>, _ g: ConvShape, c0: Int, into col: UnsafeMutablePointer<Float>
  ) { DenseConv.im2col(x, g, c0: c0, into: col) }

  package static func col2im(
    _ col: UnsafePointer<Float>, _ g: ConvShape, c0: Int, into x: UnsafeMutablePointer<Float>
  ) { DenseConv.col2im(col, g, c0: c0, into: x) }

  package static func sumChunkPartials(
    _ partial: UnsafePointer<Float>, chunks: Int, count: Int, into o: UnsafeMutablePointer<Float>
  ) { DepthwiseDirect.sumPartials(partial, chunks: chunks, count: count, into: o) }

  package static func maxPoolStride1Forward(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>?,
    _ s: PoolShape
  ) { PoolingStride1.maxForward(x, into: y, indices: indices, s) }

  package static func avgPoolStride1Forward(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ s: PoolShape
  ) { PoolingStride1.avgForward(x, into: y, s) }

  package static func avgPoolStride1Backward(
    _ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, _ s: PoolShape
  ) { PoolingStride1.avgBackward(dy, into: dx, s) }

  package static func maxPoolDirectForward(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>?,
    _ s: PoolShape
  ) { PoolingDirect.maxForward(x, into: y, indices: indices, s) }

  package static func avgPoolDirectForward(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ s: PoolShape
  ) { PoolingDirect.avgForward(x, into: y, s) }

  package static func avgPoolDirectBackward(
    _ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, _ s: PoolShape
  ) { PoolingDirect.avgBackward(dy, into: dx, s) }

  package static func maxPoolBackward(
    _ dy: UnsafePointer<Float>, indices: UnsafePointer<Int32>, into dx: UnsafeMutablePointer<Float>, planes: Int,
    inPlane: Int, outPlane: Int
  ) { PoolingDirect.maxBackward(dy, indices: indices, into: dx, planes: planes, inPlane: inPlane, outPlane: outPlane) }

  package static func subsample(
    _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, planes: Int, h: Int, w: Int, sh: Int,
    sw: Int, oh: Int, ow: Int
  ) { PoolingDirect.subsample(src, into: dst, planes: planes, h: h, w: w, sh: sh, sw: sw, oh: oh, ow: ow) }

  package static func subsampleIndices(
    _ src: UnsafePointer<Int32>, into dst: UnsafeMutablePointer<Int32>, planes: Int, h: Int, w: Int, sh: Int,
    sw: Int, oh: Int, ow: Int
  ) { PoolingDirect.subsample(src, into: dst, planes: planes, h: h, w: w, sh: sh, sw: sw, oh: oh, ow: ow) }

  package static func upsample(
    _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, planes: Int, oh: Int, ow: Int, sh: Int,
    sw: Int, h: Int, w: Int
  ) { PoolingDirect.upsample(src, into: dst, planes: planes, oh: oh, ow: ow, sh: sh, sw: sw, h: h, w: w) }

  package static func batchNormStatistics(
    _ x: UnsafePointer<Float>, n: Int, c: Int, inner: Int, mean: UnsafeMutablePointer<Float>,
    variance: UnsafeMutablePointer<Float>
  ) { BatchNorm.statistics(x, n: n, c: c, inner: inner, mean: mean, variance: variance) }

  package static func batchNormForward(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, n: Int, c: Int, inner: Int,
    mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
    bias: UnsafePointer<Float>?, activation: FusedActivation
  ) {
    BatchNorm.forward(
      x, into: y, n: n, c: c, inner: inner, mean: mean, invStd: invStd, weight: weight, bias: bias,
      activation: activation)
  }

  package static func batchNormBackward(
    _ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, n: Int, c: Int,
    inner: Int, mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
    bias: UnsafePointer<Float>?, training: Bool, activation: FusedActivation,
    dgamma: UnsafeMutablePointer<Float>, dbeta: UnsafeMutablePointer<Float>
  ) {
    BatchNorm.backward(
      x, g, dx: dx, n: n, c: c, inner: inner, mean: mean, invStd: invStd, weight: weight, bias: bias,
      training: training, activation: activation, dgamma: dgamma, dbeta: dbeta)
  }

  package static func map(_ op: UnaryOp, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
    Elementwise.map(op, x, into: y, count: count)
  }

  package static func zip(
    _ op: BinaryOp, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
    count: Int
  ) { Elementwise.zip(op, a, b, into: y, count: count) }

  package static func add(
    _ b: UnsafePointer<Float>, scaledBy alpha: Float?, into a: UnsafeMutablePointer<Float>, count: Int
  ) { Elementwise.add(b, scaledBy: alpha, into: a, count: count) }

  package static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    Reduce.dot(a, b, count: count)
  }

  package static func weightedSum(
    _ sources: [UnsafePointer<Float>], weights: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
    count: Int
  ) { Elementwise.weightedSum(sources, weights: weights, into: out, count: count) }

  package static func weightedSumBackward(
    _ g: UnsafePointer<Float>, sources: [UnsafePointer<Float>], weights: [Float],
    into outs: [UnsafeMutablePointer<Float>?], needW: Bool, count: Int
  ) -> [Float] {
    Elementwise.weightedSumBackward(g, sources: sources, weights: weights, into: outs, needW: needW, count: count)
  }

  package static func planeCombine(
    _ kind: PlaneOp, mapFirst: Bool, map x: UnsafePointer<Float>, plane s: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>, planes: Int, hw: Int
  ) { Broadcast.combine(kind, mapFirst: mapFirst, map: x, plane: s, into: y, planes: planes, hw: hw) }

  package static func planeSums(
    _ g: UnsafePointer<Float>, times x: UnsafePointer<Float>?, sign: Float, into out: UnsafeMutablePointer<Float>,
    planes: Int, hw: Int
  ) { Broadcast.planeSums(g, times: x, sign: sign, into: out, planes: planes, hw: hw) }

  package static func addChannelBias(
    _ x: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, n: Int, c: Int,
    inner: Int
  ) { Broadcast.addChannelBias(x, bias, into: y, n: n, c: c, inner: inner) }

  package static func sumAxis(
    _ x: UnsafePointer<Float>, into o: UnsafeMutablePointer<Float>, outer: Int, dim: Int, inner: Int
  ) { Broadcast.sumAxis(x, into: o, outer: outer, dim: dim, inner: inner) }

  package static func sgdStep(
    _ w: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, buffer: UnsafeMutablePointer<Float>?,
    count: Int, learningRate: Float, momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool,
    first: Bool
  ) {
    OptimizerSteps.sgd(
      w, grad: grad, buffer: buffer, count: count, learningRate: learningRate, momentum: momentum,
      dampening: dampening, weightDecay: weightDecay, nesterov: nesterov, first: first)
  }

  package static func adamStep(
    _ w: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
    v: UnsafeMutablePointer<Float>, count: Int, stepSize: Float, beta1: Float, beta2: Float, eps: Float,
    weightDecay: Float, bc2Sqrt: Float
  ) {
    OptimizerSteps.adam(
      w, grad: grad, m: m, v: v, count: count, stepSize: stepSize, beta1: beta1, beta2: beta2, eps: eps,
      weightDecay: weightDecay, bc2Sqrt: bc2Sqrt)
  }

  package static func rmspropStep(
    _ w: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, squares: UnsafeMutablePointer<Float>,
    buffer: UnsafeMutablePointer<Float>, count: Int, learningRate: Float, alpha: Float, eps: Float,
    weightDecay: Float, momentum: Float
  ) {
    OptimizerSteps.rmsprop(
      w, grad: grad, squares: squares, buffer: buffer, count: count, learningRate: learningRate, alpha: alpha,
      eps: eps, weightDecay: weightDecay, momentum: momentum)
  }
}
