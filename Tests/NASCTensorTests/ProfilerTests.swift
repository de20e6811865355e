import Testing

@testable import NASCTensor

@Suite("Profiler") struct ProfilerTests {
  /// One conv → batch norm → ReLU → loss pass: each kind is seen once forward and once backward,
  /// the conv's operations are 2 · MACs forward and 2 · 2 · MACs backward (input and weight
  /// gradients), and nothing is collected outside start/stop or on other threads.
  @Test func attributesOpsByKindWithTheirWork() {
    var rng = RNG(seed: 3)
    let conv = Conv2d(2, 4, kernel: 3, padding: 1, rng: &rng)
    let bn = BatchNorm2d(4, affine: true)
    let x = Parameter(Tensor.randn([3, 2, 5, 5], rng: &rng), name: "x")
    func pass() {
      let y = bn(conv(x.value), activation: .identity).relu()
      crossEntropy(logits: y.flattened().slice(axis: 1, start: 0, end: 10), labels: [1, 2, 3]).backward()
    }
    pass()
    Profiler.start()
    pass()
    let r = Profiler.stop()
    let macs = 3.0 * 4 * 5 * 5 * (2 * 9)
    #expect(r.forward["conv 3x3"]?.calls == 1 && r.backward["conv 3x3"]?.calls == 1)
    #expect(r.forward["conv 3x3"]?.flops == 2 * macs)
    #expect(r.backward["conv 3x3"]?.flops == 2 * 2 * macs)
    #expect(r.forward["batch norm"]?.calls == 1 && r.forward["activation"]?.calls == 1)
    #expect(r.backward["softmax / loss"]?.calls == 1)
    let attributed = (r.forward.values.map(\.seconds) + r.backward.values.map(\.seconds)).reduce(0, +)
    #expect(attributed > 0 && attributed <= r.seconds * 1.001)
    pass()
    #expect(Profiler.stop().forward.isEmpty)
  }
}
