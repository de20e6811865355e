import Foundation
import NASCSpace
import NASCTensor

/// How the ENAS controller shapes its logits (METHODS.md §11).
public struct ControllerSettings: Codable, Equatable, Sendable {
  /// LSTM width (micro 64, RNN 100).
  public var hidden: Int
  /// Logits are divided by this before the tanh (ENAS RNN 5; nil: none, as in the micro search).
  public var temperature: Double?
  /// c in c · tanh(logits) for input picks (micro 1.10, RNN 2.5); 0 turns the tanh off.
  public var tanhConstant: Double
  /// Op picks use tanhConstant / opTanhReduce (micro 2.5, RNN 1).
  public var opTanhReduce: Double
  /// The initial logit bias of ops that have weights (micro 10: the convolutions; 0 elsewhere).
  public var opBias: Double
  /// A constant added to the first cell type's op logits: +c for ops with weights, −c for the rest
  /// (micro 0.25 on the normal cell).
  public var firstCellBias: Double
  /// ENAS RNN: input logits get −(ℓ − j)²/6 and the chosen anchor is fed as h_j / (0.1 + ℓ − j).
  public var distancePrior: Bool

  /// Creates settings.
  public init(
    hidden: Int, temperature: Double?, tanhConstant: Double, opTanhReduce: Double, opBias: Double,
    firstCellBias: Double, distancePrior: Bool
  ) {
    self.hidden = hidden
    self.temperature = temperature
    self.tanhConstant = tanhConstant
    self.opTanhReduce = opTanhReduce
    self.opBias = opBias
    self.firstCellBias = firstCellBias
    self.distancePrior = distancePrior
  }
}

/// One architecture drawn by the controller, with what REINFORCE needs.
public struct ControllerSample {
  /// The architecture.
  public var architecture: Architecture
  /// The decisions in the order they were made (indices into each decision's choices).
  public var decisions: [Int]
  /// log π(architecture) = Σ of the decisions' log-probabilities, linked to the controller's
  /// parameters when drawn with gradients enabled.
  public var logProbability: Tensor
  /// Each decision's log-probability.
  public var decisionLogProbabilities: [Double]
  /// The summed entropy of the decisions' distributions (a number: ENAS stops its gradient).
  public var entropy: Double
}

/// The ENAS controller (Pham et al. 2018, §11): one LSTM that walks a cell's nodes and emits, per
/// node, its input picks by attention over earlier nodes' anchors and its op picks by a softmax;
/// the second cell type continues from the first one's final state.
///
/// ```
/// for each cell input: h = LSTM(g_emb); anchor = 0; key = W1·h
/// for each node: for each pick: h = LSTM(x); logits_j = vᵀ tanh(key_j + W2·h)   (j: earlier nodes)
///                               x = anchor of the chosen j
///                for each pick: h = LSTM(x); logits = W_soft·h + b; x = w_emb[chosen op]
///                h = LSTM(x); anchor = h; key = W1·h; x = g_emb
/// logits ← c · tanh(logits / T); op logits use c / op_tanh_reduce (+ the first cell's constant bias)
/// ```
public final class ArchitectureController: Module {
  /// What it samples.
  public let program: ControllerProgram
  /// How logits are shaped.
  public let settings: ControllerSettings
  let lstm: LSTMCell
  let start: Parameter  // g_emb [1, H]
  let opEmbedding: Parameter  // w_emb [ops, H]
  let opWeight: Parameter  // W_soft [ops, H]
  let opBiasParameter: Parameter  // b_soft [ops]
  let keyWeight: Parameter  // W1 [H, H]
  let queryWeight: Parameter  // W2 [H, H]
  let attention: Parameter  // v [1, H]

  /// A controller for `program`, every weight drawn U(−0.1, 0.1) (ENAS' initialiser); the op bias
  /// starts at `settings.opBias` for ops with weights and 0 for the others.
  public init(_ program: ControllerProgram, settings: ControllerSettings, rng: inout RNG) {
    self.program = program
    self.settings = settings
    let h = settings.hidden, u = program.ops.count
    func draw(_ shape: [Int]) -> Tensor { .uniform(shape, low: -0.1, high: 0.1, rng: &rng) }
    lstm = LSTMCell(h, h, rng: &rng)
    for p in [lstm.weightIH, lstm.weightHH, lstm.biasIH, lstm.biasHH] { p.value = draw(p.shape) }
    start = Parameter(draw([1, h]))
    opEmbedding = Parameter(draw([u, h]))
    opWeight = Parameter(draw([u, h]))
    opBiasParameter = Parameter(Tensor(program.opHasWeights.map { Float($0 ? settings.opBias : 0) }))
    keyWeight = Parameter(draw([h, h]))
    queryWeight = Parameter(draw([h, h]))
    attention = Parameter(draw([1, h]))
    super.init()
    register("lstm", lstm)
    register("g_emb", start)
    register("w_emb", opEmbedding)
    register("w_soft", opWeight)
    register("b_soft", opBiasParameter)
    register("w_attn_1", keyWeight)
    register("w_attn_2", queryWeight)
    register("v_attn", attention)
  }

