import Testing

@testable import NASCTensor

@Suite("Gradients of conv, pooling, batch norm, linear and loss kernels")
struct KernelGradientTests {
  @Test(arguments: [
    // (cin, cout, k, stride, pad, dilation, groups, h, w)
    (3, 4, 3, 1, 1, 1, 1, 7, 6),  // dense 3×3, odd sizes
    (3, 5, 3, 2, 1, 1, 1, 7, 8),  // stride 2
    (3, 4, 3, 1, 2, 2, 1, 7, 7),  // dilation 2
    (4, 6, 3, 2, 0, 1, 2, 9, 7),  // groups 2, no padding
    (5, 3, 1, 1, 0, 1, 1, 5, 7),  // pointwise 1×1 (batched GEMM path)
    (5, 4, 1, 2, 0, 1, 1, 7, 6),  // 1×1 stride 2 (FactorizedReduce)
    (4, 4, 3, 1, 1, 1, 4, 7, 6),  // depthwise 3×3
    (4, 4, 3, 2, 1, 1, 4, 7, 9),  // depthwise 3×3 stride 2
    (3, 3, 5, 1, 4, 2, 3, 9, 8),  // depthwise 5×5 dilation 2 (dil_conv_5x5)
    (4, 4, 3, 1, 1, 1, 4, 5, 16),  // depthwise 3×3 on whole 8-wide rows
    (3, 3, 3, 2, 2, 2, 3, 8, 9),  // depthwise 3×3 dilation 2 stride 2 (dil_conv_3x3 in a reduction)
    (2, 4, 3, 1, 1, 1, 2, 5, 5),  // groups = cin, channel multiplier 2 (im2col path)
  ])
  func conv2dGradients(_ c: (Int, Int, Int, Int, Int, Int, Int, Int, Int)) {
    let (cin, cout, k, s, p, d, g, h, w) = c
    let x = randn([2, cin, h, w], seed: 21)
    let wt = randn([cout, cin / g, k, k], seed: 22, scale: 0.5)
    checkGradients([x, wt]) { conv2d($0[0], weight: $0[1], stride: s, padding: p, dilation: d, groups: g) }
  }

  @Test func nonSquareConvolutions() {
    let x = randn([2, 4, 6, 9], seed: 23)
    let w13 = randn([4, 2, 1, 3], seed: 24)
    let cfg = Conv2DConfig(strideH: 1, strideW: 2, padH: 0, padW: 1, groups: 2)
    checkGradients([x, w13]) { conv2d($0[0], weight: $0[1], config: cfg) }
    let w71 = randn([3, 4, 7, 1], seed: 25)
    let cfg2 = Conv2DConfig(strideH: 2, strideW: 1, padH: 3, padW: 0)
    checkGradients([x, w71]) { conv2d($0[0], weight: $0[1], config: cfg2) }
    // Depthwise with a wide filter (the one-pass-per-tap weight-gradient path) and a tall one.
    let x3 = randn([2, 3, 7, 11], seed: 26)
    let w29 = randn([3, 1, 2, 9], seed: 27)
    checkGradients([x3, w29]) {
      conv2d($0[0], weight: $0[1], config: Conv2DConfig(strideH: 1, strideW: 1, padH: 1, padW: 4, groups: 3))
    }
    let x16 = randn([2, 3, 5, 16], seed: 29)
    checkGradients([x16, w29]) {
      conv2d($0[0], weight: $0[1], config: Conv2DConfig(strideH: 1, strideW: 1, padH: 1, padW: 4, groups: 3))
    }
    let w51 = randn([3, 1, 5, 1], seed: 28)
    checkGradients([x3, w51]) {
      conv2d($0[0], weight: $0[1], config: Conv2DConfig(strideH: 1, strideW: 1, padH: 2, padW: 0, groups: 3))
    }
  }

  /// A convolution's per-channel bias (FBNet's blocks): x + b[c] and its two gradients, alone and
  /// after a grouped convolution, against finite differences; the bias layer adds exactly b.
  @Test func channelBiasGradients() {
    let x = randn([2, 4, 3, 5], seed: 61)
    let b = randn([4], seed: 62)
    checkGradients([x, b]) { $0[0].addingChannelBias($0[1]) }
    let w = randn([6, 2, 3, 3], seed: 63, scale: 0.5)
    let b6 = randn([6], seed: 64)
    checkGradients([x, w, b6]) {
      conv2d($0[0], weight: $0[1], stride: 1, padding: 1, groups: 2).addingChannelBias($0[2])
    }
    var rng = RNG(seed: 65)
    let layer = Conv2d(4, 6, kernelH: 1, kernelW: 1, config: Conv2DConfig(groups: 2), bias: true, rng: &rng)
    let bias = try! #require(layer.bias).value
    let y = layer(x), y0 = conv2d(x, weight: layer.weight.value, config: layer.config)
    for i in 0..<y.count {
      let c = (i / 15) % 6
      #expect(y.storage.pointer[i] == y0.storage.pointer[i] + bias.storage.pointer[c])
    }
  }

