import NASCTensor

/// DARTS' continuous relaxation: every edge outputs `Σ_k softmax(α)_k · o_k(x)` (METHODS.md §1.2).
/// The `none` op contributes zeros, so it is never executed, but its α still takes part in the
/// softmax. With `edgeNormalization` (PC-DARTS, §3.2) each node also weights its incoming edges by
/// `softmax(β)` over the node's edges.
public struct SoftmaxMixture: Relaxation {
  /// The space's choice layout.
  public let layout: ChoiceLayout
  /// Whether inputs choice points carry β edge weights.
  public let edgeNormalization: Bool
  /// Per op choice, the candidates still in the mixture (P-DARTS' switches): the softmax runs over
  /// these only. A choice without an entry mixes all its candidates.
  public let alive: [String: [Int]]
  /// The dropout after identity candidates at each epoch (P-DARTS), or nil.
  public let skipDropout: (@Sendable (Int) -> Float)?

  /// Creates the relaxation.
  public init(
    layout: ChoiceLayout, edgeNormalization: Bool, alive: [String: [Int]] = [:],
    skipDropout: (@Sendable (Int) -> Float)? = nil
  ) {
    self.layout = layout
    self.edgeNormalization = edgeNormalization
    self.alive = alive
    self.skipDropout = skipDropout
  }

  /// Softmax weights for every op choice (and β weights for inputs choices).
  public func plan(_ arch: ArchitectureParameters, epoch: Int, rng: inout RNG) -> ForwardPlan {
    var plan = ForwardPlan()
    for id in layout.opChoices {
      guard let alpha = arch[id], let active = layout.nonZero[id] else { continue }
      if let live = alive[id] {
        // softmax over the live candidates; the none op among them takes weight but never runs.
        let weights = alpha.value.gathered(live).softmax()
        let running = live.indices.filter { active.contains(live[$0]) }
        if running.isEmpty, let zero = live.first {
          plan.ops[id] = .single(index: zero, weight: nil)  // only none is left: the edge outputs zeros
        } else {
          plan.ops[id] = .mixture(active: running.map { live[$0] }, weights: weights.gathered(running))
        }
      } else {
        plan.ops[id] = .mixture(active: active, weights: alpha.value.softmax().gathered(active))
      }
    }
    plan.skipDropout = skipDropout?(epoch) ?? 0
    if edgeNormalization {
      for id in layout.inputChoices {
        if let beta = arch[id] { plan.inputs[id] = beta.value.softmax() }
      }
    }
    return plan
  }
}
