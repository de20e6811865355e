import Foundation
import Testing

@testable import NASCTensor

@Suite("Optimizers, schedules and clipping against hand-computed values")
struct OptimizerTests {
  func param(_ v: [Float], grad: [Float]) -> Parameter {
    let p = Parameter(Tensor(v))
    p.grad = Tensor(grad)
    return p
  }

  @Test func plainSGDWithWeightDecay() {
    let p = param([1, -2], grad: [0.5, 0.25])
    SGD([p], learningRate: 0.1, weightDecay: 0.01).step()
    // p − lr·(g + wd·p)
    let e0: Float = 1 - 0.1 * (0.5 + 0.01 * 1)
    let e1: Float = -2 - 0.1 * (0.25 + 0.01 * -2)
    #expect(p.value.scalars == [e0, e1])
  }

  @Test func momentumSGDTwoSteps() {
    let p = param([1], grad: [0.5])
    let opt = SGD([p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.1)
    opt.step()  // g = 0.5 + 0.1 = 0.6, buf = 0.6, p = 1 − 0.06 = 0.94
    #expect(abs(p.value.scalar - 0.94) < 1e-6)
    p.grad = Tensor([0.5])
    opt.step()  // g = 0.5 + 0.094 = 0.594, buf = 0.54 + 0.594 = 1.134, p = 0.94 − 0.1134
    #expect(abs(p.value.scalar - (0.94 - 0.1134)) < 1e-6)
    #expect(abs(opt.momentumBuffer(for: p)!.scalar - 1.134) < 1e-6)
    #expect(opt.momentumBuffer(for: Parameter(Tensor([0]))) == nil)
  }

  @Test func nesterovSGDTwoSteps() {
    let p = param([1], grad: [0.5])
    let opt = SGD([p], learningRate: 0.1, momentum: 0.9, nesterov: true)
    opt.step()  // buf = 0.5, step = 0.5 + 0.45 = 0.95 → 0.905
    #expect(abs(p.value.scalar - 0.905) < 1e-6)
    p.grad = Tensor([0.2])
    opt.step()  // buf = 0.45 + 0.2 = 0.65, step = 0.2 + 0.585 = 0.785 → 0.8265
    #expect(abs(p.value.scalar - 0.8265) < 1e-6)
  }

  @Test func adamTwoStepsWithWeightDecay() {
    let p = param([1], grad: [0.5])
    let opt = Adam([p], learningRate: 0.01, beta1: 0.5, beta2: 0.999, eps: 1e-8, weightDecay: 1e-3)
    var w = 1.0, m = 0.0, v = 0.0
    for (t, g0) in [(1, 0.5), (2, -0.3)] {
      if t == 2 { p.grad = Tensor([-0.3]) }
      opt.step()
      let g = g0 + 1e-3 * w
      m = 0.5 * m + 0.5 * g
      v = 0.999 * v + 0.001 * g * g
      let bc1 = 1 - pow(0.5, Double(t)), bc2 = 1 - pow(0.999, Double(t))
      w -= 0.01 / bc1 * m / (v.squareRoot() / bc2.squareRoot() + 1e-8)
      #expect(abs(Double(p.value.scalar) - w) < 1e-6)
    }
  }

  @Test func parametersWithoutGradientsAreSkipped() {
    let p = Parameter(Tensor([3]))
    SGD([p], learningRate: 1, momentum: 0.9).step()
    Adam([p]).step()
    #expect(p.value.scalar == 3)
  }

  @Test func clipGradNormMatchesTorch() {
    let a = param([0, 0], grad: [3, 0]), b = param([0], grad: [4])
    let norm = clipGradNorm([a, b], maxNorm: 1)
    #expect(norm == 5)
    let c: Float = 1 / (5 + 1e-6)
    #expect(a.grad!.scalars == [3 * c, 0])
    #expect(b.grad!.scalars == [4 * c])
    let d = param([0], grad: [0.5])
    #expect(clipGradNorm([d], maxNorm: 5) == 0.5)
    #expect(d.grad!.scalars == [0.5])
  }

  @Test func schedules() {
    let cos = CosineAnnealing(base: 0.025, totalEpochs: 50, minimum: 0.001)
    #expect(cos.learningRate(at: 0) == 0.025)
    #expect(abs(cos.learningRate(at: 25) - 0.013) < 1e-7)
    #expect(abs(cos.learningRate(at: 50) - 0.001) < 1e-7)
    let t = 0.001 + 0.024 * (1 + Foundation.cos(Double.pi * 10 / 50)) / 2
    #expect(abs(Double(cos.learningRate(at: 10)) - t) < 1e-7)
    // Stepped per iteration: 10.25 epochs lies between epochs 10 and 11, on the same curve.
    let t1 = 0.001 + 0.024 * (1 + Foundation.cos(Double.pi * 10.25 / 50)) / 2
    #expect(abs(Double(cos.learningRate(atEpochs: 10.25)) - t1) < 1e-7)
    #expect(cos.learningRate(atEpochs: 10.25) < cos.learningRate(at: 10))
    #expect(StepDecay(base: 1, stepSize: 3, gamma: 0.5).learningRate(at: 7) == 0.25)
    #expect(abs(ExponentialDecay(base: 0.1, gamma: 0.97).learningRate(at: 2) - 0.1 * 0.97 * 0.97) < 1e-8)
    let lin = LinearSchedule(base: 2, startFactor: 0.5, endFactor: 1, totalEpochs: 4)
    #expect(lin.learningRate(at: 0) == 1)
    #expect(lin.learningRate(at: 2) == 1.5)
    #expect(lin.learningRate(at: 9) == 2)
  }

  @Test func batchNormRunningStatisticsFollowTheFormula() {
    let bn = BatchNorm2d(2, affine: false, momentum: 0.1)
    let x = randn([3, 2, 4, 5], seed: 81, scale: 3)
    _ = bn(x)
    let m = 3 * 4 * 5
    for c in 0..<2 {
      var vals: [Double] = []
      for n in 0..<3 { for i in 0..<4 { for j in 0..<5 { vals.append(Double(x[n, c, i, j])) } } }
      let mean = vals.reduce(0, +) / Double(m)
      let unbiased = vals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m - 1)
      #expect(abs(Double(bn.stats.mean.scalars[c]) - 0.1 * mean) < 1e-5)
      #expect(abs(Double(bn.stats.variance.scalars[c]) - (0.9 + 0.1 * unbiased)) < 1e-4)
    }
    #expect(bn.stats.batchesTracked == 1)
    // Eval mode normalises with the running statistics.
    bn.eval()
    let y = bn(x)
    let expected =
      (x[0, 1, 2, 3] - bn.stats.mean.scalars[1]) / (bn.stats.variance.scalars[1] + 1e-5).squareRoot()
    #expect(abs(y[0, 1, 2, 3] - expected) < 1e-5)
  }
}
