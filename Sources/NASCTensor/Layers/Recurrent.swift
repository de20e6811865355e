/// An LSTM cell (PyTorch `nn.LSTMCell` gate order i, f, g, o and initialisation U(±1/√hidden)).
public final class LSTMCell: Module {
  /// Input-to-hidden weight [4·hidden, input].
  public let weightIH: Parameter
  /// Hidden-to-hidden weight [4·hidden, hidden].
  public let weightHH: Parameter
  /// Input-to-hidden bias [4·hidden].
  public let biasIH: Parameter
  /// Hidden-to-hidden bias [4·hidden].
  public let biasHH: Parameter
  /// Hidden size.
  public let hiddenSize: Int

  /// A cell from `inputSize` to `hiddenSize`.
  public init(_ inputSize: Int, _ hiddenSize: Int, rng: inout RNG) {
    let b = 1 / Float(hiddenSize).squareRoot()
    weightIH = Parameter(.uniform([4 * hiddenSize, inputSize], low: -b, high: b, rng: &rng))
    weightHH = Parameter(.uniform([4 * hiddenSize, hiddenSize], low: -b, high: b, rng: &rng))
    biasIH = Parameter(.uniform([4 * hiddenSize], low: -b, high: b, rng: &rng))
    biasHH = Parameter(.uniform([4 * hiddenSize], low: -b, high: b, rng: &rng))
    self.hiddenSize = hiddenSize
    super.init()
    register("weight_ih", weightIH); register("weight_hh", weightHH)
    register("bias_ih", biasIH); register("bias_hh", biasHH)
  }

  /// One step: returns the new (h, c) for input `x` [N, input] and state `h`, `c` [N, hidden].
  public func callAsFunction(_ x: Tensor, state h: Tensor, _ c: Tensor) -> (h: Tensor, c: Tensor) {
    let gates =
      linear(x, weight: weightIH.value, bias: biasIH.value)
      + linear(h, weight: weightHH.value, bias: biasHH.value)
    let parts = gates.split(sizes: Array(repeating: hiddenSize, count: 4), axis: 1)
    let i = parts[0].sigmoid(), f = parts[1].sigmoid(), g = parts[2].tanh(), o = parts[3].sigmoid()
    let c2 = f * c + i * g
    return (o * c2.tanh(), c2)
  }
}

/// A learned lookup table [vocabulary, dim] (PyTorch `nn.Embedding`, N(0, 1) initialisation).
public final class Embedding: Module {
  /// The table.
  public let weight: Parameter

  /// A table of `vocabulary` rows of `dim` entries.
  public init(_ vocabulary: Int, _ dim: Int, rng: inout RNG) {
    weight = Parameter(.randn([vocabulary, dim], rng: &rng))
    super.init()
    register("weight", weight)
  }

  /// The rows for `indices`.
  public func callAsFunction(_ indices: [Int]) -> Tensor { embedding(indices, table: weight.value) }
}
