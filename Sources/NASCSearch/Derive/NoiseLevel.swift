import Dispatch
import Synchronization
import NASCSpace
import NASCTensor

/// The noise level of a derivation's margins: the margins the run's own architecture optimizer
/// reaches when every architecture gradient is pure noise.
///
/// Adam normalises each gradient by its running RMS, so without a consistent direction α random-
/// walks by about `lr · √T` per logit after T steps whatever the gradient's scale; a real
/// preference moves it by up to `lr · T`. The null replays the run exactly — the same α shapes and
/// initialisation scale, the same Adam (rate, betas, ε) and the same number of steps, with i.i.d.
/// N(0, 1) gradients and no weight decay (which would only pull α back, so the null is the wider
/// one) — derives with the run's rule and takes, per decision, the `quantile` of the null margins
/// (pooled over the decisions of a node: every op decision of `normal.node3` shares one level):
/// a margin above it is one that noise in the architecture gradient alone reaches less than one
/// time in twenty. What it does not cover is the run-to-run spread from the weights' own random
/// initialisation and data order; `nasc compare` measures that across search seeds.
public struct NullModel: Codable, Equatable, Sendable {
  /// Architecture steps.
  public var steps: Int
  /// Adam's learning rate.
  public var learningRate: Double
  /// Adam's β₁.
  public var beta1: Double
  /// Adam's β₂.
  public var beta2: Double
  /// The α initialisation scale (`alpha_init · N(0, 1)`).
  public var alphaInit: Double
  /// The quantile of the null margins that a confident margin exceeds.
  public var quantile: Double = 0.95

  /// Creates a null model.
  public init(steps: Int, learningRate: Double, beta1: Double, beta2: Double, alphaInit: Double) {
    self.steps = steps
    self.learningRate = learningRate
    self.beta1 = beta1
    self.beta2 = beta2
    self.alphaInit = alphaInit
  }

  /// How many null runs: up to 1,000 (the 95% quantile's own spread then stays within a few
  /// per cent), fewer for long runs of large spaces (at least 40), so the simulation stays near
  /// 10⁸ Adam updates (about a second on two cores).
  public func simulations(parameters: Int) -> Int {
    let work = max(1, steps).multipliedReportingOverflow(by: max(1, parameters))
    return work.overflow ? 40 : max(40, min(1000, 100_000_000 / work.partialValue))
  }

  /// Per decision key (`DecisionMargin.key`), the `quantile` of the margins that deriving with
  /// `rule` from null logits of `shapes` gives. Deterministic in `seed`.
  public func thresholds(
    ir: SpaceIR, shapes: [String: Int], edgeNormalization: Bool, rule: DeriveRule, alive: [String: [Int]],
    seed: UInt64
  ) -> [String: Double] {
    let ids = shapes.keys.sorted()
    let n = simulations(parameters: shapes.values.reduce(0, +))
    let runs = Mutex(Array(repeating: [DecisionMargin](), count: n))
    // One independent stream per null run (SplitMix seeds a golden step apart would be one
    // stream shifted by a draw).
    var root = RNG(seed: seed ^ 0x4E55_4C4C_4D4F_4445)
    let streams = (0..<n).map { _ in root.split() }
    DispatchQueue.concurrentPerform(iterations: n) { s in
      var rng = streams[s]
      var logits = [String: Tensor]()
      for id in ids { logits[id] = Tensor(walk(count: shapes[id]!, rng: &rng).map(Float.init)) }
      let margins: [DecisionMargin]
      if let a = try? Derivation.derive(
        ir: ir, logits: logits, edgeNormalization: edgeNormalization, rule: rule, alive: alive)
      {
        margins = DecisionMargins.of(
          a, ir: ir, logits: logits, edgeNormalization: edgeNormalization, rule: rule, alive: alive)
      } else {
        margins = []
      }
      runs.withLock { $0[s] = margins }
    }
    var pooled = [String: [Double]]()
    for run in runs.withLock({ $0 }) { for m in run { pooled[m.key, default: []].append(m.margin) } }
    return pooled.mapValues { v in
      let sorted = v.sorted()
      return sorted[min(sorted.count - 1, Int((quantile * Double(sorted.count)).rounded(.up)) - 1)]
    }
  }

  /// One null trajectory of `count` logits: initialised at `alphaInit · N(0, 1)`, then `steps`
  /// Adam updates with N(0, 1) gradients.
  func walk(count: Int, rng: inout RNG) -> [Double] {
    var p = (0..<count).map { _ in alphaInit * Double(rng.nextNormal()) }
    var m = [Double](repeating: 0, count: count), v = m
    var b1t = 1.0, b2t = 1.0
    for _ in 0..<steps {
      b1t *= beta1
      b2t *= beta2
      let stepSize = learningRate / (1 - b1t), bc2 = (1 - b2t).squareRoot()
      for j in 0..<count {
        let g = Double(rng.nextNormal())
        m[j] = beta1 * m[j] + (1 - beta1) * g
        v[j] = beta2 * v[j] + (1 - beta2) * g * g
        p[j] -= stepSize * m[j] / (v[j].squareRoot() / bc2 + 1e-8)
      }
    }
    return p
  }
}
