import Foundation
import NASCSpace

/// GDAS (Dong & Yang, CVPR 2019; METHODS.md §2).
///
/// ```
/// per edge and forward pass: h = one_hot(argmax(log softmax(α) + g)),  g ~ Gumbel(0, 1)
///   run only op h, scaled by h − sg(ỹ) + ỹ,  ỹ = softmax((log softmax(α) + g) / τ)   (straight-through)
/// τ decays linearly from tau_max to tau_min over the epochs
/// for each epoch, for each (train, val) minibatch pair:
///   1. update w by ∇_w L_train(w, α)   (SGD, nesterov)
///   2. update α by ∇_α L_val(w, α)
/// derive: per node the top-2 (op, input) pairs over all incoming edges, op ≠ none
/// ```
public final class GDAS: SupernetMethod {
  /// The registry name.
  public static let name = "gdas"
  let ir: SpaceIR
  let net: BilevelSupernet
  /// Where this run departs from the paper's values.
  public let notes: [String]
  let tau: @Sendable (Int) -> Float

  /// Builds the supernet with hard Gumbel samples on every edge.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    ir = c.ir
    var settings = try BilevelSettings(h, nesterov: true)
    let (tauMax, tauMin) = (try h.double("tau_max"), try h.double("tau_min"))
    // Both as the Float the sampler divides by: finite, and not so small that it rounds to 0.
    guard [tauMax, tauMin].allSatisfy({ (1e-6...1e6).contains($0) }) else {
      throw RunError(
        "E310", "the Gumbel temperatures must lie between 1e-6 and 1e6 (tau_max \(tauMax), tau_min \(tauMin))",
        help: "the paper decays τ from 10 to 0.1")
    }
    let tau = GumbelHardSample.linearSchedule(max: Float(tauMax), min: Float(tauMin), epochs: settings.epochs)
    self.tau = tau
    let data = try c.requireData(Self.name)
    let budget = try ArchStepBudget(h, method: Self.name, settings: &settings, archEpochs: settings.epochs, data: data)
    notes = BilevelSupernet.notes(settings, data: data) + [budget.note]
    net = try BilevelSupernet(
      ir: c.ir, settings: settings, data: data, augmentation: c.augmentation,
      seed: c.run.seed, threads: c.run.threads, edgeNormalization: false, recompute: .sampled
    ) { GumbelHardSample(layout: $0, temperature: tau) }
    net.archBudget = budget
  }

  /// One phase: `epochs` epochs.
  public var phases: [Phase] { [Phase("search", units: net.settings.epochs, stepsPerUnit: net.stepsPerEpoch)] }
  /// Weights and α.
  public var parameterSets: [ParameterSet] { net.parameterSets }

  /// Step 1 (w), then step 2 (α), each on its own sampled architecture.
  public func step(at p: LoopPosition) throws {
    net.setLearningRate(epoch: p.unit)
    let (train, val) = net.nextBatches()
    try net.weightStep(train, epoch: p.unit)
    try net.archStep(val, train: train, epoch: p.unit, secondOrder: false)
  }

  /// Losses, accuracies, τ and α statistics of the epoch.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    let m = try net.finishEpoch(epoch: p.unit, archSteps: true, extra: ["tau": .number(Double(tau(p.unit)))])
    return (m, BilevelSupernet.summary(m))
  }

  /// The space's rule (top-k pairs; argmax on NAS-Bench-201) applied to softmax(α).
  public func result() throws -> SearchResult {
    let a = try Derivation.derive(ir: ir, logits: net.arch.tensors(), edgeNormalization: false, rule: ir.derive)
    return SearchResult(architecture: a)
  }

  /// The supernet (for benchmarks and tests).
  public var supernet: BilevelSupernet { net }
}
