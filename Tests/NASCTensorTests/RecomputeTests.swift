import Testing

@testable import NASCTensor

@Suite("Recomputed blocks and frozen parameters")
struct RecomputeTests {
  /// relu → depthwise conv → pointwise conv → BN (no affine) → scaled by a weight input: the
  /// sep-conv chain of a DARTS edge.
  static func block(_ x: Tensor, _ s: Tensor, dw: Parameter, pw: Parameter) -> Tensor {
    let h = conv2d(x.relu(), weight: dw.value, config: Conv2DConfig(padding: 1, groups: 3))
    let y = batchNorm(conv2d(h, weight: pw.value), training: true)
    return y.scaled(by: s)
  }

  static func setUp() -> (Parameter, Parameter, Parameter, Parameter, Tensor) {
    var rng = RNG(seed: 42)
    let x = Parameter(Tensor.randn([2, 3, 5, 5], rng: &rng), name: "x")
    let s = Parameter(Tensor([0.7]), name: "s")
    let dw = Parameter(Tensor.randn([3, 1, 3, 3], std: 0.5, rng: &rng), name: "dw")
    let pw = Parameter(Tensor.randn([4, 3, 1, 1], std: 0.5, rng: &rng), name: "pw")
    let probe = Tensor.randn([2, 4, 5, 5], rng: &rng)
    return (x, s, dw, pw, probe)
  }

  @Test func recomputedBlockGivesTheSameValueAndGradients() {
    let (x, s, dw, pw, probe) = Self.setUp()
    // Directly recorded.
    let direct = Self.block(x.value, s.value, dw: dw, pw: pw)
    (direct * probe).sum().backward()
    let want = [x, s, dw, pw].map { $0.grad!.scalars }
    for p in [x, s, dw, pw] { p.zeroGrad() }
    // Recomputed: same forward value, same gradients for inputs and the parameters it reads.
    var runs: [Bool] = []
    let y = recomputed([x.value, s.value]) { ins, again in
      runs.append(again)
      return Self.block(ins[0], ins[1], dw: dw, pw: pw)
    }
    #expect(y.scalars == direct.scalars)
    #expect(runs == [false])
    (y * probe).sum().backward()
    #expect(runs == [false, true])
    let got = [x, s, dw, pw].map { $0.grad!.scalars }
    for (g, w) in zip(got, want) {
      for (a, b) in zip(g, w) { #expect(abs(a - b) <= 1e-5 * max(1, abs(b))) }
    }
  }

  @Test func serialKernelsGiveTheSameBits() {
    var rng = RNG(seed: 9)
    let x = Tensor.randn([8, 16, 12, 12], rng: &rng)
    let w = Tensor.randn([16, 1, 3, 3], rng: &rng)
    func f() -> [Float] {
      batchNorm(conv2d(x.relu(), weight: w, config: Conv2DConfig(padding: 1, groups: 16)), training: true).scalars
    }
    let parallel = f()
    let serial = Engine.serially { f() }
    #expect(serial == parallel)
    #expect(!Engine.isSerial)
  }

  @Test func recomputedBlockWithoutGradientsRunsOnce() {
    let (x, s, dw, pw, _) = Self.setUp()
    var runs = 0
    let y = withNoGrad {
      recomputed([x.value, s.value]) { ins, _ in
        runs += 1
        return Self.block(ins[0], ins[1], dw: dw, pw: pw)
      }
    }
    #expect(!y.requiresGrad)
    #expect(runs == 1)
  }

  @Test func recomputedBlockPassesGradientOnlyToInputsThatNeedIt() {
    let (x, _, dw, pw, probe) = Self.setUp()
    let s = Tensor([0.7])  // a constant
    let y = recomputed([x.value, s]) { ins, _ in Self.block(ins[0], ins[1], dw: dw, pw: pw) }
    (y * probe).sum().backward()
    #expect(x.grad != nil && dw.grad != nil && pw.grad != nil)
  }

  @Test func frozenParametersGetNoGradientAndDoNotChangeOthers() {
    let (x, s, dw, pw, probe) = Self.setUp()
    (Self.block(x.value, s.value, dw: dw, pw: pw) * probe).sum().backward()
    let want = x.grad!.scalars
    x.zeroGrad()
    dw.zeroGrad()
    pw.zeroGrad()
    s.zeroGrad()
    dw.requiresGrad = false
    pw.requiresGrad = false
    let y = Self.block(x.value, s.value, dw: dw, pw: pw)
    #expect(y.requiresGrad)
    (y * probe).sum().backward()
    #expect(dw.grad == nil && pw.grad == nil)
    #expect(x.grad!.scalars == want)
    dw.requiresGrad = true
    #expect(dw.value.requiresGrad)
  }
}
