import Testing

@testable import NASCTensor

/// A map and a per-sample, per-channel value combined with the value broadcast over height and width
/// (the squeeze-and-excitation gate and its additive relatives).
@Suite("Broadcasting a per-channel value over a map")
struct BroadcastGradientTests {
  static let kinds: [PlaneCombine] = [.add, .sub, .mul]

  /// The reference: `s` (as `[N, C]`) repeated over every (h, w) of `x`, then the plain elementwise op.
  static func reference(_ kind: PlaneCombine, _ x: Tensor, _ s: Tensor, mapFirst: Bool) -> [Float] {
    let (n, c) = (x.shape[0], x.shape[1]), hw = x.count / (n * c)
    let xs = x.scalars, ss = s.scalars
    return (0..<x.count).map { i in
      let a = xs[i], b = ss[i / hw]
      let (l, r) = mapFirst ? (a, b) : (b, a)
      switch kind {
      case .add: return l + r
      case .sub: return l - r
      case .mul: return l * r
      }
    }
  }

  /// mul / add / sub, map first and value first, value `[N, C, 1, 1]` and `[N, C]`: the values equal
  /// the broadcast reference exactly and both gradients match central differences.
  @Test(arguments: kinds, [[2, 3, 1, 1], [2, 3]])
  func valuesAndGradients(kind: PlaneCombine, planeShape: [Int]) {
    let x = randn([2, 3, 4, 5], seed: 71)
    let s = randn(planeShape, seed: 72)
    let xy = combineBroadcasting(kind, x, s), yx = combineBroadcasting(kind, s, x)
    #expect(xy.shape == x.shape && yx.shape == x.shape)
    #expect(xy.scalars == Self.reference(kind, x, s, mapFirst: true))
    #expect(yx.scalars == Self.reference(kind, x, s, mapFirst: false))
    checkGradients([x, s]) { combineBroadcasting(kind, $0[0], $0[1]) }
    checkGradients([s, x]) { combineBroadcasting(kind, $0[0], $0[1]) }
    // Only one operand needing a gradient (the other a constant).
    checkGradients([x]) { combineBroadcasting(kind, $0[0], s) }
    checkGradients([s]) { combineBroadcasting(kind, x, $0[0]) }
    // The gate of squeeze-and-excitation: x · σ(s), the gradient reaching s through the sigmoid.
    checkGradients([x, s]) { combineBroadcasting(kind, $0[0], $0[1].sigmoid()) }
  }

  /// Equal shapes keep the plain op; `[N, C]` meets `[N, C, 1, 1]` as two `[N, C, 1, 1]` maps.
  @Test(arguments: kinds)
  func equalAndVectorAgainstUnitMap(kind: PlaneCombine) {
    let a = randn([2, 3, 4, 5], seed: 73), b = randn([2, 3, 4, 5], seed: 74)
    let plain: Tensor
    switch kind {
    case .add: plain = a + b
    case .sub: plain = a - b
    case .mul: plain = a * b
    }
    #expect(combineBroadcasting(kind, a, b).scalars == plain.scalars)
    let v = randn([2, 3], seed: 75), m = randn([2, 3, 1, 1], seed: 76)
    #expect(combineBroadcasting(kind, v, m).shape == [2, 3, 1, 1])
    #expect(combineBroadcasting(kind, m, v).shape == [2, 3, 1, 1])
    checkGradients([v, m]) { combineBroadcasting(kind, $0[0], $0[1]) }
    checkGradients([m, v]) { combineBroadcasting(kind, $0[0], $0[1]) }
  }

  @Test func whichShapesBroadcast() {
    #expect(canCombineBroadcasting([2, 3, 4, 5], [2, 3, 4, 5]))
    #expect(canCombineBroadcasting([2, 3, 4, 5], [2, 3, 1, 1]))
    #expect(canCombineBroadcasting([2, 3], [2, 3, 4, 5]))
    #expect(canCombineBroadcasting([2, 3], [2, 3, 1, 1]))
    #expect(!canCombineBroadcasting([2, 3, 4, 5], [2, 4, 1, 1]))
    #expect(!canCombineBroadcasting([2, 3, 4, 5], [2, 3, 4, 1]))
    #expect(!canCombineBroadcasting([2, 3, 4, 5], [1, 3, 1, 1]))
    #expect(!canCombineBroadcasting([2, 3, 4, 5], [2, 3, 2, 2]))
  }

  /// A tensor large enough to be split over workers gives the same bits as the same work on one
  /// thread, forward and backward (every plane's sum has one fixed order).
  @Test(arguments: kinds)
  func parallelMatchesSerialBitForBit(kind: PlaneCombine) {
    let x = randn([4, 24, 33, 17], seed: 77)
    let s = randn([4, 24, 1, 1], seed: 78)
    let r = randn(x.shape, seed: 79)
    func run() -> [[UInt32]] {
      let px = Parameter(x), ps = Parameter(s)
      let y = combineBroadcasting(kind, px.value, ps.value)
      (y * r).sum().backward()
      return [y.scalars, px.grad!.scalars, ps.grad!.scalars].map { $0.map(\.bitPattern) }
    }
    let parallel = run(), again = run()
    let serial = Engine.serially { run() }
    #expect(parallel == again)
    #expect(parallel == serial)
  }
}
