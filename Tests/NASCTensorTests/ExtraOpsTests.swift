import Testing

@testable import NASCTensor

@Suite("Embedding, LSTM cell, split, ghost batch norm, RMSProp")
struct ExtraOpsTests {
  @Test func embeddingGradient() {
    checkGradients([randn([5, 3], seed: 91)]) { embedding([4, 0, 4, 2], table: $0[0]) }
  }

  @Test func splitGradient() {
    checkGradients([randn([2, 7, 3], seed: 92)]) {
      concat($0[0].split(sizes: [2, 4, 1], axis: 1).reversed(), axis: 1)
    }
  }

  /// The LSTM equations written out (gate order i, f, g, o): returns [h' | c'].
  static func lstm(_ t: [Tensor]) -> Tensor {
    let gates = linear(t[0], weight: t[3], bias: t[5]) + linear(t[1], weight: t[4], bias: t[6])
    let parts = gates.split(sizes: [4, 4, 4, 4], axis: 1)
    let c2 = parts[1].sigmoid() * t[2] + parts[0].sigmoid() * parts[2].tanh()
    return concat([parts[3].sigmoid() * c2.tanh(), c2], axis: 1)
  }

  @Test func lstmCellMatchesItsEquationsAndHasCorrectGradients() {
    var rng = RNG(seed: 93)
    let cell = LSTMCell(3, 4, rng: &rng)
    let inputs = [randn([2, 3], seed: 94), randn([2, 4], seed: 95), randn([2, 4], seed: 96)]
    let weights = [cell.weightIH, cell.weightHH, cell.biasIH, cell.biasHH].map(\.value)
    checkGradients(inputs + weights) { Self.lstm($0) }
    let (h2, c2) = cell(inputs[0], state: inputs[1], inputs[2])
    #expect(concat([h2, c2], axis: 1).scalars == Self.lstm(inputs + weights).scalars)
  }

  @Test func ghostBatchNormNormalisesEachSlice() {
    let bn = BatchNorm2d(2, affine: false, ghostBatchSize: 2)
    let x = randn([4, 2, 3, 3], seed: 100, scale: 3)
    let y = bn(x)
    for slice in 0..<2 {
      for ch in 0..<2 {
        var vals: [Float] = []
        for n in (slice * 2)..<(slice * 2 + 2) {
          for i in 0..<3 { for j in 0..<3 { vals.append(y[n, ch, i, j]) } }
        }
        let mean = vals.reduce(0, +) / Float(vals.count)
        #expect(abs(mean) < 1e-5)
      }
    }
    #expect(bn.stats.batchesTracked == 2)
  }

  @Test func aLastGhostBatchOfOnePixelJoinsTheOneBefore() {
    // Batch 5 in ghost batches of 2 at 1×1: the last slice would hold one value per channel.
    let ghost = BatchNorm2d(2, affine: false, ghostBatchSize: 2)
    let x = randn([5, 2, 1, 1], seed: 101, scale: 2)
    let y = ghost(x)
    #expect(y.scalars.allSatisfy { $0.isFinite })
    #expect(ghost.stats.batchesTracked == 2)
    // Images 2, 3 and 4 are normalised together: their values per channel have mean 0.
    for ch in 0..<2 {
      let mean = (2..<5).map { y[$0, ch, 0, 0] }.reduce(0, +) / 3
      #expect(abs(mean) < 1e-5)
    }
  }

  @Test func rmspropTwoSteps() {
    let p = Parameter(Tensor([1]))
    p.grad = Tensor([0.5])
    let opt = RMSProp([p], learningRate: 0.01, alpha: 0.9, eps: 1e-8, weightDecay: 0.1, momentum: 0.5)
    var w = 1.0, v = 0.0, b = 0.0
    for g0 in [0.5, -0.2] {
      p.grad = Tensor([Float(g0)])
      opt.step()
      let g = g0 + 0.1 * w
      v = 0.9 * v + 0.1 * g * g
      b = 0.5 * b + g / (v.squareRoot() + 1e-8)
      w -= 0.01 * b
      #expect(abs(Double(p.value.scalar) - w) < 1e-6)
    }
    #expect(opt.stateDict().keys.sorted() == ["momentum_buffer.0", "square_avg.0"])
  }
}
