import Foundation
import NASCSpace

/// PC-DARTS (Xu et al., ICLR 2020; METHODS.md §3).
///
/// ```
/// every edge runs its mixture on C/K channels; the rest bypass; channel shuffle with K groups
/// node j = Σ_i softmax(β_j)_i · edge_{i→j}(x_i)            (edge normalisation)
/// for each epoch, for each (train, val) minibatch pair:
///   1. if epoch ≥ warm-up: update α, β by ∇ L_val(w, α, β)
///   2. update w by ∇_w L_train(w, α, β)
/// derive: per node the top-2 edges by β-weighted softmax(α), op ≠ none
/// ```
public final class PCDARTS: SupernetMethod {
  /// The registry name.
  public static let name = "pc-darts"
  let ir: SpaceIR
  let net: BilevelSupernet
  let warmup: Int
  let secondOrder = false
  /// Where this run departs from the paper's values.
  public private(set) var notes: [String] = []

  /// Builds the partial-channel supernet (K from the space's compilation) with β per node.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    ir = c.ir
    var settings = try BilevelSettings(h, nesterov: false)
    // A short run keeps architecture steps for most of its epochs: at most ⌊0.3 · epochs⌋ of warm-up.
    let paper = try h.int("warmup_epochs")
    warmup = min(paper, Int(0.3 * Double(settings.epochs)))
    if warmup < paper {
      notes.append(
        "warm-up shortened from \(paper) to \(warmup) epochs (⌊0.3 · \(settings.epochs)⌋) for a \(settings.epochs)-epoch run; --set warmup_epochs=N sets it"
      )
    }
    let data = try c.requireData(Self.name)
    let budget = try ArchStepBudget(
      h, method: Self.name, settings: &settings, archEpochs: settings.epochs - warmup, data: data)
    notes += BilevelSupernet.notes(settings, data: data) + [budget.note]
    net = try BilevelSupernet(
      ir: c.ir, settings: settings, data: data, augmentation: c.augmentation,
      seed: c.run.seed, threads: c.run.threads, edgeNormalization: true
    ) { SoftmaxMixture(layout: $0, edgeNormalization: true) }
    net.archBudget = budget
  }

  /// One phase: `epochs` epochs, the first `warmup` of them without architecture steps.
  public var phases: [Phase] { [Phase("search", units: net.settings.epochs, stepsPerUnit: net.stepsPerEpoch)] }
  /// Weights and α, β.
  public var parameterSets: [ParameterSet] { net.parameterSets }

  /// Step 1 (α, β after the warm-up), then step 2 (w).
  public func step(at p: LoopPosition) throws {
    net.setLearningRate(epoch: p.unit)
    let (train, val) = net.nextBatches()
    if p.unit >= warmup { try net.archStep(val, train: train, epoch: p.unit, secondOrder: secondOrder) }
    try net.weightStep(train, epoch: p.unit)
  }

  /// Losses, accuracies and α statistics of the epoch.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    let m = try net.finishEpoch(epoch: p.unit, archSteps: p.unit >= warmup)
    return (m, BilevelSupernet.summary(m))
  }

  /// The space's rule (top-k edges) applied to the β-weighted softmax(α).
  public func result() throws -> SearchResult {
    let a = try Derivation.derive(ir: ir, logits: net.arch.tensors(), edgeNormalization: true, rule: ir.derive)
    return SearchResult(architecture: a)
  }

  /// The supernet (for benchmarks and tests).
  public var supernet: BilevelSupernet { net }
}
