import ArgumentParser
import Foundation
import NASCSearch

/// `nasc compare RUN RUN... [--json]`: how far searches of one space agree on what they derived.
struct CompareCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "compare",
    abstract: "Compare the derived architectures of searches of one space (e.g. several seeds).",
    discussion: """
      Prints, per cell type and overall, the share of decisions two runs make alike (the same op on an op choice; \
      in a node, the kept (op, input) pairs they share, and the kept inputs whatever the op), averaged over every \
      pair of runs, beside the share two uniform random architectures of the rule have in common by chance; the \
      number of distinct architectures; and each run's confident decisions when it recorded them.
      """)

  @Argument(help: ArgumentHelp("Two or more finished run directories of nasc search.", valueName: "run-dir"))
  var runDirectories: [String]

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    try reportingRunErrors {
      let c = try RunComparison.compare(runDirectories)
      if json {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        Terminal.out(String(decoding: try enc.encode(c), as: UTF8.self) + "\n")
      } else {
        Terminal.out(c.text)
      }
    }
  }
}
