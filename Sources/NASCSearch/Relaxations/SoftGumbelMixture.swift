import Foundation
import NASCTensor

/// FBNet's relaxation (METHODS.md §7.2): per layer and forward pass, a soft Gumbel sample
/// m = softmax((θ + g) / τ), g ~ Gumbel(0, 1), weights every candidate: x' = Σ_i m_i b_i(x). Every
/// candidate runs (the `none` op weighs in the softmax but outputs zeros). The last pass's m's are
/// kept, with their gradient, for the latency loss LAT = Σ_l Σ_i m_{l,i} LAT(b_{l,i}).
public final class SoftGumbelMixture: Relaxation {
  /// The space's choice layout.
  public let layout: ChoiceLayout
  /// The temperature at each epoch.
  public let temperature: @Sendable (Int) -> Float
  /// Per op choice, the soft sample m of the last planned pass (with gradient into θ).
  public private(set) var lastWeights: [String: Tensor] = [:]

  /// Creates the relaxation.
  public init(layout: ChoiceLayout, temperature: @escaping @Sendable (Int) -> Float) {
    self.layout = layout
    self.temperature = temperature
  }

  /// One soft sample per op choice point.
  public func plan(_ arch: ArchitectureParameters, epoch: Int, rng: inout RNG) -> ForwardPlan {
    var plan = ForwardPlan()
    lastWeights = [:]
    let tau = temperature(epoch)
    for id in layout.opChoices {
      guard let theta = arch[id], let active = layout.nonZero[id] else { continue }
      let m = theta.value.gumbelSoftSample(tau: tau, rng: &rng)
      lastWeights[id] = m
      plan.ops[id] = .mixture(active: active, weights: m.gathered(active))
    }
    return plan
  }

  /// FBNet's schedule: τ_0 · decay^epoch (never below 1e-6, where 1/τ would overflow the logits).
  public static func exponentialSchedule(initial: Float, decay: Float) -> @Sendable (Int) -> Float {
    { epoch in max(initial * Float(pow(Double(decay), Double(epoch))), 1e-6) }
  }
}
