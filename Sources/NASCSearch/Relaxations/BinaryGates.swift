import Foundation
import NASCTensor

/// ProxylessNAS' binary gates (METHODS.md §6.2). A weight step runs one op per layer, drawn from
/// p = softmax(α) (uniformly during the warm-up). An architecture step binarises the gates: in
/// mode `two` it draws two ops without replacement from p, q = softmax(α) over that pair, and the
/// active op from q. In modes `full` and `full_v2` the candidates are all non-zero ops and q = p.
/// The gates g = one_hot(active) run as weights of a mixture whose gradient is the soft q's
/// (g = q + sg(one_hot − q)), so ∂L/∂α_i = Σ_j ∂L/∂g_j · q_j (δ_ij − q_i) with
/// ∂L/∂g_j = Σ out_j ⊙ ∂L/∂y. A layer whose active op is Zero gets no α gradient in that step.
public final class BinaryGates: Relaxation {
  /// Which forward pass the next plan is for.
  public enum Pass: Sendable {
    /// Warm-up: one op per layer, uniformly.
    case uniform
    /// Joint weight step: one op per layer drawn from p.
    case sampled
    /// Architecture step: binarised gates over a pair (or all ops).
    case gates
  }

  /// The space's choice layout.
  public let layout: ChoiceLayout
  /// Whether the architecture step samples two ops (`two`) or gates every op (`full`, `full_v2`).
  public let twoPath: Bool
  /// The pass the next `plan` is for (set by the method before each step).
  public var pass: Pass = .sampled
  /// Per layer of the last gated pass: the candidate indices gated and their soft weights q (with
  /// gradient); absent for a layer whose active op was Zero. The latency loss and the rescale read it.
  public private(set) var lastGates: [String: (candidates: [Int], q: Tensor)] = [:]

  /// Binary gates over `layout`.
  public init(layout: ChoiceLayout, twoPath: Bool) {
    self.layout = layout
    self.twoPath = twoPath
  }

  /// A draw from the distribution `p` (probabilities that sum to 1).
  static func draw(_ p: [Float], rng: inout RNG) -> Int {
    let u = rng.nextFloat()
    var acc: Float = 0
    for (i, x) in p.enumerated() {
      acc += x
      if u < acc { return i }
    }
    return p.count - 1
  }

  /// The plan of the pass `pass`.
  public func plan(_ arch: ArchitectureParameters, epoch: Int, rng: inout RNG) -> ForwardPlan {
    var plan = ForwardPlan()
    if pass == .gates { lastGates = [:] }
    for id in layout.opChoices {
      guard let alpha = arch[id] else { continue }
      let n = alpha.value.count
      let p = alpha.value.detached().softmax().scalars
      switch pass {
      case .uniform: plan.ops[id] = .single(index: rng.nextInt(below: n), weight: nil)
      case .sampled: plan.ops[id] = .single(index: Self.draw(p, rng: &rng), weight: nil)
      case .gates:
        var candidates: [Int]
        if twoPath {
          let first = Self.draw(p, rng: &rng)
          var rest = p
          rest[first] = 0
          let total = rest.reduce(0, +)
          candidates = n < 2 || total <= 0 ? [first] : [first, Self.draw(rest.map { $0 / total }, rng: &rng)]
        } else {
          candidates = layout.nonZero[id] ?? Array(0..<n)
        }
        let q = alpha.value.gathered(candidates).softmax()
        let active = candidates[Self.draw(q.scalars, rng: &rng)]
        let zero = !(layout.nonZero[id] ?? Array(0..<n)).contains(active)
        if zero || candidates.count == 1 {
          plan.ops[id] = .single(index: active, weight: nil)
          continue
        }
        plan.ops[id] = .mixture(active: candidates, weights: Self.gates(q, active: candidates.firstIndex(of: active)!))
        lastGates[id] = (candidates, q)
      }
    }
    return plan
  }

  /// The binary gates one_hot(active) with the gradient of the soft weights `q`.
  public static func gates(_ q: Tensor, active: Int) -> Tensor {
    var hot = [Float](repeating: 0, count: q.count)
    hot[active] = 1
    return q + (Tensor(hot) - q.detached())
  }

  /// ProxylessNAS' rescale after an Adam step on a gated pair: α_k −= log(Σ_pair exp(α_new) /
  /// Σ_pair exp(α_old)) for k in the pair, so the pair's total probability mass is unchanged and only
  /// its split moves.
  public static func rescale(_ alpha: [Float], old: [Float], pair: [Int]) -> [Float] {
    let newMass = pair.reduce(0.0) { $0 + exp(Double(alpha[$1])) }
    let oldMass = pair.reduce(0.0) { $0 + exp(Double(old[$1])) }
    let shift = Float(log(newMass / oldMass))
    var out = alpha
    for k in pair { out[k] -= shift }
    return out
  }
}
