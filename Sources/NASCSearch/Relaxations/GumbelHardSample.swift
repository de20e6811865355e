import NASCTensor

/// GDAS' relaxation (METHODS.md §2.2): per edge and forward pass, one op is drawn by the Gumbel-max
/// trick from `softmax((log_softmax(α) + g) / τ)`; only that op runs, scaled by the hard one-hot
/// weight whose gradient is that of the soft sample (straight-through). On edges of nodes that keep
/// all their edges (NAS-Bench-201) the other hard weights are added too (0 in value), so every α
/// receives a gradient, as in the NAS-Bench-201 GDAS code.
public struct GumbelHardSample: Relaxation {
  /// The space's choice layout.
  public let layout: ChoiceLayout
  /// The temperature at each epoch.
  public let temperature: @Sendable (Int) -> Float

  /// Creates the relaxation.
  public init(layout: ChoiceLayout, temperature: @escaping @Sendable (Int) -> Float) {
    self.layout = layout
    self.temperature = temperature
  }

  /// One hard sample per op choice point.
  public func plan(_ arch: ArchitectureParameters, epoch: Int, rng: inout RNG) -> ForwardPlan {
    var plan = ForwardPlan()
    let tau = temperature(epoch)
    for id in layout.opChoices {
      guard let alpha = arch[id] else { continue }
      let (hard, _, index) = alpha.value.gumbelHardSample(tau: tau, rng: &rng)
      let weight = hard.slice(axis: 0, start: index, end: index + 1)
      if layout.keepAllEdges.contains(id) {
        let others = (0..<hard.count).filter { $0 != index }
        plan.ops[id] = .singleWithOthers(index: index, weight: weight, others: hard.gathered(others))
      } else {
        plan.ops[id] = .single(index: index, weight: weight)
      }
    }
    return plan
  }

  /// GDAS' linear schedule: τ_max − (τ_max − τ_min) · epoch / (E − 1), τ_max when E = 1.
  public static func linearSchedule(max: Float, min: Float, epochs: Int) -> @Sendable (Int) -> Float {
    { epoch in epochs <= 1 ? max : max - (max - min) * Float(epoch) / Float(epochs - 1) }
  }
}
