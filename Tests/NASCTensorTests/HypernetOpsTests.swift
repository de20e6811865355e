import Testing

@testable import NASCTensor

/// SMASH's hypernetwork ops: LeakyReLU and the whole-tensor weight normalisation.
@Suite("LeakyReLU and w / ‖w‖")
struct HypernetOpsTests {
  @Test func leakyReluValuesAndGradient() {
    let x = Tensor(shape: [4], scalars: [-2, -0.5, 0.25, 3])
    #expect(x.leakyRelu(slope: 0.02).scalars == [-0.04, -0.01, 0.25, 3])
    // Away from 0, where the kink would spoil central differences.
    let y = randn([3, 5], seed: 71).scalars.map { $0 + ($0 < 0 ? -0.1 : 0.1) }
    checkGradients([Tensor(shape: [3, 5], scalars: y)], step: 1e-3) { $0[0].leakyRelu(slope: 0.02) }
  }

  @Test func frobeniusNormalizedHasNormOneAndCorrectGradients() {
    let w = randn([4, 3, 3, 3], seed: 72, scale: 2)
    let n = w.frobeniusNormalized()
    #expect(abs(n.scalars.reduce(0) { $0 + $1 * $1 } - 1) < 1e-5)
    #expect(zip(n.scalars, w.scalars).allSatisfy { $0.sign == $1.sign })
    checkGradients([randn([3, 4], seed: 73)], step: 1e-3) { $0[0].frobeniusNormalized() }
    // Through a conv, as the hypernetwork uses it.
    checkGradients([randn([2, 3, 4, 4], seed: 74), randn([2, 3, 3, 3], seed: 75)], step: 1e-3) {
      conv2d($0[0], weight: $0[1].frobeniusNormalized(), padding: 1)
    }
    #expect(Tensor.zeros([3]).frobeniusNormalized().scalars == [0, 0, 0])
  }
}
