import ArgumentParser
import Foundation
import NASCExport
import NASCData
import NASCSearch
import NASCSpace

/// `nasc search SPACE [--method M] [--data D | --benchmark B] [--epochs N] [--seed S | --seeds A-B] [--out DIR] [--resume]`.
struct SearchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Search a space with its method on a data set (or a benchmark table) and derive the architecture.",
    discussion: """
      The run directory gets space/ (a copy of the space), arch.yaml (the derived architecture), genotype.txt, metrics.jsonl (one line per \
      epoch or evaluation), checkpoint.safetensors (written after every unit and on Ctrl-C), manifest.json and SVG pictures. \
      Continue an interrupted run with --resume. `nasc methods` lists the methods and their hyperparameters.
      """)

  @Argument(help: "The space file, e.g. spaces/darts-digits.yaml.")
  var space: String

  @Option(help: "The method (default: the space's search.method): \(MethodRegistry.runnable.joined(separator: ", ")).")
  var method: String?

  @OptionGroup var common: RunOptions

  @Option(
    name: .customLong("set"),
    help: ArgumentHelp(
      "Set a hyperparameter of the method, over the space's search: block (repeatable), e.g. --set order=second.",
      valueName: "key=value"))
  var settings: [String] = []

  @Option(help: "Search epochs (the same as --set epochs=N).")
  var epochs: Int?

  @Option(name: .customLong("batch-size"), help: "Minibatch size (the same as --set batch_size=N).")
  var batchSize: Int?

  @Option(help: "Architectures evaluated by random search and evolution (the same as --set budget=N).")
  var budget: Int?

  @Option(
    help: ArgumentHelp(
      "Score architectures by a tabular benchmark instead of training them: nb201[:CSV] or nas-bench-macro[:CSV].",
      valueName: "table"))
  var benchmark: String?

  @Option(
    help: ArgumentHelp(
      "A cost target of a multi-objective search (fairnas), repeatable: macs<=300M or params<=4.5M; the most accurate architecture meeting each is written to arch-<target>.yaml.",
      valueName: "target"))
  var target: [String] = []

  @Option(help: "Run one search per seed in one process (e.g. 1-500) and print mean ± std of the reported figure.")
  var seeds: String?

  @Flag(help: "With --seeds: one JSON line per seed (seed, arch, signal, reported), then the summary.")
  var json = false

  @Option(help: "The run directory (default: a new runs/<space>-<method>-seed<S>[-N]); new or empty unless --resume.")
  var out: String?

  @Flag(help: "Continue the run in --out from its checkpoint.")
  var resume = false

  func validate() throws {
    if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
    if let batchSize, batchSize < 2 { throw ValidationError("--batch-size must be at least 2") }
    if let budget, budget < 1 { throw ValidationError("--budget must be at least 1") }
    if resume && out == nil { throw ValidationError("--resume needs --out DIR (the run to continue)") }
    if out?.isEmpty == true { throw ValidationError("--out needs a directory name") }
    if let method, MethodCatalog.method(method) == nil {
      let names = MethodCatalog.methods.map(\.name)
      throw ValidationError(
        "unknown method '\(method)' for --method; "
          + (DidYouMean.help(method, in: names) ?? "methods: " + names.joined(separator: ", ")))
    }
    if let seeds {
      if SeedSweep.parseSeeds(seeds) == nil { throw ValidationError("--seeds takes a list such as 1-500 or 1,3,7-9") }
      if resume || out != nil { throw ValidationError("--seeds runs in memory: it takes neither --out nor --resume") }
    }
    if json && seeds == nil { throw ValidationError("--json goes with --seeds") }
    for t in target where CostTarget(parsing: t) == nil {
      throw ValidationError("--target '\(t)' is not a target: write macs<=300M or params<=4.5M (k, M, G allowed)")
    }
  }

  func run() throws {
    var requested = settings
    if let epochs { requested.append("epochs=\(epochs)") }
    if let batchSize { requested.append("batch_size=\(batchSize)") }
    if let budget { requested.append("budget=\(budget)") }
    let (options, notes) = SearchDriver.compileOptions(
      method: method, settings: requested, resume: resume, out: out)
    for n in notes { Terminal.err(n + "\n") }
    let (ir, sources) = try compileOrExit(space, options)
    try reportingRunErrors {
      let data = try DataSource(
        parsing: common.data ?? DataSource.defaultFor(tokens: ir.network.tokens != nil).description)
      if let seeds, let list = SeedSweep.parseSeeds(seeds) {
        try sweep(ir: ir, data: data, seeds: list)
        return
      }
      let methodName = ir.method?.name ?? method ?? "search"
      var request = SearchRequest(
        spacePath: space, data: data, seed: common.seed, threads: common.threads,
        out: out ?? RunDirectory.fresh("runs/\(ir.name)-\(methodName)-seed\(common.seed)"), resume: resume,
        limit: common.limit, downsample: common.downsample, benchmark: benchmark)
      request.targets = target
      let reporter = ProgressReporter()
      let outcome = try SearchDriver.run(request, ir: ir, sources: sources, reporter: reporter)
      if outcome.interrupted { throw ExitCode(130) }
      try RunPictures.write(outcome, ir: ir, into: RunDirectory(path: request.out))
      if let r = outcome.result, r.signal != nil {
        let f = { (x: Double?) in x.map { String(format: "%.2f", $0) } ?? "-" }
        reporter.line("best architecture: signal \(f(r.signal)), reported \(f(r.reported))")
      }
      if let g = outcome.genotype { Terminal.out(g + "\n") }
      if let a = outcome.archPath { reporter.line("derived architecture written to \(a)") }
    }
  }

  /// `--seeds`: one search per seed, then mean ± std.
  func sweep(ir: SpaceIR, data: DataSource, seeds: [UInt64]) throws {
    let run = RunSettings(
      seed: seeds[0], threads: common.threads, data: data.description, trainLimit: common.limit,
      downsample: common.downsample, benchmark: benchmark)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let reporter = ProgressReporter()
    var done = 0
    let (_, summary) = try SeedSweep.run(ir: ir, run: run, seeds: seeds) { row in
      done += 1
      if json, let line = try? encoder.encode(row) { Terminal.out(String(decoding: line, as: UTF8.self) + "\n") }
      reporter.update(phase: "seeds", step: done, total: seeds.count, detail: "")
    }
    let text = String(
      format: "%@ on %@: %@ %.2f ± %.2f over %d seeds", ir.method?.name ?? "search", ir.name, summary.column,
      summary.mean, summary.std, summary.count)
    if json {
      Terminal.out(
        String(
          format: "{\"summary\": {\"column\": \"%@\", \"mean\": %.4f, \"std\": %.4f, \"seeds\": %d}}\n", summary.column,
          summary.mean, summary.std, summary.count))
    } else {
      reporter.line("")
      Terminal.out(text + "\n")
    }
  }
}
