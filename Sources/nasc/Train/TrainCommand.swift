import ArgumentParser
import Foundation
import NASCData
import NASCSearch
import NASCSpace

/// `nasc train [SPACE] --arch ARCH`: train a decided architecture from scratch and report test accuracy.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract:
      "Train a derived or published architecture from scratch and report its test accuracy (perplexity for a language model).",
    discussion: """
      ARCH is an arch file (which names its space), or a DARTS genotype string, an NB201 string or a \
      published name (DARTS_V2) together with SPACE. The space's evaluation skeleton is used where it \
      declares one (cells, C, auxiliary head, drop path). The run directory gets metrics.jsonl and \
      checkpoint.safetensors. A token space (a recurrent cell, e.g. DARTS_RNN_V2 on spaces/darts-rnn-small.yaml) \
      is trained as a word-level language model with truncated BPTT on --data kjv (bundled) or ptb:DIR.
      """)

  @Argument(help: "The space (needed unless ARCH is an arch file).")
  var space: String?

  @Option(help: "The architecture: an arch file, a genotype string, an NB201 string or a published name.")
  var arch: String

  @OptionGroup var common: RunOptions

  @Option(help: "Epochs (default 20; 10 for a language model).")
  var epochs: Int?

  @Option(name: .customLong("batch-size"), help: "Minibatch size (default 96; 64 token streams for a language model).")
  var batchSize: Int?

  @Option(help: "SGD learning rate, cosine annealed to 0 (default 0.025; 20 for a language model).")
  var lr: Double?

  @Option(
    help:
      "Language models: time steps per window of truncated back-propagation (default: the space's input.sequence, else 35)."
  )
  var bptt: Int?

  @Option(
    help:
      "Language models: the dropouts output,hidden,x,input,embedding (default DARTS' 0.75,0.25,0.75,0.2,0.1).")
  var dropouts: String?

  @Option(name: .customLong("drop-path"), help: "Maximum drop-path probability (default: the space's).")
  var dropPath: Double?

  @Option(help: "Cutout length (0 = none; DARTS uses 16 on CIFAR-10).")
  var cutout = 0

  @Flag(help: "Use the search skeleton instead of the evaluation skeleton.")
  var searchSkeleton = false

  @Flag(
    name: .customLong("fit-data"),
    help:
      "Build the network at the data set's image shape and class count instead of the space's input: (a 224x224 ImageNet network on digits or CIFAR-10)."
  )
  var fitData = false

  @Option(help: "The run directory (default: a new runs/train-<space>-seed<S>[-N]); new or empty unless --resume.")
  var out: String?

  @Flag(help: "Continue the training run in --out from its checkpoint.")
  var resume = false

  func validate() throws {
    if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
    if let batchSize, batchSize < 2 { throw ValidationError("--batch-size must be at least 2") }
    if let lr, !(lr.isFinite && lr > 0) { throw ValidationError("--lr must be a positive number") }
    if let bptt, !(1...10_000).contains(bptt) { throw ValidationError("--bptt must be between 1 and 10000") }
    if let dropouts { _ = try parseDropouts(dropouts) }
    if let dropPath, !(0..<1).contains(dropPath) { throw ValidationError("--drop-path must be in [0, 1)") }
    if resume && out == nil { throw ValidationError("--resume needs --out DIR (the run to continue)") }
    if out?.isEmpty == true { throw ValidationError("--out needs a directory name") }
    // Without a space, ARCH must be an arch file (it names its space); a genotype needs one given.
    if space == nil && !FileManager.default.fileExists(atPath: arch) {
      let kind =
        DartsGenotype.published[arch] != nil
        ? "a published genotype"
        : arch.contains("Genotype(") ? "a genotype" : arch.contains("|") ? "an NB201 string" : nil
      if let kind {
        let example = arch.contains("|") ? "spaces/nas-bench-201.yaml" : "spaces/darts-cnn.yaml"
        throw ValidationError(
          "--arch \(arch.count > 40 ? "…" : arch) is \(kind), which needs the space it applies to: nasc train \(example) --arch \(arch.count > 40 ? "'…'" : arch)"
        )
      }
    }
  }

  /// `--dropouts O,H,X,I,E` as dropouts.
  func parseDropouts(_ text: String) throws -> LanguageModelDropout {
    let values = text.split(separator: ",", omittingEmptySubsequences: false).map {
      Double($0.trimmingCharacters(in: .whitespaces))
    }
    let v = values.compactMap { $0 }
    guard values.count == 5, v.count == 5 else {
      throw ValidationError(
        "--dropouts takes five numbers: output,hidden,x,input,embedding (e.g. 0.75,0.25,0.75,0.2,0.1)")
    }
    let d = LanguageModelDropout(output: v[0], hidden: v[1], x: v[2], input: v[3], embedding: v[4])
    if let p = d.problem { throw ValidationError("--dropouts: \(p)") }
    return d
  }

  func run() throws {
    let path = space ?? arch
    let settings = TrainSettings(
      epochs: epochs ?? 20, batchSize: batchSize ?? 96, lr: lr ?? 0.025, dropPath: dropPath, cutout: cutout,
      seed: common.seed, threads: common.threads, data: common.data ?? "digits", trainLimit: common.limit,
      downsample: common.downsample)
    var options = CompileOptions(eval: !searchSkeleton, arch: space == nil ? nil : arch)
    if fitData { options = try fittingData(options, settings) }
    let (ir, _) = try compileOrExit(path, options)
    guard ir.mode == .fixed else {
      try reportingRunErrors {
        throw RunError(
          "E313", "\(path) still has open choices; train needs a decided architecture",
          help: "pass --arch with an arch file, a genotype or an NB201 string", path: path)
      }
      return
    }
    if ir.network.tokens != nil {
      try trainLanguageModel(ir)
      return
    }
    if bptt != nil || dropouts != nil {
      throw ValidationError("--bptt and --dropouts apply to language models (spaces with `input: {tokens: …}`)")
    }
    try reportingRunErrors {
      let outcome = try TrainDriver.run(
        ir: ir, settings: settings, out: out ?? RunDirectory.fresh("runs/train-\(ir.name)-seed\(common.seed)"),
        resume: resume, reporter: ProgressReporter())
      if outcome.interrupted { throw ExitCode(130) }
      if let acc = outcome.testAccuracy {
        Terminal.out(String(format: "test accuracy %.2f%% (%d parameters)\n", 100 * acc, outcome.params))
      }
    }
  }
}

