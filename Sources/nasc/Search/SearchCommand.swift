import ArgumentParser
import Foundation
import NASCSearch
import NASCSpace

/// `nasc search SPACE [--method M] [--data D] [--epochs N] [--seed S] [--out DIR] [--resume]`.
struct SearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Search a space with its method on a data set and derive the architecture.",
    discussion: """
      The run directory gets arch.yaml (the derived architecture), genotype.txt, metrics.jsonl (one line per \
      epoch), checkpoint.safetensors (written every epoch and on Ctrl-C), manifest.json and SVG pictures. \
      Continue an interrupted run with --resume.
      """)

  @Argument(help: "The space file, e.g. spaces/darts-digits.yaml.")
  var space: String

  @Option(help: "The method (default: the space's search.method): darts, gdas or pc-darts.")
  var method: String?

  @Option(help: "The data set: digits (bundled), fashion-mnist[:DIR], cifar10:DIR or idx:DIR.")
  var data = "digits"

  @Option(help: "Search epochs (default: the space's or the paper's).")
  var epochs: Int?

  @Option(name: .customLong("batch-size"), help: "Minibatch size (default: the space's or the paper's).")
  var batchSize: Int?

  @Option(help: "The seed of every random draw.")
  var seed: UInt64 = 1

  @Option(help: "Engine threads.")
  var threads = 2

  @Option(help: "Use only the first N training images.")
  var limit: Int?

  @Option(help: "Average-pool the images by this factor first (2: Fashion-MNIST 28×28 → 14×14).")
  var downsample: Int?

  @Option(help: "The run directory (default: a new runs/<space>-<method>-seed<S>[-N]); new or empty unless --resume.")
  var out: String?

  @Flag(help: "Continue the run in --out from its checkpoint.")
  var resume = false

  func validate() throws {
    if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
    if let batchSize, batchSize < 2 { throw ValidationError("--batch-size must be at least 2") }
    if threads < 1 || threads > 256 { throw ValidationError("--threads must be between 1 and 256") }
    if let limit, limit < 4 { throw ValidationError("--limit must be at least 4") }
    if let downsample, downsample < 1 || downsample > 16 { throw ValidationError("--downsample must be between 1 and 16") }
    if resume && out == nil { throw ValidationError("--resume needs --out DIR (the run to continue)") }
  }

  func run() throws {
    let result = Compiler.compile(path: space, options: CompileOptions(method: method))
    if !result.diagnostics.isEmpty {
      Terminal.err(TextRenderer(colour: Terminal.stderrColour, sources: result.sources).render(result.diagnostics))
    }
    guard let ir = result.ir else { throw ExitCode(1) }
    do {
      let source = try DataSource(parsing: data)
      let methodName = ir.method?.name ?? method ?? "search"
      let request = SearchRequest(
        spacePath: space, data: source, epochs: epochs, batchSize: batchSize, seed: seed, threads: threads,
        out: out ?? RunDirectory.fresh("runs/\(ir.name)-\(methodName)-seed\(seed)"), resume: resume, limit: limit,
        downsample: downsample)
      let reporter = ProgressReporter()
      let outcome = try SearchDriver.run(
        request, ir: ir, spaceHash: SearchDriver.spaceHash(sources: result.sources), reporter: reporter)
      if outcome.interrupted { throw ExitCode(130) }
      if let g = outcome.genotype { Terminal.out(g + "\n") }
      if let a = outcome.archPath { reporter.line("derived architecture written to \(a)") }
    } catch let e as SearchError {
      Terminal.err(e.description + "\n")
      throw ExitCode(1)
    } catch let e as ExitCode {
      throw e
    } catch {
      Terminal.err("error: \(error)\n")
      throw ExitCode(1)
    }
  }
}
