/// The tensor engine's hot loops, as one set of entry points over raw buffers.
///
/// `Sources/NASCKernels` is compiled twice, as NASCKernelsBaseline (any CPU of the architecture) and
/// NASCKernelsX86V3 (in release builds on x86-64 Linux: `-target-cpu haswell`, i.e. AVX2, FMA,
/// BMI1/2, F16C, LZCNT, MOVBE); each build's `Kernels` conforms to this protocol, and NASCTensor calls
/// the one it picks once per process through it, so a dispatch costs one indirect call per kernel call.
/// The entry points allocate nothing the caller sees: outputs are buffers the caller sized, and
/// parallel work is split with `parallelChunks`, the same way in both builds.
package protocol TensorKernels {
  /// The instruction set this build was compiled for: `x86-64-v3` or `baseline`.
  static var instructionSet: String { get }

  // MARK: Depthwise convolution (groups = Cin = Cout; `w` is [C, 1, kh, kw])

  /// Forward by the direct loops (any geometry).
  static func depthwiseDirectForward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ g: ConvShape)
  /// Data gradient into `dx` and weight gradient into `dw` (either may be nil) by the direct loops.
  static func depthwiseDirectBackward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
    dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, _ g: ConvShape)
  /// Forward by the stride-1 SIMD kernel (`g.fitsDepthwiseStride1`).
  static func depthwiseStride1Forward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ g: ConvShape)
  /// Backward by the stride-1 SIMD kernel.
  static func depthwiseStride1Backward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
    dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, _ g: ConvShape)
  /// Forward by the column-stride-2 SIMD kernel (`g.fitsDepthwiseStride2`).
  static func depthwiseStride2Forward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ g: ConvShape)
  /// Backward by the column-stride-2 SIMD kernel.
  static func depthwiseStride2Backward(
    _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
    dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>?, _ g: ConvShape)

  // MARK: Dense convolution

  /// Unfolds channels `c0..<c0+cinG` of one image into col[cinG·kh·kw × oh·ow].
  static func im2col(_ x: UnsafePointer<Float>, _ g: ConvShape, c0: Int, into col: UnsafeMutablePointer<Float>)
  /// Adds col back into channels `c0..<c0+cinG` of one image (the transpose of `im2col`).
  static func col2im(_ col: UnsafePointer<Float>, _ g: ConvShape, c0: Int, into x: UnsafeMutablePointer<Float>)
  /// o = the sum of `chunks` blocks of `count` floats, in block order.
  static func sumChunkPartials(
    _ partial: UnsafePointer<Float>, chunks: Int, count: Int, into o: UnsafeMutablePointer<Float>)

  // MARK: Pooling

  /// Stride-1 max pooling (padding < kernel) with the winning indices when `indices` is given.
  static func maxPoolStride1Forward(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>?,
    _ s: PoolShape)
  /// Stride-1 average pooling, padding not counted.
  static func avgPoolStride1Forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ s: PoolShape)
  /// Its backward pass: dx (`h × w` planes, fully written) from dy (`oh × ow`).
  static func avgPoolStride1Backward(
    _ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, _ s: PoolShape)
  /// Max pooling by direct loops (any stride), with the winning indices when `indices` is given.
  static func maxPoolDirectForward(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>?,
    _ s: PoolShape)
  /// Average pooling by direct loops, padding not counted.
  static func avgPoolDirectForward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ s: PoolShape)
  /// dx (zeroed by the caller) += the transpose of `avgPoolDirectForward` applied to dy.
  static func avgPoolDirectBackward(_ dy: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>, _ s: PoolShape)
  /// dx (zeroed by the caller) += dy scattered to the winning indices, plane by plane.
  static func maxPoolBackward(
    _ dy: UnsafePointer<Float>, indices: UnsafePointer<Int32>, into dx: UnsafeMutablePointer<Float>, planes: Int,
    inPlane: Int, outPlane: Int)
  /// Every `sh`-th row and `sw`-th column of each `h × w` plane, `oh × ow` of them.
  static func subsample(
    _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, planes: Int, h: Int, w: Int, sh: Int,
    sw: Int, oh: Int, ow: Int)
  /// `subsample` of max-pooling indices.
  static func subsampleIndices(
    _ src: UnsafePointer<Int32>, into dst: UnsafeMutablePointer<Int32>, planes: Int, h: Int, w: Int, sh: Int,
    sw: Int, oh: Int, ow: Int)
  /// The transpose of `subsample`: each `oh × ow` plane spread over a zero `h × w` plane.
  static func upsample(
    _ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>, planes: Int, oh: Int, ow: Int, sh: Int,
    sw: Int, h: Int, w: Int)

  // MARK: Batch normalisation ([N, C, inner])

  /// Batch mean and biased variance per channel.
  static func batchNormStatistics(
    _ x: UnsafePointer<Float>, n: Int, c: Int, inner: Int, mean: UnsafeMutablePointer<Float>,
    variance: UnsafeMutablePointer<Float>)
  /// y = act((x − μ)·invStd·γ + β).
  static func batchNormForward(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, n: Int, c: Int, inner: Int,
    mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
    bias: UnsafePointer<Float>?, activation: FusedActivation)
  /// dβ, dγ per channel and, when `dx` is given, the data gradient.
  static func batchNormBackward(
    _ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, n: Int, c: Int,
    inner: Int, mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
    bias: UnsafePointer<Float>?, training: Bool, activation: FusedActivation,
    dgamma: UnsafeMutablePointer<Float>, dbeta: UnsafeMutablePointer<Float>)

  // MARK: Elementwise

  /// y[i] = op(x[i]) for i < count (`y` may be `x`).
  static func map(_ op: UnaryOp, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int)
  /// y[i] = op(a[i], b[i]) for i < count.
  static func zip(
    _ op: BinaryOp, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
    count: Int)
  /// a += b, or a += alpha · b.
  static func add(_ b: UnsafePointer<Float>, scaledBy alpha: Float?, into a: UnsafeMutablePointer<Float>, count: Int)
  /// Σ a[i]·b[i] (deterministic chunked partial sums).
  static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float
  /// out = Σ_k weights[k] · sources[k].
  static func weightedSum(
    _ sources: [UnsafePointer<Float>], weights: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
    count: Int)
  /// outs[k] = weights[k]·g where given, and (when `needW`) the returned Σ g·sources[k].
  static func weightedSumBackward(
    _ g: UnsafePointer<Float>, sources: [UnsafePointer<Float>], weights: [Float],
    into outs: [UnsafeMutablePointer<Float>?], needW: Bool, count: Int
  ) -> [Float]
  /// y = x ∘ s with s[p] broadcast over plane p (`s ∘ x` when `!mapFirst`).
  static func planeCombine(
    _ kind: PlaneOp, mapFirst: Bool, map x: UnsafePointer<Float>, plane s: UnsafePointer<Float>,
    into y: UnsafeMutablePointer<Float>, planes: Int, hw: Int)
  /// out[p] = sign · Σ over plane p of g (times x when given).
  static func planeSums(
    _ g: UnsafePointer<Float>, times x: UnsafePointer<Float>?, sign: Float, into out: UnsafeMutablePointer<Float>,
    planes: Int, hw: Int)
  /// y[n, c, i] = x[n, c, i] + bias[c].
  static func addChannelBias(
    _ x: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, n: Int, c: Int,
    inner: Int)
  /// o[a, i] += Σ_j x[a, j, i] for an [outer, dim, inner] x.
  static func sumAxis(_ x: UnsafePointer<Float>, into o: UnsafeMutablePointer<Float>, outer: Int, dim: Int, inner: Int)

  // MARK: Optimizer updates

  /// One SGD update of `count` weights (`buffer` nil without momentum).
  static func sgdStep(
    _ w: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, buffer: UnsafeMutablePointer<Float>?,
    count: Int, learningRate: Float, momentum: Float, dampening: Float, weightDecay: Float, nesterov: Bool,
    first: Bool)
  /// One Adam update of `count` weights and their moments.
  static func adamStep(
    _ w: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
    v: UnsafeMutablePointer<Float>, count: Int, stepSize: Float, beta1: Float, beta2: Float, eps: Float,
    weightDecay: Float, bc2Sqrt: Float)
  /// One RMSProp update of `count` weights (`buffer` read only with momentum).
  static func rmspropStep(
    _ w: UnsafeMutablePointer<Float>, grad: UnsafePointer<Float>, squares: UnsafeMutablePointer<Float>,
    buffer: UnsafeMutablePointer<Float>, count: Int, learningRate: Float, alpha: Float, eps: Float,
    weightDecay: Float, momentum: Float)
}
