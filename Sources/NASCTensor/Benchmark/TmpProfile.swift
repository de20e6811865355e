import Dispatch
public enum TmpProfile {
  public static func run() {
    var rng = RNG(seed: 3)
    let n = 64, c = 16, s = 32
    let x = Parameter(.randn([n, c, s, s], rng: &rng))
    let seed = Tensor.ones([n, c, s / 2, s / 2])
    let bn = BatchNorm2d(c, affine: false)
    let dw3s2 = Conv2d(c, c, kernel: 3, stride: 2, padding: 1, groups: c, rng: &rng)
    let dw5s2 = Conv2d(c, c, kernel: 5, stride: 2, padding: 2, groups: c, rng: &rng)
    let dil3s2 = Conv2d(c, c, kernel: 3, stride: 2, padding: 2, dilation: 2, groups: c, rng: &rng)
    let pws2a = Conv2d(c, c / 2, kernel: 1, stride: 2, rng: &rng)
    let pws2b = Conv2d(c, c / 2, kernel: 1, stride: 2, rng: &rng)
    let cases: [(String, () -> Tensor)] = [
      ("maxpool s2", { maxPool2d(x.value, Pool2DConfig(kernel: 3, stride: 2, padding: 1)) }),
      ("avgpool s2", { avgPool2d(x.value, Pool2DConfig(kernel: 3, stride: 2, padding: 1)) }),
      ("dw3 s2", { dw3s2(x.value) }),
      ("dw5 s2", { dw5s2(x.value) }),
      ("dil3 s2", { dil3s2(x.value) }),
      ("FR", { let r = x.value.relu(); return bn(concat([pws2a(r), pws2b(r.slice(axis: 2, start: 1).slice(axis: 3, start: 1))], axis: 1)) }),
    ]
    for (name, f) in cases {
      let tf = EngineBenchmark.bestTime(repeats: 5) { _ = f() }
      let t = EngineBenchmark.bestTime(repeats: 5) { f().backward(seed: seed); x.zeroGrad() }
      print(name, "fwd", (tf * 1e5).rounded() / 100, "ms  fwd+bwd", (t * 1e5).rounded() / 100, "ms")
    }
  }
}
