import Foundation
import NASCData
import NASCSpace

extension TrainDriver {
  /// Trains the fixed recurrent cell of the token space `ir` as a language model with `settings`,
  /// writing into `out`; with `resume`, continues the run in `out` with its saved settings. Prints
  /// the corpus and the unigram baseline's test perplexity first, for scale.
  public static func runLanguageModel(
    ir: SpaceIR, settings requested: LanguageModelSettings, out: String, resume: Bool = false,
    reporter: ProgressReporter
  ) throws -> TrainOutcome {
    let dir = RunDirectory(path: out)
    let lock = try dir.prepare(resume: resume)
    defer { withExtendedLifetime(lock) {} }
    let network = fingerprint(ir)
    let checkpoint = URL(fileURLWithPath: dir.checkpoint)
    let settings = resume ? try LanguageModelTrainRun.checkpointSettings(at: checkpoint) : requested
    let source = try DataSource(parsing: settings.data)
    let corpus = try source.loadCorpus()
    let run = try LanguageModelTrainRun(ir: ir, settings: settings, corpus: corpus)
    if resume {
      try run.restore(from: checkpoint, network: network)
      reporter.line("resuming \(dir.path) at epoch \(run.epoch + 1), window \(run.stepInEpoch)")
    }
    for note in corpus.notes { reporter.line("note: \(note)") }
    let unigram = corpus.unigramCrossEntropy(on: corpus.test).perplexity
    reporter.line(
      "corpus \(corpus.name): \(corpus.train.count) training, \(corpus.valid.count) validation, \(corpus.test.count) test tokens, vocabulary \(corpus.vocabularySize); unigram test perplexity \(String(format: "%.1f", unigram))"
    )
    Interrupt.install()
    reporter.line(
      "train \(ir.name): \(ir.cost.params) parameters, \(settings.epochs) epochs, \(settings.batchSize) streams × \(settings.bptt) steps (\(run.windowsPerEpoch) windows an epoch), seed \(settings.seed), data \(settings.data)"
    )
    while !run.isFinished {
      let phase = "epoch \(run.epoch + 1)/\(settings.epochs)"
      let done = try run.runEpoch(shouldStop: { Interrupt.requested }) { s, t in
        reporter.update(
          phase: phase, step: s, total: t, detail: String(format: "ppl %.1f", Foundation.exp(run.runningTrainLoss)))
      }
      try run.saveCheckpoint(to: checkpoint, network: network)
      if !done {
        reporter.line(
          "interrupted at epoch \(run.epoch + 1), window \(run.stepInEpoch): checkpoint saved; continue with --resume")
        return TrainOutcome(testAccuracy: nil, params: ir.cost.params, interrupted: true)
      }
      try MetricsFile.write(run.history, to: dir.metrics)
      if let m = run.history.last {
        reporter.line(
          String(
            format: "%@  train ppl %.1f  valid ppl %.1f  test ppl %.1f  lr %.3g  %.1fs", phase,
            Foundation.exp(m.trainLoss), m.validPerplexity, m.testPerplexity, m.lr, m.seconds))
      }
    }
    return TrainOutcome(
      testAccuracy: nil, testPerplexity: run.history.last?.testPerplexity, params: ir.cost.params, interrupted: false)
  }
}
