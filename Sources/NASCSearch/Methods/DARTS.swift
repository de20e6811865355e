import Foundation
import NASCSpace

/// DARTS (Liu, Simonyan & Yang, ICLR 2019; METHODS.md §1).
///
/// ```
/// relax every edge to  ō(x) = Σ_o softmax(α)_o · o(x)
/// for each epoch, for each (train, val) minibatch pair:
///   1. update α by  ∇_α L_val(w − ξ ∇_w L_train(w, α), α)     (ξ = 0: first order)
///   2. update w by  ∇_w L_train(w, α)
/// derive: per node the top-2 incoming edges by their best op other than none
/// ```
public final class DARTS: SupernetMethod {
  /// The registry name.
  public static let name = "darts"
  let ir: SpaceIR
  let net: BilevelSupernet
  /// Where this run departs from the paper's values.
  public let notes: [String]
  let secondOrder: Bool

  /// Builds the supernet with a softmax mixture on every edge.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    ir = c.ir
    secondOrder = try h.string("order") == "second"
    var settings = try BilevelSettings(h, nesterov: false)
    let data = try c.requireData(Self.name)
    let budget = try ArchStepBudget(h, method: Self.name, settings: &settings, archEpochs: settings.epochs, data: data)
    notes = BilevelSupernet.notes(settings, data: data) + [budget.note]
    net = try BilevelSupernet(
      ir: c.ir, settings: settings, data: data,
      augmentation: c.augmentation, seed: c.run.seed, threads: c.run.threads, edgeNormalization: false
    ) { SoftmaxMixture(layout: $0, edgeNormalization: false) }
    net.archBudget = budget
  }

  /// One phase: `epochs` epochs.
  public var phases: [Phase] { [Phase("search", units: net.settings.epochs, stepsPerUnit: net.stepsPerEpoch)] }
  /// Weights and α.
  public var parameterSets: [ParameterSet] { net.parameterSets }

  /// Step 1 (α on a validation batch), then step 2 (w on a training batch).
  public func step(at p: LoopPosition) throws {
    net.setLearningRate(epoch: p.unit)
    let (train, val) = net.nextBatches()
    try net.archStep(val, train: train, epoch: p.unit, secondOrder: secondOrder)
    try net.weightStep(train, epoch: p.unit)
  }

  /// Losses, accuracies and α statistics of the epoch.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    let m = try net.finishEpoch(epoch: p.unit, archSteps: true)
    return (m, BilevelSupernet.summary(m))
  }

  /// The space's rule (top-k edges) applied to softmax(α).
  public func result() throws -> SearchResult {
    let a = try Derivation.derive(ir: ir, logits: net.arch.tensors(), edgeNormalization: false, rule: ir.derive)
    return SearchResult(architecture: a)
  }

  /// The supernet (for benchmarks and tests).
  public var supernet: BilevelSupernet { net }
}