  /// Draws an architecture with `rng`, or with `forced` replays those decisions (the same order
  /// `ControllerSample.decisions` lists them) and scores them. Gradients flow into the controller
  /// unless called under `withNoGrad`.
  public func sample(rng: inout RNG, forced: [Int]? = nil) -> ControllerSample {
    let hidden = settings.hidden
    var h = Tensor.zeros([1, hidden]), c = Tensor.zeros([1, hidden])
    var logps = [Tensor](), values = [Double](), decisions = [Int]()
    var entropy = 0.0
    var picks = [String: Architecture.Value]()
    func step(_ x: Tensor) {
      (h, c) = lstm(x, state: h, c)
    }
    func choose(_ logits: Tensor) -> Int {
      let logp = logits.logSoftmax()
      let lp = logp.scalars.map(Double.init)
      let chosen: Int
      if let forced, decisions.count < forced.count {
        chosen = min(max(forced[decisions.count], 0), lp.count - 1)
      } else {
        var u = rng.nextDouble(), pick = lp.count - 1
        for (i, l) in lp.enumerated() {
          u -= Foundation.exp(l)
          if u < 0 {
            pick = i
            break
          }
        }
        chosen = pick
      }
      entropy -= lp.reduce(0) { $0 + Foundation.exp($1) * $1 }
      logps.append(logp.slice(axis: 1, start: chosen, end: chosen + 1))
      values.append(lp[chosen])
      decisions.append(chosen)
      return chosen
    }
    func opLogits(_ candidates: [Int], firstCell: Bool) -> Tensor {
      let all = linear(h, weight: opWeight.value, bias: opBiasParameter.value)
      var shaped = concat(candidates.map { all.slice(axis: 1, start: $0, end: $0 + 1) }, axis: 1)
      if let t = settings.temperature, t > 0 { shaped = shaped * Float(1 / t) }
      let constant = settings.tanhConstant / max(settings.opTanhReduce, 1e-12)
      if settings.tanhConstant > 0 { shaped = shaped.tanh() * Float(constant) }
      if firstCell, settings.firstCellBias != 0 {
        let bias = candidates.map { Float(program.opHasWeights[$0] ? settings.firstCellBias : -settings.firstCellBias) }
        shaped = shaped + Tensor(shape: [1, candidates.count], scalars: bias)
      }
      return shaped
    }
    for (cellIndex, cell) in program.cells.enumerated() {
      let size = cell.inputs + cell.nodes.count
      var anchors = [Tensor?](repeating: nil, count: size + 1)
      var keys = [Tensor?](repeating: nil, count: size + 1)
      var x = start.value
      for i in 0..<cell.inputs {
        step(x)
        anchors[i] = .zeros([1, hidden])
        keys[i] = linear(h, weight: keyWeight.value)
      }
      for node in cell.nodes {
        var pool = node.inputs
        var inputs = [Int]()
        for _ in 0..<node.k {
          guard pool.count > 1 else {
            inputs.append(pool[0])
            if node.distinct { pool.removeAll() }
            continue
          }
          step(x)
          let query = linear(h, weight: queryWeight.value)
          let rows = concat(pool.map { keys[$0]! }, axis: 0)
          let ones = Tensor(repeating: 1, shape: [pool.count, 1])
          let scores = matmul((rows + matmul(ones, query)).tanh(), attention.value.transposed())
          var logits = scores.reshaped([1, pool.count])
          if let t = settings.temperature, t > 0 { logits = logits * Float(1 / t) }
          if settings.tanhConstant > 0 { logits = logits.tanh() * Float(settings.tanhConstant) }
          if settings.distancePrior {
            let prior = pool.map { Float(-Double((node.index - $0) * (node.index - $0)) / 6) }
            logits = logits + Tensor(shape: [1, pool.count], scalars: prior)
          }
          let j = choose(logits)
          let source = pool[j]
          inputs.append(source)
          let anchor = anchors[source]!
          x = settings.distancePrior ? anchor * Float(1 / (0.1 + Double(node.index - source))) : anchor
          if node.distinct { pool.remove(at: j) }
        }
        var pairs = [DerivedInput]()
        for input in inputs {
          step(x)
          let o = choose(opLogits(node.ops, firstCell: cellIndex == 0))
          pairs.append(DerivedInput(op: program.ops[node.ops[o]], input: input))
          x = embedding([node.ops[o]], table: opEmbedding.value)
        }
        if let key = node.unitKey { picks[key] = .pairs(Architecture.canonical(pairs)) }
        for edge in node.edgeOps {
          step(x)
          let o = choose(opLogits(edge.ops, firstCell: cellIndex == 0))
          picks[edge.key] = .op(program.ops[edge.ops[o]])
          x = embedding([edge.ops[o]], table: opEmbedding.value)
        }
        step(x)
        anchors[node.index] = h
        keys[node.index] = linear(h, weight: keyWeight.value)
        x = start.value
      }
    }
    let total = logps.count == 1 ? logps[0] : sum(logps)
    return ControllerSample(
      architecture: Architecture(decisions: picks), decisions: decisions, logProbability: total.reshaped([1]),
      decisionLogProbabilities: values, entropy: entropy)
  }
}
