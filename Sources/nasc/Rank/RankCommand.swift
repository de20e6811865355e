import ArgumentParser
import Foundation
import NASCExport
import NASCSearch
import NASCSpace

/// `nasc rank RUN [--archs N] [--train-epochs E] [--seed S] [--top K]`: does the supernet of a
/// one-shot run rank architectures as their stand-alone training does?
struct RankCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "rank",
    abstract: "Check a one-shot run's supernet: rank architectures by inherited weights and by stand-alone training.",
    discussion: """
      Draws N architectures, scores each with the run's shared weights (BN recalibrated as the run's method does) and \
      by training it on its own for E epochs, and prints Kendall τ, Spearman ρ and the top-k overlap. RUN/rank/ gets \
      pairs.jsonl (written after every architecture; a second call reuses it, so Ctrl-C loses nothing), summary.json \
      and rank.svg.
      """)

  @Argument(
    help: ArgumentHelp(
      "The run directory of a spos, fairnas, oneshot, random-ws, enas or smash search (smash: scored with generated weights).",
      valueName: "run-dir"))
  var runDirectory: String

  @Option(help: "Architectures to draw.")
  var archs = 20

  @Option(name: .customLong("train-epochs"), help: "Epochs of stand-alone training per architecture.")
  var trainEpochs = 5

  @Option(help: "Seed of the draws (each architecture trains with a seed from the run's seed and its text).")
  var seed: UInt64 = 1

  @Option(help: "k of the top-k overlap.")
  var top = 5

  func validate() throws {
    if !(2...10_000).contains(archs) { throw ValidationError("--archs must lie in 2...10000") }
    if !(1...100_000).contains(trainEpochs) { throw ValidationError("--train-epochs must lie in 1...100000") }
    if !(1...10_000).contains(top) { throw ValidationError("--top must lie in 1...10000") }
  }

  func run() throws {
    try reportingRunErrors {
      let reporter = ProgressReporter()
      let o = try RankDriver.rank(
        .init(runDirectory: runDirectory, archs: archs, trainEpochs: trainEpochs, seed: seed, top: top),
        reporter: reporter)
      let plot = SVGScatter(
        title: "\(o.spaceName) (\(o.method)): supernet vs stand-alone ranking",
        xLabel: "stand-alone test acc (%), \(trainEpochs) epochs", yLabel: "supernet val acc (%)",
        groups: [.init(name: "architectures", points: o.pairs.map { ($0.standalone, $0.supernet) })])
      try AtomicFile.write(plot.render(), to: (o.directory as NSString).appendingPathComponent("rank.svg"))
      guard let c = o.correlation else {
        reporter.line("interrupted before two pairs were done; the same command continues")
        throw ExitCode(130)
      }
      let f = { (x: Double) in x.isNaN ? "undefined" : String(format: "%.3f", x) }
      Terminal.out(
        "Kendall tau \(f(c.kendallTau))  Spearman rho \(f(c.spearmanRho))  top-\(c.k) overlap "
          + String(format: "%.2f", c.topKOverlap) + "  (\(c.count) architectures)\n")
      if c.kendallTau.isNaN || c.spearmanRho.isNaN {
        reporter.line("note: one scoring gave every architecture the same figure, so τ and ρ are undefined")
      }
      if !o.complete {
        reporter.line("interrupted: \(o.pairs.count) pairs so far; the same command continues")
        throw ExitCode(130)
      }
      reporter.line("pairs, summary and rank.svg written to \(o.directory)")
    }
  }
}
