import Testing

@testable import NASCTensor

@Suite("Gradients of elementwise, shape and reduction ops")
struct ElementwiseGradientTests {
  let a = randn([2, 3, 5, 7], seed: 1)
  let b = randn([2, 3, 5, 7], seed: 2)

  @Test func addSubMul() {
    checkGradients([a, b]) { $0[0] + $0[1] }
    checkGradients([a, b]) { $0[0] - $0[1] }
    checkGradients([a, b]) { $0[0] * $0[1] }
    checkGradients([a]) { $0[0] * 1.7 }
    checkGradients([a]) { -$0[0] }
    checkGradients([a]) { $0[0].adding(0.3) }
  }

  @Test func scaleByScalarTensor() {
    checkGradients([a, Tensor([0.7])]) { $0[0].scaled(by: $0[1]) }
  }

  @Test func weightedSumGradientReachesWeights() {
    let c = randn([2, 3, 5, 7], seed: 3)
    checkGradients([a, b, c, Tensor([0.2, -0.5, 1.1])]) { weightedSum(Array($0[0..<3]), weights: $0[3]) }
    // The DARTS way: weights from a softmax of α.
    checkGradients([a, b, c, Tensor([0.1, 0.3, -0.2])]) {
      weightedSum(Array($0[0..<3]), weights: $0[3].softmax())
    }
  }

  @Test func unaryFunctions() {
    let pos = Tensor(shape: a.shape, scalars: a.scalars.map { abs($0) + 0.5 })
    checkGradients([pos]) { $0[0].log() }
    checkGradients([a]) { $0[0].exp() }
    checkGradients([a]) { $0[0].tanh() }
    checkGradients([a]) { $0[0].sigmoid() }
    checkGradients([a]) { $0[0].identity() }
    checkGradients([a]) { $0[0].squared() }
    let k = awayFromZero([2, 3, 5, 7], seed: 5)
    checkGradients([k]) { $0[0].relu() }
    let k6 = Tensor(
      shape: k.shape, scalars: k.scalars.map { $0 * 4 + 3 }.map { abs($0 - 6) < 0.1 ? $0 + 0.3 : $0 })
    checkGradients([k6]) { $0[0].relu6() }
  }

  @Test func reductions() {
    checkGradients([a]) { $0[0].sum() }
    checkGradients([a]) { $0[0].mean() }
    for axis in 0..<4 { checkGradients([a]) { $0[0].sum(axis: axis) } }
    checkGradients([a]) { $0[0].mean(axis: 2) }
    checkGradients([randn([5], seed: 9)]) { $0[0].sum(axis: 0) }
    let m = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    #expect(m.sum(axis: 0).scalars == [5, 7, 9] && m.sum(axis: 1).scalars == [6, 15])
    #expect(m.mean(axis: 1).shape == [2])
  }

  @Test func shapeOps() {
    checkGradients([a]) { $0[0].reshaped([6, -1]) }
    checkGradients([a]) { $0[0].flattened() }
    checkGradients([a]) { $0[0].channels(1..<3) }
    checkGradients([a]) { $0[0].slice(axis: 2, start: 1).slice(axis: 3, start: 1) }
    checkGradients([a]) { $0[0].slice(axis: 2, start: 0, step: 2).slice(axis: 3, start: 0, step: 2) }
    checkGradients([a, b]) { concat([$0[0], $0[1].channels(0..<2)], axis: 1) }
    checkGradients([a, b]) { concat([$0[0], $0[1]], axis: 3) }
    let c4 = randn([2, 8, 3, 3], seed: 7)
    checkGradients([c4]) { $0[0].channelShuffle(groups: 4) }
    checkGradients([randn([3, 5], seed: 8)]) { $0[0].transposed() }
  }

  @Test func stochasticOpsWithFixedMasks() {
    checkGradients([a]) { x in
      var rng = RNG(seed: 11)
      return x[0].dropout(0.3, training: true, rng: &rng)
    }
    checkGradients([a]) { x in
      var rng = RNG(seed: 12)
      return x[0].dropPath(0.4, training: true, rng: &rng)
    }
    checkGradients([a]) { $0[0].detached() * 0 + $0[0] }
  }
}
