import Foundation

/// When a bilevel supernet recomputes its mixed edges in backward instead of keeping their
/// candidates' activations (the same values and gradients; less memory for one more forward pass
/// of those edges).
public enum RecomputePolicy: Sendable, Equatable {
  /// Every edge whose input has at least `MixedEdgeModule.defaultRecomputeFrom` elements (the cell
  /// methods, where every candidate of every edge runs each step and memory dominates).
  case always
  /// Only when keeping every edge's activations at the batch size would take more than `bytes`;
  /// then the edges with the largest inputs first, until what stays kept fits. The layer-wise
  /// methods: their supernets are a few layers deep, rerunning a mixture costs up to 40 % more
  /// time, and at the benchmark sizes everything fits.
  case overBudget(bytes: Int)
  /// As `overBudget`, for supernets that run one sampled candidate per edge (GDAS): an edge keeps
  /// only the activations of its largest candidate, so far more fits, and recomputing, which
  /// costs a whole extra forward pass of every recomputed edge, is rarely worth it.
  case sampledOverBudget(bytes: Int)

  /// The GDAS budget: 256 MiB of kept activations, or `NASC_ACTIVATION_BUDGET_MB`.
  public static var sampled: RecomputePolicy {
    let mb = ProcessInfo.processInfo.environment["NASC_ACTIVATION_BUDGET_MB"].flatMap(Int.init) ?? 256
    return .sampledOverBudget(bytes: max(0, mb) << 20)
  }

  /// Whether the footprints to decide on are those of one candidate per edge.
  public var singlePath: Bool { if case .sampledOverBudget = self { true } else { false } }

  /// The layer-wise methods' budget: 2 GiB of kept activations, or `NASC_ACTIVATION_BUDGET_MB`.
  public static var layerwise: RecomputePolicy {
    let mb = ProcessInfo.processInfo.environment["NASC_ACTIVATION_BUDGET_MB"].flatMap(Int.init) ?? 2048
    return .overBudget(bytes: max(0, mb) << 20)
  }

  /// Whether to recompute and from which input size (in elements, batch included), for mixed edges
  /// with these per-sample footprints (input elements, elements their candidates produce) at
  /// `batch`.
  public func decide(_ edges: [(input: Int, kept: Int)], batch: Int) -> (on: Bool, from: Int) {
    switch self {
    case .always:
      return (true, MixedEdgeModule.defaultRecomputeFrom)
    case .overBudget(let budget), .sampledOverBudget(let budget):
      let bytes = { (e: (input: Int, kept: Int)) in e.kept * batch * MemoryLayout<Float>.size }
      var kept = edges.reduce(0) { $0 + bytes($1) }
      guard kept > budget else { return (false, 0) }
      // Recompute the largest inputs first; edges of one input size go together (one threshold).
      for size in Set(edges.map(\.input)).sorted(by: >) {
        kept -= edges.filter { $0.input == size }.reduce(0) { $0 + bytes($1) }
        if kept <= budget { return (true, size * batch) }
      }
      return (true, 0)
    }
  }
}
