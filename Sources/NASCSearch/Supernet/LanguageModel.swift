import NASCData
import NASCSpace
import NASCTensor

/// The dropouts of a recurrent language model (DARTS' and AWD-LSTM's names in brackets). Masks are
/// drawn once per sequence window and shared by its time steps, except the embedding's, which
/// drops whole words of the vocabulary.
public struct LanguageModelDropout: Codable, Equatable, Sendable {
  /// On the cell outputs before the decoder (`dropout`).
  public var output: Double
  /// On the states the cell's weight matrices read (`dropouth`).
  public var hidden: Double
  /// On `x_t` where the initial node's weight matrix reads it (`dropoutx`).
  public var x: Double
  /// On the embedded inputs (`dropouti`).
  public var input: Double
  /// On rows of the embedding table, i.e. whole words (`dropoute`).
  public var embedding: Double

  /// Dropouts (all 0 by default).
  public init(output: Double = 0, hidden: Double = 0, x: Double = 0, input: Double = 0, embedding: Double = 0) {
    self.output = output
    self.hidden = hidden
    self.x = x
    self.input = input
    self.embedding = embedding
  }

  /// DARTS' search dropouts (METHODS.md §1.7): 0.75, 0.25, 0.75, 0.2, 0.
  public static let dartsSearch = LanguageModelDropout(output: 0.75, hidden: 0.25, x: 0.75, input: 0.2, embedding: 0)

  /// The first value outside [0, 1), with its name, or nil.
  public var problem: String? {
    for (name, p) in [("output", output), ("hidden", hidden), ("x", x), ("input", input), ("embedding", embedding)]
    where !(p.isFinite && p >= 0 && p < 1) {
      return "\(name) dropout \(p) (in [0, 1))"
    }
    return nil
  }
}

/// A word-level language model lowered from a token-sequence `NetworkIR`: an embedding stem, one
/// recurrent cell unrolled over the window's time steps, and a decoder (tied to the embedding or a
/// linear layer of its own) applied to every step's output.
public final class LanguageModel: Module {
  /// The IR it was built from.
  public let network: NetworkIR
  /// The embedding table [vocabulary, E].
  public let embedding: Parameter
  /// The recurrent cell.
  public let cell: RecurrentCellModule
  /// The decoder's own weight [vocabulary, C] (nil when tied to the embedding).
  let decoderWeight: Parameter?
  /// The decoder's bias [vocabulary], if it has one.
  let decoderBias: Parameter?

  /// The vocabulary size.
  public var vocabulary: Int { embedding.value.shape[0] }
  /// The hidden-state width C.
  public var hiddenSize: Int { cell.hiddenSize }

  /// Builds the model as DARTS does: the embedding ~ U(−0.1, 0.1), the cell's weights ~
  /// U(−0.04, 0.04) and a zero decoder bias. `LoweringError` for any other network shape.
  /// `normalizesStates` gives the cell DARTS' search batch norm on its states.
  public init(_ network: NetworkIR, normalizesStates: Bool = false, rng: inout RNG) throws {
    guard let tokens = network.tokens else {
      throw LoweringError(description: "the network does not read token sequences")
    }
    guard network.stem.nodes.count == 1, case .embedding(let v, let e) = network.stem.nodes[0].op, v == tokens else {
      throw LoweringError(description: "a language model's stem must be one embedding of the \(tokens) tokens")
    }
    guard network.items.count == 1, case .cell(let c) = network.items[0], c.recurrent else {
      throw LoweringError(description: "a language model's body must be one recurrent cell")
    }
    guard c.inputs[0].sourceShape.channels == e + c.c else {
      throw LoweringError(
        description:
          "the recurrent cell reads \(c.inputs[0].sourceShape.channels) channels, not embedding \(e) + state \(c.c)")
    }
    embedding = Parameter(.uniform([v, e], low: -0.1, high: 0.1, rng: &rng))
    let cell = try RecurrentCellModule(c, normalizesStates: normalizesStates, rng: &rng)
    // DARTS initialises every weight matrix of the cell U(−0.04, 0.04).
    for p in cell.parameters(in: .weights) { p.value = .uniform(p.shape, low: -0.04, high: 0.04, rng: &rng) }
    self.cell = cell
    guard network.head.nodes.count == 1 else {
      throw LoweringError(description: "a language model's head must be one (tied) linear decoder")
    }
    switch network.head.nodes[0].op {
    case .tiedLinear(let i, let o, let bias) where i == e && o == v && c.c == e:
      decoderWeight = nil
      decoderBias = bias ? Parameter(.zeros([v])) : nil
    case .linear(let i, let o, let bias) where i == c.c && o == v:
      let bound = 1 / Float(i).squareRoot()
      decoderWeight = Parameter(.uniform([o, i], low: -bound, high: bound, rng: &rng))
      decoderBias = bias ? Parameter(.zeros([v])) : nil
    default:
      throw LoweringError(
        description:
          "a language model's head must be a decoder from the state (\(c.c)) to the \(v) tokens (tied: embedding width = state width)"
      )
    }
    self.network = network
    super.init()
    register("stem_embedding", embedding)
    register("cell", cell)
    if let decoderWeight { register("decoder_weight", decoderWeight) }
    if let decoderBias { register("decoder_bias", decoderBias) }
  }