  @Test(arguments: [(3, 1, 1), (3, 2, 1), (2, 2, 0), (3, 3, 0)])
  func maxPoolGradients(_ c: (Int, Int, Int)) {
    let x = distinct([2, 3, 7, 8], seed: 31)
    checkGradients([x], step: 1e-2) { maxPool2d($0[0], Pool2DConfig(kernel: c.0, stride: c.1, padding: c.2)) }
  }

  @Test(arguments: [(3, 1, 1), (3, 2, 1), (5, 3, 0), (2, 2, 0)])
  func avgPoolGradients(_ c: (Int, Int, Int)) {
    let x = randn([2, 3, 7, 8], seed: 32)
    checkGradients([x]) { avgPool2d($0[0], Pool2DConfig(kernel: c.0, stride: c.1, padding: c.2)) }
  }

  @Test func globalAveragePool() {
    checkGradients([randn([3, 4, 5, 3], seed: 33)]) { globalAvgPool($0[0]) }
  }

  @Test func batchNormTrainingAffine() {
    let x = randn([3, 4, 5, 3], seed: 41, scale: 2)
    checkGradients([x, randn([4], seed: 42), randn([4], seed: 43)], step: 5e-3) {
      batchNorm($0[0], weight: $0[1], bias: $0[2], training: true)
    }
  }

  @Test func batchNormTrainingNonAffineAndRank2() {
    checkGradients([randn([3, 4, 5, 3], seed: 44, scale: 2)], step: 5e-3) { batchNorm($0[0], training: true) }
    checkGradients([randn([6, 5], seed: 45)], step: 5e-3) { batchNorm($0[0], training: true) }
  }

  /// BN with a fused ReLU / ReLU6 (MBConv's BN → ReLU6 as one op): values and all three gradients
  /// are bit-identical to the two ops, in training and in eval mode, and match finite differences.
  @Test(arguments: [BatchNormActivation.relu, .relu6])
  func batchNormFusedActivation(_ act: BatchNormActivation) {
    // Inner size 37 exercises both the 8-lane loop and its tail; scale 3 puts values past 6.
    let x = randn([3, 4, 37, 1], seed: 71, scale: 3)
    let w = Tensor(shape: [4], scalars: [4, -3.5, 2.5, 5]), b = randn([4], seed: 73, scale: 2)
    let stats = BatchNormStats(channels: 4)
    stats.variance = Tensor(shape: [4], scalars: [0.5, 1.5, 2, 0.8])
    for training in [true, false] {
      func run(_ fused: Bool) -> ([Float], [[Float]]) {
        let ps = [x, w, b].map { Parameter($0) }
        let s = training ? nil : stats
        let y =
          fused
          ? batchNorm(
            ps[0].value, weight: ps[1].value, bias: ps[2].value, stats: s, training: training, activation: act)
          : {
            let z = batchNorm(ps[0].value, weight: ps[1].value, bias: ps[2].value, stats: s, training: training)
            return act == .relu ? z.relu() : z.relu6()
          }()
        (y * randn(y.shape, seed: 74)).sum().backward()
        return (y.scalars, ps.map { $0.grad?.scalars ?? [] })
      }
      let (yf, gf) = run(true), (yu, gu) = run(false)
      #expect(yf == yu, "training \(training)")
      #expect(gf == gu, "training \(training)")
      #expect(yf.contains(0) && (act == .relu || yf.contains(6)))
    }
    checkGradients([randn([3, 4, 5, 3], seed: 75, scale: 2), randn([4], seed: 72, scale: 2), b], step: 5e-3) {
      batchNorm($0[0], weight: $0[1], bias: $0[2], training: true, activation: act)
    }
  }

  @Test func batchNormEvalUsesRunningStatistics() {
    let stats = BatchNormStats(channels: 4)
    stats.mean = randn([4], seed: 46)
    stats.variance = Tensor(shape: [4], scalars: [0.5, 1.5, 2, 0.8])
    checkGradients([randn([2, 4, 3, 3], seed: 47), randn([4], seed: 48), randn([4], seed: 49)]) {
      batchNorm($0[0], weight: $0[1], bias: $0[2], stats: stats, training: false)
    }
  }

  @Test func linearAndMatmul() {
    checkGradients([randn([5, 7], seed: 51), randn([3, 7], seed: 52), randn([3], seed: 53)]) {
      linear($0[0], weight: $0[1], bias: $0[2])
    }
    checkGradients([randn([5, 7], seed: 54), randn([3, 7], seed: 55)]) { linear($0[0], weight: $0[1]) }
    checkGradients([randn([4, 6], seed: 56), randn([6, 3], seed: 57)]) { matmul($0[0], $0[1]) }
  }

  @Test func softmaxFamily() {
    checkGradients([randn([4, 7], seed: 61)]) { $0[0].softmax() }
    checkGradients([randn([4, 7], seed: 62)]) { $0[0].logSoftmax() }
    checkGradients([randn([2, 3, 5], seed: 63)]) { $0[0].softmax() }
  }

