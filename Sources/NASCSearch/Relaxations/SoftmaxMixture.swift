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

  /// Creates the relaxation.
  public init(layout: ChoiceLayout, edgeNormalization: Bool) {
    self.layout = layout
    self.edgeNormalization = edgeNormalization
  }

  /// Softmax weights for every op choice (and β weights for inputs choices).
  public func plan(_ arch: ArchitectureParameters, epoch: Int, rng: inout RNG) -> ForwardPlan {
    var plan = ForwardPlan()
    for id in layout.opChoices {
      guard let alpha = arch[id], let active = layout.nonZero[id] else { continue }
      plan.ops[id] = .mixture(active: active, weights: alpha.value.softmax().gathered(active))
    }
    if edgeNormalization {
      for id in layout.inputChoices {
        if let beta = arch[id] { plan.inputs[id] = beta.value.softmax() }
      }
    }
    return plan
  }
}
