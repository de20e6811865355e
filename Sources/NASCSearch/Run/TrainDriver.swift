import Foundation
import NASCSpace

/// How a training run ended.
public struct TrainOutcome: Sendable {
  /// Test accuracy after the last epoch.
  public var testAccuracy: Double?
  /// Parameters of the trained network (auxiliary head excluded).
  public var params: Int
  /// True when interrupted.
  public var interrupted: Bool
}

/// Runs `nasc train`: data, network, epochs with checkpoints and metrics, test accuracy.
public enum TrainDriver {
  /// Trains the fixed architecture `ir` with `settings`, writing into `out`.
  public static func run(ir: SpaceIR, settings: TrainSettings, out: String, reporter: ProgressReporter) throws -> TrainOutcome {
    let dir = RunDirectory(path: out)
    try dir.prepare(resume: false)
    let source = try DataSource(parsing: settings.data)
    let data = try SearchDriver.loadData(source, limit: settings.trainLimit, downsample: settings.downsample)
    try SearchDriver.checkInput(data.train, fits: ir)
    let run = try TrainRun(ir: ir, settings: settings, train: data.train, test: data.test, augmentation: SearchDriver.augmentation(for: source))
    Interrupt.install()
    reporter.line("train \(ir.name): \(ir.cost.params) parameters, \(settings.epochs) epochs, batch \(settings.batchSize), seed \(settings.seed), data \(settings.data)")
    while !run.isFinished {
      let phase = "epoch \(run.epoch + 1)/\(settings.epochs)"
      let done = try run.runEpoch(shouldStop: { Interrupt.requested }) { s, t in reporter.update(phase: phase, step: s, total: t, detail: "") }
      try run.saveCheckpoint(to: URL(fileURLWithPath: dir.checkpoint))
      if !done {
        reporter.line("interrupted at epoch \(run.epoch + 1): checkpoint saved")
        return TrainOutcome(testAccuracy: nil, params: ir.cost.params, interrupted: true)
      }
      let enc = JSONEncoder()
      enc.outputFormatting = [.sortedKeys]
      try AtomicFile.write(run.history.map { String(decoding: try enc.encode($0), as: UTF8.self) }.joined(separator: "\n") + "\n", to: dir.metrics)
      if let m = run.history.last {
        reporter.line(String(format: "%@  train loss %.3f acc %.1f%%  test loss %.3f acc %.2f%%  %.1fs", phase, m.trainLoss, 100 * m.trainAcc, m.testLoss, 100 * m.testAcc, m.seconds))
      }
    }
    return TrainOutcome(testAccuracy: run.history.last?.testAcc, params: ir.cost.params, interrupted: false)
  }
}
