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
      The run directory gets space/ (a copy of the space), arch.yaml (the derived architecture), genotype.txt, metrics.jsonl (one line per \
      epoch), checkpoint.safetensors (written every epoch and on Ctrl-C), manifest.json and SVG pictures. \
      Continue an interrupted run with --resume.
      """)

  @Argument(help: "The space file, e.g. spaces/darts-digits.yaml.")
  var space: String

  @Option(help: "The method (default: the space's search.method): darts, gdas or pc-darts.")
  var method: String?

  @OptionGroup var common: RunOptions

  @Option(
    name: .customLong("set"),
    help: ArgumentHelp(
      "Set a hyperparameter of the method, over the space's search: block (repeatable), e.g. --set order=second.",
      valueName: "key=value"))
  var settings: [String] = []

  @Option(help: "Search epochs (default: the space's or the paper's).")
  var epochs: Int?

  @Option(name: .customLong("batch-size"), help: "Minibatch size (default: the space's or the paper's).")
  var batchSize: Int?

  @Option(help: "The run directory (default: a new runs/<space>-<method>-seed<S>[-N]); new or empty unless --resume.")
  var out: String?

  @Flag(help: "Continue the run in --out from its checkpoint.")
  var resume = false

  func validate() throws {
    if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
    if let batchSize, batchSize < 2 { throw ValidationError("--batch-size must be at least 2") }
    if resume && out == nil { throw ValidationError("--resume needs --out DIR (the run to continue)") }
  }

  func run() throws {
    // A resumed run keeps the method and hyperparameters it started with: the method decides the
    // supernet (e.g. PC-DARTS channels) and the derivation rule.
    var method = self.method
    var settings = self.settings
    if resume, let out {
      let checkpoint = URL(fileURLWithPath: RunDirectory(path: out).checkpoint)
      if let saved = (try? SearchRun.checkpointSettings(at: checkpoint))?.settings.method {
        var ignored = [String]()
        if let m = method, m != saved { ignored.append("--method") }
        if !settings.isEmpty { ignored.append("--set") }
        if !ignored.isEmpty {
          Terminal.err(
            "note: \(ignored.joined(separator: ", ")) ignored: a resumed run keeps the method and settings it started with (\(saved))\n"
          )
        }
        method = saved
        settings = []
      }
    }
    let (ir, sources) = try compileOrExit(space, CompileOptions(method: method, settings: settings))
    try reportingRunErrors {
      let methodName = ir.method?.name ?? method ?? "search"
      let request = SearchRequest(
        spacePath: space, data: try DataSource(parsing: common.data), epochs: epochs, batchSize: batchSize,
        seed: common.seed,
        threads: common.threads, out: out ?? RunDirectory.fresh("runs/\(ir.name)-\(methodName)-seed\(common.seed)"),
        resume: resume, limit: common.limit, downsample: common.downsample)
      let reporter = ProgressReporter()
      let outcome = try SearchDriver.run(
        request, ir: ir, sources: sources, reporter: reporter)
      if outcome.interrupted { throw ExitCode(130) }
      if let g = outcome.genotype { Terminal.out(g + "\n") }
      if let a = outcome.archPath { reporter.line("derived architecture written to \(a)") }
    }
  }
}
