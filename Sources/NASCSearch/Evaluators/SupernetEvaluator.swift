import Foundation
import NASCData
import NASCSpace
import NASCTensor

/// Scores an architecture with the weights it inherits from a trained supernet (random search with
/// weight sharing, SPOS, FairNAS): the supernet runs only the architecture's ops, its BN running
/// statistics are recalibrated on training batches first (SPOS' BN recalibration), and the signal is
/// the accuracy on held-out images. The supernet's own state is left as it was.
public final class SupernetEvaluator: Evaluator {
  /// The space's decisions.
  public let space: ArchSpace
  let ir: SpaceIR
  let model: SupernetModel
  let calibration: ImageDataset
  let validation: ImageDataset
  let calibrationBatches: Int
  let batchSize: Int
  let seed: UInt64
  let planner: ArchitecturePlan
  /// Queries answered so far.
  public private(set) var queries = 0

  /// Scores with `model`'s weights; BN statistics from `calibrationBatches` batches of
  /// `calibration`, accuracy on `validation`.
  public init(
    ir: SpaceIR, model: SupernetModel, calibration: ImageDataset, validation: ImageDataset,
    calibrationBatches: Int = 20, batchSize: Int = 64, seed: UInt64 = 1
  ) {
    self.ir = ir
    planner = ArchitecturePlan(ir: ir)
    space = ArchSpace(ir: ir)
    self.model = model
    self.calibration = calibration
    self.validation = validation
    self.calibrationBatches = calibrationBatches
    self.batchSize = batchSize
    self.seed = seed
  }

  /// `E315` unless `batches` calibration batches of `batchSize` fit in `images` training images
  /// (recalibration draws each image at most once).
  public static func checkCalibration(batches: Int, batchSize: Int, images: Int) throws {
    guard batches >= 0 else {
      throw RunError(
        "E315", "bn_recalibration_batches must be 0 or more, not \(batches)", help: "0 keeps the supernet's statistics")
    }
    guard batches == 0 || (2...max(2, images)).contains(batchSize) else {
      throw RunError(
        "E315",
        "bn_batch_size \(batchSize) must lie between 2 and the \(images) images of the supernet's training split",
        help: "set bn_batch_size=\(max(2, min(64, images))) (--set bn_batch_size=N)")
    }
    guard batches * batchSize <= images else {
      throw RunError(
        "E315",
        "BN recalibration asks for \(batches) batches of \(batchSize) images, but the supernet's training split has \(images)",
        help: "lower bn_recalibration_batches to at most \(images / batchSize) (--set bn_recalibration_batches=N)")
    }
  }

  /// What it does.
  public var description: String {
    (calibrationBatches == 0
      ? "inherited supernet weights and BN statistics"
      : "inherited supernet weights: BN recalibrated on \(calibrationBatches) batches")
      + ", accuracy on \(validation.count) held-out images"
  }

  /// The figures' names.
  public var columns: (signal: String, reported: String) { ("supernet_val_acc", "supernet_val_acc") }

  /// The forward plan that runs exactly `a`'s ops (see `ArchitecturePlan`).
  public func plan(_ a: Architecture) -> ForwardPlan { planner.plan(a) }

  /// Recalibrates BN for `a` (unless `calibrationBatches` is 0), measures its accuracy, and
  /// restores the supernet's statistics.
  public func score(_ a: Architecture) throws -> Score {
    queries += 1
    let p = plan(a)
    let stats = model.namedStats().map(\.stats)
    let saved = stats.map { ($0.mean, $0.variance, $0.batchesTracked) }
    defer { for (s, v) in zip(stats, saved) { (s.mean, s.variance, s.batchesTracked) = v } }
    if calibrationBatches > 0 { recalibrate(p, seed: seed ^ StandaloneTrainingEvaluator.fingerprint(space.text(a))) }
    let (_, accuracy) = evaluateClassifier(model, on: validation) { (p, RNG(seed: 0)) }
    return Score(signal: 100 * accuracy, reported: nil)
  }

  /// SPOS' BN recalibration: every running statistic reset (mean 0, variance 1), then
  /// `calibrationBatches` training batches run through `plan` in train mode without gradients,
  /// with the statistics an equal-weight average over those batches (PyTorch `momentum=None`):
  /// running mean = mean of the batch means, running variance = mean of the unbiased batch
  /// variances. Batches are drawn without replacement from `calibration`.
  func recalibrate(_ plan: ForwardPlan, seed: UInt64) {
    let norms = model.modules().compactMap { $0 as? BatchNorm2d }
    for bn in norms {
      bn.stats.mean = .zeros(bn.stats.mean.shape)
      bn.stats.variance = .ones(bn.stats.variance.shape)
      bn.stats.batchesTracked = 0
      bn.cumulativeAverage = true
    }
    defer { for bn in norms { bn.cumulativeAverage = false } }
    var sampler = BatchSampler(dataset: calibration, batchSize: batchSize, rng: RNG(seed: seed))
    model.train()
    withNoGrad {
      for _ in 0..<calibrationBatches {
        let b = sampler.next()
        let x = Tensor(
          shape: [b.count, calibration.channels, calibration.height, calibration.width], scalars: b.pixels)
        var ctx = ForwardContext(rng: RNG(seed: 0))
        _ = model(x, plan: plan, context: &ctx)
      }
    }
  }
}
