import NASCData
import Foundation
import NASCSpace

/// How a training run ended.
public struct TrainOutcome: Sendable {
  /// Test accuracy after the last epoch (image classifiers).
  public var testAccuracy: Double?
  /// Test perplexity after the last epoch (language models).
  public var testPerplexity: Double? = nil
  /// Parameters of the trained network (auxiliary head excluded).
  public var params: Int
  /// True when interrupted.
  public var interrupted: Bool
}

/// Runs `nasc train`: data, network, epochs with checkpoints and metrics, test accuracy.
public enum TrainDriver {
  /// A fingerprint of a decided network: SHA-256 of its IR dump, so cosmetic edits of the space
  /// (comments, formatting) keep it and any change of the network does not.
  public static func fingerprint(_ ir: SpaceIR) -> String { Fingerprint.sha256(Array(IRDump.dump(ir).utf8)) }

  /// The image shape and class count of the training data `settings` name (after `downsample`):
  /// what `nasc train --fit-data` builds the network for.
  public static func dataShape(of settings: TrainSettings) throws -> (input: Shape, classes: Int) {
    let source = try DataSource(parsing: settings.data)
    let data = try SearchDriver.loadData(source, limit: settings.trainLimit, downsample: settings.downsample)
    return (Shape(data.train.channels, data.train.height, data.train.width), data.train.classes)
  }

  /// Trains the fixed architecture `ir` with `settings`, writing into `out`; with `resume`, continues
  /// the run in `out` with its saved settings.
  public static func run(
    ir: SpaceIR, settings requested: TrainSettings, out: String, resume: Bool = false,
    reporter: ProgressReporter
  ) throws -> TrainOutcome {
    let dir = RunDirectory(path: out)
    let lock = try dir.prepare(resume: resume)
    defer { withExtendedLifetime(lock) {} }
    let network = fingerprint(ir)
    let settings = resume ? try TrainRun.checkpointSettings(at: URL(fileURLWithPath: dir.checkpoint)) : requested
    let source = try DataSource(parsing: settings.data)
    let data = try SearchDriver.loadData(source, limit: settings.trainLimit, downsample: settings.downsample)
    try SearchDriver.checkInput(
      data.train, fits: ir, otherwise: "--downsample, or --fit-data to build the network at the data set's shape")
    let run = try TrainRun(
      ir: ir, settings: settings, train: data.train, test: data.test,
      augmentation: SearchDriver.augmentation(for: source))
    if resume {
      try run.restore(from: URL(fileURLWithPath: dir.checkpoint), network: network)
      reporter.line("resuming \(dir.path) at epoch \(run.epoch + 1), step \(run.stepInEpoch)")
    }
    Interrupt.install()
    reporter.line(
      "train \(ir.name): \(ir.cost.params) parameters, \(settings.epochs) epochs, batch \(settings.batchSize), seed \(settings.seed), data \(settings.data)"
    )
    while !run.isFinished {
      let phase = "epoch \(run.epoch + 1)/\(settings.epochs)"
      let done = try run.runEpoch(shouldStop: { Interrupt.requested }) { s, t in
        reporter.update(phase: phase, step: s, total: t, detail: String(format: "loss %.3f", run.runningTrainLoss))
      }
      try run.saveCheckpoint(to: URL(fileURLWithPath: dir.checkpoint), network: network)
      if !done {
        reporter.line(
          "interrupted at epoch \(run.epoch + 1), step \(run.stepInEpoch): checkpoint saved; continue with --resume")
        return TrainOutcome(testAccuracy: nil, params: ir.cost.params, interrupted: true)
      }
      try MetricsFile.write(run.history, to: dir.metrics)
      if let m = run.history.last {
        reporter.line(
          String(
            format: "%@  train loss %.3f acc %.1f%%  test loss %.3f acc %.2f%%  %.1fs", phase, m.trainLoss,
            100 * m.trainAcc, m.testLoss, 100 * m.testAcc, m.seconds))
      }
    }
    return TrainOutcome(testAccuracy: run.history.last?.testAcc, params: ir.cost.params, interrupted: false)
  }
}
