import Foundation
import NASCSpace

/// DARTS on a recurrent cell (Liu, Simonyan & Yang, ICLR 2019, §2.3 and §3.2; METHODS.md §1.7):
/// `--method darts` on a token space.
///
/// ```
/// relax every edge of the cell to  ō(s) = Σ_o softmax(α)_o · o(s)   (none contributes nothing)
/// for each epoch, for each window k of the training streams (bptt steps, state carried):
///   1. update α by ∇_α L_valid(w, α) on the next window of the validation streams
///   2. update w by ∇_w [L_train(w, α) + β · mean((h_t − h_{t−1})²)], gradient clipped
///   (both steps with variational dropout, `rnn_dropouts`; β is `tar`)
/// derive: per node the single predecessor with the best op other than none, and that op
/// ```
///
/// Node 0 and every node pass through one shared batch norm without affine parameters, as in the
/// paper's search cell. With `order: second`, step 1 uses the unrolled estimate
/// ∇_α L_valid(w − η∇_w L_train(w, α), α) with the finite-difference Hessian-vector product, the
/// weight gradients clipped as DARTS' recurrent architect clips them. The paper also draws the
/// window length, which this version does not (every window has `input.sequence` steps).
public final class DARTSRecurrent: SearchMethod {
  /// The registry name: `darts`, for token spaces.
  public static let name = "darts"
  /// It searches token-sequence spaces.
  public static var readsTokens: Bool { true }
  /// Architecture steps of the paper's search: 50 epochs × ⌈929,589 / 256 / 35⌉ windows of PTB.
  public static let paperArchSteps = 50 * 104
  let ir: SpaceIR
  let net: BilevelLanguageModel
  /// Whether α steps use the unrolled second-order estimate.
  let secondOrder: Bool
  /// Where this run departs from the paper's values.
  public let notes: [String]

  /// Builds the recurrent supernet with a softmax mixture on every edge.
  public init(_ c: MethodContext) throws {
    let h = Hyperparameters(c.config)
    ir = c.ir
    let order = try h.string("order")
    guard order == "first" || order == "second" else {
      throw RunError("E310", "order must be first or second, not '\(order)'", help: "DARTS' RNN search uses second")
    }
    secondOrder = order == "second"
    let corpus = try c.requireCorpus(Self.name)
    let settings = try BilevelSettings(h, nesterov: false)
    let d = try h.list("rnn_dropouts", count: 5)
    let dropout = LanguageModelDropout(output: d[0], hidden: d[1], x: d[2], input: d[3], embedding: d[4])
    let tar = try h.double("tar")
    if let p = dropout.problem ?? (tar.isFinite && tar >= 0 ? nil : "tar \(tar) (not negative)") {
      throw RunError(
        "E310", "rnn_dropouts or tar is impossible: \(p)",
        help: "DARTS uses rnn_dropouts=[0.75, 0.25, 0.75, 0.2, 0] and tar=1e-3")
    }
    net = try BilevelLanguageModel(
      ir: c.ir, settings: settings, corpus: corpus, dropout: dropout, temporalPenalty: tar,
      seed: c.run.seed, threads: c.run.threads
    ) { SoftmaxMixture(layout: $0, edgeNormalization: false) }
    notes = [
      "train_portion is not used: α trains on the corpus's validation split, as in DARTS' RNN search",
      "\(CompileReport.grouped(settings.epochs * net.stepsPerEpoch)) architecture steps against the paper's "
        + "\(CompileReport.grouped(Self.paperArchSteps)): arch_lr \(settings.archLR) as given",
    ]
  }

  /// One phase: `epochs` epochs of one step per training window.
  public var phases: [Phase] { [Phase("search", units: net.settings.epochs, stepsPerUnit: net.stepsPerEpoch)] }
  /// Weights and α.
  public var parameterSets: [ParameterSet] { net.parameterSets }
  /// The running training perplexity.
  public var progressDetail: String { String(format: "ppl %.1f", Foundation.exp(net.runningTrainLoss)) }

  /// Step 1 (α on a validation window; second order: unrolled through training window `p.step`),
  /// then step 2 (w on training window `p.step`).
  public func step(at p: LoopPosition) throws {
    net.setLearningRate(epoch: p.unit)
    try net.archStep(epoch: p.unit, secondOrder: secondOrder ? p.step : nil)
    try net.weightStep(window: p.step, epoch: p.unit)
  }

  /// Perplexities and α statistics of the epoch.
  public func endUnit(at p: LoopPosition) throws -> (metrics: Metrics, summary: String) {
    let m = try net.finishEpoch(epoch: p.unit)
    return (m, BilevelLanguageModel.summary(m))
  }

  /// The carried states, positions and plan generator.
  public func saveState() throws -> Data { try MethodState.encode(net.state) }

  /// Restores them.
  public func restoreState(_ data: Data) throws {
    let s = try MethodState.decode(BilevelLanguageModel.State.self, from: data, method: Self.name)
    try net.check(s)
    net.state = s
  }

  /// The space's rule (top-1 edge per node) applied to softmax(α).
  public func result() throws -> SearchResult {
    let a = try Derivation.derive(ir: ir, logits: net.arch.tensors(), edgeNormalization: false, rule: ir.derive)
    return SearchResult(architecture: a)
  }

  /// The recurrent supernet (for tests).
  public var supernet: BilevelLanguageModel { net }
}