  /// The outputs of one window.
  public struct Output {
    /// Logits [steps · N, vocabulary], time-major (row t·N + j: step t of stream j).
    public var logits: Tensor
    /// The last step's state (carry it, detached, into the next window).
    public var hidden: Tensor
    /// Every step's cell output before output dropout (for temporal activation regularisation).
    public var states: [Tensor]
  }

  /// A zero state for `batch` streams.
  public func initialHidden(batch: Int) -> Tensor { .zeros([batch, hiddenSize]) }

  /// When set, each stream's state is rescaled after every time step to a norm of at most this
  /// (a constant factor, no gradient through the norm), as carpedm20's ENAS child does.
  public var maxHiddenNorm: Float?

  /// `h` with every row of norm above `maxHiddenNorm` scaled down to it.
  func clippedRows(_ h: Tensor) -> Tensor {
    guard let limit = maxHiddenNorm else { return h }
    let n = h.shape[0], c = h.shape[1]
    // Row norms first; the scale tensor is built only when some row exceeds the limit.
    let factors = h.withUnsafeBufferPointer { v in
      (0..<n).map { r -> Float in
        var s: Float = 0
        for j in 0..<c { s += v[r * c + j] * v[r * c + j] }
        let norm = s.squareRoot()
        return norm > limit ? limit / norm : 1
      }
    }
    guard factors.contains(where: { $0 < 1 }) else { return h }
    var scales = [Float](repeating: 1, count: n * c)
    for r in 0..<n where factors[r] < 1 { for j in 0..<c { scales[r * c + j] = factors[r] } }
    return h.masked(by: Tensor(shape: h.shape, scalars: scales))
  }

