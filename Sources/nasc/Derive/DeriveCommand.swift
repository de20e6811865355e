import ArgumentParser
import Foundation
import NASCSearch
import NASCSpace

/// `nasc derive RUN_DIR [--rule R] [--k K]`: re-derive the architecture from a search checkpoint.
struct DeriveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "derive",
    abstract: "Re-derive the architecture of a search run from its checkpoint, optionally with another rule.")

  @Argument(help: ArgumentHelp("The run directory written by `nasc search`.", valueName: "run-dir"))
  var runDirectory: String

  @Option(
    help:
      "top_k_edges (DARTS), top_k_pairs (GDAS), argmax, or viterbi (routing spaces, their only rule); default: the space's rule."
  )
  var rule: String?

  @Option(help: "Inputs or pairs kept per node (default: the space's).")
  var k: Int?

  @Flag(help: "Also rewrite arch.yaml and genotype.txt in the run directory.")
  var write = false

  @Flag(
    help:
      "Print every decision with its runner-up, both weights, the margin and the run's noise level (a high quantile of the same margin when its Adam steps follow pure-noise gradients)."
  )
  var explain = false

  func run() throws {
    try reportingRunErrors {
      let outcome = try DeriveDriver.derive(
        runDirectory: runDirectory, rule: rule, k: k, write: write, explain: explain)
      if !outcome.diagnostics.isEmpty {
        Terminal.err(TextRenderer(colour: Terminal.stderrColour, sources: outcome.sources).render(outcome.diagnostics))
      }
      if let c = outcome.confidence {
        var text = c.table + c.summary + "\n"
        if let l = c.learning {
          text += String(
            format: "supernet accuracy on the architecture half %.1f%% (chance %.1f%%, %d images): %@\n",
            100 * l.accuracy, 100 * l.chance, l.count, l.passed ? "learned" : "not above chance")
        }
        if let w = c.warning { text += "warning: " + w + "\n" }
        Terminal.out(text + "\n")
      } else if explain {
        Terminal.out("no decision of this rule has a margin (viterbi routes are not explained yet)\n")
      }
      Terminal.out(outcome.genotype.map { $0 + "\n" } ?? outcome.archDocument)
    }
  }
}
