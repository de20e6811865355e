import Dispatch
public enum TmpProfile {
  public static func run() {
    var rng = RNG(seed: 3)
    let n = 64, c = 16, s = 32
    let x = Parameter(.randn([n, c, s, s], rng: &rng))
    let seed = Tensor.ones([n, c, s, s])
    let pool = Pool2DConfig(kernel: 3, stride: 1, padding: 1)
    let bn = BatchNorm2d(c, affine: false)
    let dw3 = Conv2d(c, c, kernel: 3, padding: 1, groups: c, rng: &rng)
    let pw = Conv2d(c, c, kernel: 1, rng: &rng)
    let alpha = Parameter(.randn([8], rng: &rng))
    let cases: [(String, () -> Tensor)] = [
      ("relu", { x.value.relu() }),
      ("maxpool", { maxPool2d(x.value, pool) }),
      ("avgpool", { avgPool2d(x.value, pool) }),
      ("bn", { bn(x.value) }),
      ("dw3", { dw3(x.value) }),
      ("pw", { pw(x.value) }),
      ("add", { x.value + x.value }),
      ("wsum8", { weightedSum(Array(repeating: x.value, count: 8), weights: alpha.value.softmax()) }),
      ("sep3", { bn(pw(dw3(bn(pw(dw3(x.value.relu()))).relu()))) }),
    ]
    for (name, f) in cases {
      let tf = EngineBenchmark.bestTime(repeats: 5) { _ = f() }
      let t = EngineBenchmark.bestTime(repeats: 5) { f().backward(seed: seed); x.zeroGrad(); alpha.zeroGrad() }
      print(name, "fwd", (tf * 1e5).rounded() / 100, "ms  fwd+bwd", (t * 1e5).rounded() / 100, "ms")
    }
  }
}