  /// Runs the window `inputs` (per step, one token per stream) from state `hidden`. In training
  /// mode `dropout` applies, drawing its masks from `context.rng`.
  public func callAsFunction(
    _ inputs: [[Int]], hidden: Tensor, plan: ForwardPlan, dropout: LanguageModelDropout,
    context: inout ForwardContext
  ) -> Output {
    let steps = inputs.count, n = hidden.shape[0], e = embedding.value.shape[1]
    precondition(steps > 0 && inputs.allSatisfy { $0.count == n }, "every step needs one token per stream")
    let train = isTraining
    var table = embedding.value
    if train && dropout.embedding > 0 {
      // Whole words dropped: one scale per vocabulary row, applied to every use of the row.
      let keep = Float(1 - dropout.embedding)
      var scales = [Float](repeating: 0, count: vocabulary * e)
      for r in 0..<vocabulary where context.rng.nextFloat() < keep {
        for c in 0..<e { scales[r * e + c] = 1 / keep }
      }
      table = table.masked(by: Tensor(shape: table.shape, scalars: scales))
    }
    let embedded = NASCTensor.embedding(inputs.flatMap { $0 }, table: table)
    func lockedMask(_ p: Double, _ width: Int) -> Tensor? {
      guard train && p > 0 else { return nil }
      let keep = Float(1 - p)
      var scales = [Float](repeating: 0, count: n * width)
      for i in 0..<(n * width) where context.rng.nextFloat() < keep { scales[i] = 1 / keep }
      return Tensor(shape: [n, width], scalars: scales)
    }
    let inputMask = lockedMask(dropout.input, e)
    let xMask = lockedMask(dropout.x, e)
    let hMask = lockedMask(dropout.hidden, hiddenSize)
    let outputMask = lockedMask(dropout.output, hiddenSize)
    var h = hidden
    var states = [Tensor]()
    var outputs = [Tensor]()
    states.reserveCapacity(steps)
    for t in 0..<steps {
      var x = embedded.slice(axis: 0, start: t * n, end: (t + 1) * n)
      if let inputMask { x = x.masked(by: inputMask) }
      h = clippedRows(cell.step(x, h, plan: plan, xMask: xMask, hMask: hMask, context: &context))
      states.append(h)
      outputs.append(outputMask.map { h.masked(by: $0) } ?? h)
    }
    let all = outputs.count == 1 ? outputs[0] : concat(outputs, axis: 0)
    let logits = linear(all, weight: decoderWeight?.value ?? embedding.value, bias: decoderBias?.value)
    return Output(logits: logits, hidden: h, states: states)
  }

  /// Temporal activation regularisation: `mean((h_t − h_{t−1})²)` over the window's steps (0 for one step).
  public static func temporalActivationPenalty(_ states: [Tensor]) -> Tensor? {
    guard states.count > 1 else { return nil }
    var terms = [Tensor]()
    for t in 1..<states.count { terms.append((states[t] - states[t - 1]).squared().mean()) }
    return sum(terms) * (1 / Float(terms.count))
  }
}

extension LanguageModel {
  /// The language model of the token space `ir` for a run on `corpus`: `E312` when the network is
  /// not an embedding → recurrent cell → decoder model, `E206` when the corpus's vocabulary is not
  /// the space's `tokens:`.
  static func forRun(_ ir: SpaceIR, corpus: TokenCorpus, normalizesStates: Bool = false, rng: inout RNG) throws
    -> LanguageModel
  {
    let model: LanguageModel
    do { model = try LanguageModel(ir.network, normalizesStates: normalizesStates, rng: &rng) } catch let e
      as LoweringError
    {
      throw RunError(
        "E312", "cannot build the language model of \(ir.name): \(e.description)",
        help: "a token space needs an embedding stem, one recurrent cell and a linear decoder head")
    }
    guard model.vocabulary == corpus.vocabularySize else {
      throw RunError(
        "E206",
        "the space reads \(model.vocabulary) tokens but \(corpus.name) has a vocabulary of \(corpus.vocabularySize)",
        help: "set `input: {tokens: \(corpus.vocabularySize)}` in the space, or use a corpus of that vocabulary")
    }
    return model
  }

  /// Cross-entropy per token (nats) of `tokens` in evaluation mode without dropout: `columns`
  /// streams read in windows of `bptt` steps with the state carried from zero, each window under
  /// the plan `plan` gives. Its exponential is the perplexity; NaN when a stream would be too short.
  func crossEntropy(on tokens: [Int32], columns: Int, bptt: Int, plan: () -> (ForwardPlan, RNG)) -> Double {
    guard let streams = TokenStreams(tokens, columns: columns) else { return .nan }
    eval()
    defer { train() }
    var h = initialHidden(batch: columns)
    var total = 0.0
    withNoGrad {
      for s in streams.windowStarts(steps: bptt) {
        let window = streams.window(at: s, steps: bptt)
        let (p, rng) = plan()
        var ctx = ForwardContext(rng: rng)
        let out = self(window.inputs, hidden: h, plan: p, dropout: LanguageModelDropout(), context: &ctx)
        total +=
          Double(NASCTensor.crossEntropy(logits: out.logits, labels: window.targets.flatMap { $0 }).scalar)
          * Double(window.targets.count * columns)
        h = out.hidden
      }
    }
    return total / Double(streams.predictions)
  }
}
