import Dispatch

/// One DARTS mixed edge (the eight DARTS candidates on one input, summed with softmax(α) weights),
/// built from the public API: the unit of work a DARTS supernet repeats 14 times per cell. A benchmark
/// fixture only; the real supernet lives in NASCSearch.
final class DartsMixedEdge: Module {
  final class SepConv: Module {
    let dw1: Conv2d, pw1: Conv2d, bn1: BatchNorm2d, dw2: Conv2d, pw2: Conv2d, bn2: BatchNorm2d
    init(_ c: Int, _ k: Int, rng: inout RNG) {
      dw1 = Conv2d(c, c, kernel: k, padding: k / 2, groups: c, rng: &rng)
      pw1 = Conv2d(c, c, kernel: 1, rng: &rng)
      bn1 = BatchNorm2d(c, affine: false)
      dw2 = Conv2d(c, c, kernel: k, padding: k / 2, groups: c, rng: &rng)
      pw2 = Conv2d(c, c, kernel: 1, rng: &rng)
      bn2 = BatchNorm2d(c, affine: false)
      super.init()
      register("dw1", dw1); register("pw1", pw1); register("bn1", bn1)
      register("dw2", dw2); register("pw2", pw2); register("bn2", bn2)
    }
    func callAsFunction(_ x: Tensor) -> Tensor { bn2(pw2(dw2(bn1(pw1(dw1(x.relu()))).relu()))) }
  }

  final class DilConv: Module {
    let dw: Conv2d, pw: Conv2d, bn: BatchNorm2d
    init(_ c: Int, _ k: Int, rng: inout RNG) {
      dw = Conv2d(c, c, kernel: k, padding: k - 1, dilation: 2, groups: c, rng: &rng)
      pw = Conv2d(c, c, kernel: 1, rng: &rng)
      bn = BatchNorm2d(c, affine: false)
      super.init()
      register("dw", dw); register("pw", pw); register("bn", bn)
    }
    func callAsFunction(_ x: Tensor) -> Tensor { bn(pw(dw(x.relu()))) }
  }

  let sep3: SepConv, sep5: SepConv, dil3: DilConv, dil5: DilConv
  let bnMax: BatchNorm2d, bnAvg: BatchNorm2d
  /// The edge's architecture logits (8 entries, DARTS order).
  let alpha: Parameter

  /// A stride-1 mixed edge on `channels` channels.
  init(channels c: Int, rng: inout RNG) {
    sep3 = SepConv(c, 3, rng: &rng)
    sep5 = SepConv(c, 5, rng: &rng)
    dil3 = DilConv(c, 3, rng: &rng)
    dil5 = DilConv(c, 5, rng: &rng)
    bnMax = BatchNorm2d(c, affine: false)
    bnAvg = BatchNorm2d(c, affine: false)
    alpha = Parameter(.randn([8], std: 1e-3, rng: &rng), group: .architecture)
    super.init()
    register("sep3", sep3); register("sep5", sep5); register("dil3", dil3); register("dil5", dil5)
    register("bn_max", bnMax); register("bn_avg", bnAvg); register("alpha", alpha)
  }

  /// Σ_k softmax(α)_k · o_k(x).
  func callAsFunction(_ x: Tensor) -> Tensor {
    let pool = Pool2DConfig(kernel: 3, stride: 1, padding: 1)
    let outs = [
      Tensor.zeros(x.shape), bnMax(maxPool2d(x, pool)), bnAvg(avgPool2d(x, pool)), x,
      sep3(x), sep5(x), dil3(x), dil5(x),
    ]
    return weightedSum(outs, weights: alpha.value.softmax())
  }

  /// Best forward+backward milliseconds of one edge at batch `n`, `c` channels, `size`².
  static func measure(batch n: Int = 64, channels c: Int = 16, size: Int = 32, repeats: Int = 5)
    -> Double
  {
    var rng = RNG(seed: 3)
    let edge = DartsMixedEdge(channels: c, rng: &rng)
    let x = Parameter(.randn([n, c, size, size], rng: &rng))
    let seed = Tensor.ones([n, c, size, size])
    return EngineBenchmark.bestTime(repeats: repeats) {
      edge(x.value).backward(seed: seed)
      edge.zeroGrad()
      x.zeroGrad()
    } * 1e3
  }
}