  @Test(arguments: [Float(0), 0.1])
  func crossEntropyGradients(smoothing: Float) {
    checkGradients([randn([5, 6], seed: 64, scale: 2)]) {
      crossEntropy(logits: $0[0], labels: [0, 5, 2, 2, 3], labelSmoothing: smoothing)
    }
  }

  @Test func straightThroughOneHotPassesGradientUnchanged() {
    let alpha = Parameter(Tensor([0.3, -0.1, 0.8, 0.2]))
    let h = alpha.value.hardOneHotStraightThrough()
    #expect(h.scalars == [0, 0, 1, 0])
    let r = Tensor([1, 2, 3, 4])
    (h * r).sum().backward()
    #expect(alpha.grad?.scalars == [1, 2, 3, 4])
  }

  @Test func indicatorStraightThrough() {
    let t = Parameter(Tensor([-0.5, 0.2, 0.7]))
    let m = t.value.indicatorStraightThrough(threshold: 0.3)
    #expect(m.scalars == [0, 0, 1])
    (m * Tensor([1, 2, 3])).sum().backward()
    #expect(t.grad?.scalars == [1, 2, 3])
  }

  @Test func gdasEdgeGradientReachesEveryAlpha() {
    // edge(x) = h_k · O_k(x) with h = hard one-hot of the Gumbel softmax: dL/dα is dense.
    let alpha = Parameter(Tensor([0.01, -0.02, 0.03]), group: .architecture)
    var rng = RNG(seed: 5)
    let (h, _, k) = alpha.value.gumbelHardSample(tau: 1, rng: &rng)
    let x = randn([2, 3, 4, 4], seed: 71)
    let y = x.scaled(by: h.slice(axis: 0, start: k, end: k + 1))
    y.sum().backward()
    let g = alpha.grad!.scalars
    #expect(g.allSatisfy { $0 != 0 })
    #expect(abs(g.reduce(0, +)) < 1e-4)  // softmax gradients sum to zero
  }

  @Test func gumbelSamplesOfNonFiniteLogitsEnd() {
    // Logits that are NaN or infinite never give a finite sample: the draw gives up after 100 tries
    // (the caller's loss check reports it) instead of spinning forever.
    var rng = RNG(seed: 6)
    for logits in [Tensor([.nan, 0, 1]), Tensor([.infinity, -.infinity, 0])] {
      let (h, p, k) = logits.gumbelHardSample(tau: 1, rng: &rng)
      #expect(h.count == 3 && (0..<3).contains(k))
      #expect(p.scalars.contains { !$0.isFinite })
      let soft = logits.gumbelSoftSample(tau: 1, rng: &rng).scalars
      #expect(soft.contains { !$0.isFinite })
    }
  }

  @Test func stopGradientBlocksFlow() {
    let p = Parameter(randn([3], seed: 72))
    let q = Parameter(randn([3], seed: 73))
    (p.value.detached() * q.value).sum().backward()
    #expect(p.grad == nil)
    #expect(q.grad != nil)
  }
}

@Suite("Weight gradients do not depend on whether the input needs one")
struct PartialGradientTests {
  @Test(arguments: [(1, 1, 1), (3, 1, 1), (3, 2, 1), (1, 2, 1), (3, 1, 4), (5, 2, 4)])
  func convWeightGradientWithConstantInput(_ c: (Int, Int, Int)) {
    let (k, s, g) = c
    let x = randn([2, 4, 8, 9], seed: 111)
    let w = randn([4, 4 / g, k, k], seed: 112)
    let r = randn([2, 4, (8 + 2 * (k / 2) - k) / s + 1, (9 + 2 * (k / 2) - k) / s + 1], seed: 113)
    func weightGrad(inputNeedsGrad: Bool) -> [Float] {
      let pw = Parameter(w)
      let xin = inputNeedsGrad ? Parameter(x).value : x
      (conv2d(xin, weight: pw.value, stride: s, padding: k / 2, groups: g) * r).sum().backward()
      return pw.grad!.scalars
    }
    #expect(weightGrad(inputNeedsGrad: true) == weightGrad(inputNeedsGrad: false))
  }

  @Test func batchNormInputGradientWithoutAffineGradients() {
    let x = randn([3, 2, 4, 4], seed: 114)
    let weight = randn([2], seed: 115), bias = randn([2], seed: 116)
    let r = randn([3, 2, 4, 4], seed: 117)
    let p1 = Parameter(x), p2 = Parameter(x), pw = Parameter(weight), pb = Parameter(bias)
    (batchNorm(p1.value, weight: weight, bias: bias, training: true) * r).sum().backward()
    (batchNorm(p2.value, weight: pw.value, bias: pb.value, training: true) * r).sum().backward()
    #expect(p1.grad!.scalars == p2.grad!.scalars)
  }
}
