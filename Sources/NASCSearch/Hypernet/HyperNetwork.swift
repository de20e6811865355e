import NASCSpace
import NASCTensor

/// SMASH's hypernetwork (METHODS.md §13.2): a DenseNet without downsampling over the
/// (bank × layer) grid of the architecture encoding, whose every conv is weight-normalised as
/// `w / ‖w‖` with LeakyReLU(0.02) between and no batch norm. Its input is `concat(z, c)` with a
/// fixed `z ~ N(0, 1)`; the final 1×1 conv gives, at (bank r, layer j), the weights that connect
/// bank r to layer j's reading 1×1 conv (`readOut × width` of them). A layer's generated weight
/// concatenates the blocks of the banks it reads and is normalised the same way.
public final class HyperNetwork: Module {
  /// The memory layers it generates for.
  public let layout: MemoryBankLayout
  /// The fixed random input, `[1, 1, maxBanks, layers]`.
  let z: Tensor
  /// The convs in order: the stem (its output concatenated to the input), then per stage its
  /// dense layers (concatenated) and a halving transition (except after the last stage), and the
  /// final 1×1 conv.
  let convs: [NASCTensor.Conv2d]
  let plan: [Step]
  /// LeakyReLU's slope.
  static let slope: Float = 0.02

  enum Step { case grow, transition, output }

  /// Builds the hypernetwork for `layout` with dense stages of `depths` layers of `growth`
  /// channels, drawing its weights and `z` from `rng`.
  public init(layout: MemoryBankLayout, growth: Int, depths: [Int], rng: inout RNG) {
    self.layout = layout
    z = Tensor.randn([1, 1, layout.maxBanks, layout.layers.count], rng: &rng)
    var convs = [NASCTensor.Conv2d]()
    var plan = [Step]()
    var ch = 1 + layout.channels
    func conv(_ cin: Int, _ cout: Int, kernel: Int) -> NASCTensor.Conv2d {
      NASCTensor.Conv2d(cin, cout, kernel: kernel, padding: kernel / 2, rng: &rng)
    }
    convs.append(conv(ch, 7, kernel: 3))
    plan.append(.grow)
    ch += 7
    for (i, d) in depths.enumerated() {
      for _ in 0..<d {
        convs.append(conv(ch, growth, kernel: 3))
        plan.append(.grow)
        ch += growth
      }
      if i < depths.count - 1 {
        convs.append(conv(ch, max(1, ch / 2), kernel: 3))
        plan.append(.transition)
        ch = max(1, ch / 2)
      }
    }
    let out = layout.layers.map { $0.readOut * $0.width }.max() ?? 1
    convs.append(conv(ch, out, kernel: 1))
    plan.append(.output)
    self.convs = convs
    self.plan = plan
    super.init()
    for (i, c) in convs.enumerated() { register("conv\(i)", c) }
  }

  func apply(_ c: NASCTensor.Conv2d, _ x: Tensor) -> Tensor {
    conv2d(x, weight: c.weight.value.frobeniusNormalized(), config: c.config)
  }

  /// The hypernetwork's output for encoding `c`: `[1, readOut × width (max), maxBanks, layers]`.
  public func callAsFunction(_ c: Tensor) -> Tensor {
    var features = concat([z, c], axis: 1)
    for (i, (conv, step)) in zip(convs, plan).enumerated() {
      switch step {
      case .grow:
        // The stem conv reads the encoding itself; every later conv follows a LeakyReLU.
        let h = apply(conv, i == 0 ? features : features.leakyRelu(slope: Self.slope))
        features = concat([features, h], axis: 1)
      case .transition: features = apply(conv, features.leakyRelu(slope: Self.slope))
      case .output: features = apply(conv, features.leakyRelu(slope: Self.slope))
      }
    }
    return features
  }

  /// The reading-conv weights of every memory layer of `a`, by layer key: `[readOut, reads ×
  /// width, 1, 1]`, each normalised to norm 1 (SMASH's `wn2d`).
  public func weights(for a: Architecture) -> [String: Tensor] {
    let out = self(layout.encode(a))
    let positions = layout.maxBanks * layout.layers.count
    let rows = out.reshaped([out.shape[1], positions]).transposed()  // row r · layers + j
    var w = [String: Tensor]()
    for (j, l) in layout.layers.enumerated() {
      let reads = layout.banks(l, a).reads
      let blocks = reads.map { r in
        rows.slice(axis: 0, start: r * layout.layers.count + j, end: r * layout.layers.count + j + 1)
          .slice(axis: 1, start: 0, end: l.readOut * l.width).reshaped([l.readOut, l.width])
      }
      w[l.key] = (blocks.count == 1 ? blocks[0] : concat(blocks, axis: 1)).frobeniusNormalized()
        .reshaped([l.readOut, reads.count * l.width, 1, 1])
    }
    return w
  }
}
