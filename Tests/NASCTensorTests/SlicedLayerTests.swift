import Testing

@testable import NASCTensor

/// Weight-shared widths: a layer at the largest width running a narrower one on the leading slice of
/// its weights must be exactly the stand-alone narrow layer holding that slice, with the gradient
/// landing on the slice only.
@Suite("Sliced (weight-shared) convolution, batch norm and linear layers")
struct SlicedLayerTests {
  /// The leading `[o, i]` block of a `[O, I, kh, kw]` weight.
  static func leading(_ w: Tensor, _ o: Int, _ i: Int) -> Tensor {
    w.slice(axis: 0, start: 0, end: o).slice(axis: 1, start: 0, end: i).detached()
  }

  static func maxDiff(_ a: Tensor, _ b: Tensor) -> Float {
    zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
  }

  @Test(arguments: [
    // (wide cin, wide cout, groups of the wide layer, narrow cin, narrow cout, kernel, stride)
    (6, 8, 1, 4, 5, 3, 1),  // dense 3×3
    (6, 8, 1, 6, 3, 1, 2),  // pointwise, only the output narrower, stride 2
    (8, 8, 8, 5, 5, 3, 1),  // depthwise 3×3
    (8, 8, 8, 3, 3, 5, 2),  // depthwise 5×5 stride 2
  ])
  func slicedConvEqualsNarrowConvAndMatchesFiniteDifferences(_ c: (Int, Int, Int, Int, Int, Int, Int)) {
    let (cin, cout, groups, nin, nout, k, s) = c
    var rng = RNG(seed: 7)
    let cfg = Conv2DConfig(stride: s, padding: k / 2, groups: groups)
    let wide = Conv2d(cin, cout, kernelH: k, kernelW: k, config: cfg, rng: &rng)
    let narrowGroups = groups == 1 ? 1 : nin
    let narrow = Conv2d(
      nin, nout, kernelH: k, kernelW: k, config: Conv2DConfig(stride: s, padding: k / 2, groups: narrowGroups),
      rng: &rng)
    narrow.weight.value = Self.leading(wide.weight.value, nout, nin / narrowGroups)
    let xData = randn([2, nin, 7, 6], seed: 8)
    let x = Parameter(xData)
    let y = wide(x.value, outChannels: nout)
    let yNarrow = narrow(xData)
    #expect(y.shape == yNarrow.shape)
    #expect(Self.maxDiff(y, yNarrow) == 0, "the sliced conv differs from the narrow conv")
    // Gradients of L = Σ y ⊙ R.
    let r = randn(y.shape, seed: 9)
    (y * r).sum().backward()
    (narrow(xData) * r).sum().backward()
    guard let gWide = wide.weight.grad, let gNarrow = narrow.weight.grad, let gx = x.grad else {
      Issue.record("no gradient")
      return
    }
    #expect(Self.maxDiff(Self.leading(gWide, nout, nin / narrowGroups), gNarrow) < 1e-6)
    // Outside the slice the shared weight gets exactly zero.
    let inSlice = Self.leading(gWide, nout, nin / narrowGroups).scalars.map(abs).reduce(0, +)
    #expect(abs(gWide.scalars.map(abs).reduce(0, +) - inSlice) < 1e-6 * max(1, inSlice))
    // Central differences on the wide weight (in and out of the slice) and on the input.
    func loss() -> Double {
      let y = withNoGrad { wide(xData, outChannels: nout) }
      return zip(y.scalars, r.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    let h: Float = 1e-2
    let scale = gWide.scalars.map(abs).max() ?? 1
    for i in stride(from: 0, to: gWide.count, by: max(1, gWide.count / 40)) {
      var plus = 0.0, minus = 0.0
      wide.weight.update { $0[i] += h }
      plus = loss()
      wide.weight.update { $0[i] -= 2 * h }
      minus = loss()
      wide.weight.update { $0[i] += h }
      let numeric = Float((plus - minus) / Double(2 * h))
      #expect(abs(numeric - gWide.scalars[i]) <= 1e-2 * scale + 1e-2 * abs(numeric), "weight coordinate \(i)")
    }
    let xs = xData
    let gxScale = gx.scalars.map(abs).max() ?? 1
    for i in stride(from: 0, to: xs.count, by: max(1, xs.count / 30)) {
      func at(_ d: Float) -> Double {
        var v = xs.scalars
        v[i] += d
        let y = withNoGrad { wide(Tensor(shape: xs.shape, scalars: v), outChannels: nout) }
        return zip(y.scalars, r.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
      }
      let numeric = Float((at(h) - at(-h)) / Double(2 * h))
      #expect(abs(numeric - gx.scalars[i]) <= 1e-2 * gxScale + 1e-2 * abs(numeric), "input coordinate \(i)")
    }
  }

  @Test func slicedBatchNormUsesAndUpdatesOnlyTheLeadingChannels() {
    let wide = BatchNorm2d(6, affine: true)
    wide.weight!.value = Tensor([1.5, 0.5, 2, 1, 1, 1])
    wide.bias!.value = Tensor([0.1, -0.2, 0.3, 0, 0, 0])
    let narrow = BatchNorm2d(3, affine: true)
    narrow.weight!.value = Tensor([1.5, 0.5, 2])
    narrow.bias!.value = Tensor([0.1, -0.2, 0.3])
    let x = randn([4, 3, 3, 3], seed: 11)
    let y = wide(sliced: x)
    #expect(Self.maxDiff(y, narrow(x)) < 1e-6)
    // Running statistics: the first three channels moved as the narrow layer's did, the others not.
    #expect(Self.maxDiff(wide.stats.mean.slice(axis: 0, start: 0, end: 3), narrow.stats.mean) < 1e-7)
    #expect(Self.maxDiff(wide.stats.variance.slice(axis: 0, start: 0, end: 3), narrow.stats.variance) < 1e-7)
    #expect(Array(wide.stats.mean.scalars[3...]) == [0, 0, 0])
    #expect(Array(wide.stats.variance.scalars[3...]) == [1, 1, 1])
    #expect(wide.stats.batchesTracked == 1)
    // Evaluation mode uses the sliced running statistics.
    wide.eval()
    narrow.eval()
    #expect(Self.maxDiff(wide(sliced: x), narrow(x)) < 1e-6)
    // The affine gradient reaches the slice only.
    wide.train()
    wide.weight!.zeroGrad()
    (wide(sliced: x) * randn([4, 3, 3, 3], seed: 12)).sum().backward()
    #expect(Array(wide.weight!.grad!.scalars[3...]) == [0, 0, 0])
    #expect(wide.weight!.grad!.scalars[..<3].contains { $0 != 0 })
  }

  @Test func slicedLinearEqualsNarrowLinear() {
    var rng = RNG(seed: 13)
    let wide = Linear(8, 6, rng: &rng)
    let narrow = Linear(5, 4, rng: &rng)
    narrow.weight.value = Self.leading(wide.weight.value, 4, 5)
    narrow.bias!.value = wide.bias!.value.slice(axis: 0, start: 0, end: 4).detached()
    let x = randn([3, 5], seed: 14)
    #expect(Self.maxDiff(wide(x, outFeatures: 4), narrow(x)) < 1e-6)
  }
}