extension TrainCommand {
  /// Trains the decided recurrent cell of a token space as a language model.
  func trainLanguageModel(_ ir: SpaceIR) throws {
    if common.limit != nil || common.downsample != nil || fitData || cutout != 0 || dropPath != nil {
      throw ValidationError(
        "--limit, --downsample, --fit-data, --cutout and --drop-path apply to image spaces; \(ir.name) reads tokens")
    }
    var settings = LanguageModelSettings(seed: common.seed, threads: common.threads)
    if let epochs { settings.epochs = epochs }
    if let batchSize { settings.batchSize = batchSize }
    if let lr { settings.lr = lr }
    settings.bptt = bptt ?? ir.network.sequence ?? settings.bptt
    if let dropouts { settings.dropout = try parseDropouts(dropouts) }
    settings.data = common.data ?? DataSource.defaultFor(tokens: true).description
    try reportingRunErrors {
      let outcome = try TrainDriver.runLanguageModel(
        ir: ir, settings: settings, out: out ?? RunDirectory.fresh("runs/train-\(ir.name)-seed\(common.seed)"),
        resume: resume, reporter: ProgressReporter())
      if outcome.interrupted { throw ExitCode(130) }
      if let ppl = outcome.testPerplexity {
        Terminal.out(String(format: "test perplexity %.2f (%d parameters)\n", ppl, outcome.params))
      }
    }
  }
}
