import ArgumentParser
import Foundation
import NASCSearch
import NASCSpace

/// `nasc train [SPACE] --arch ARCH`: train a decided architecture from scratch and report test accuracy.
struct TrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Train a derived or published architecture from scratch and report its test accuracy.",
    discussion: """
      ARCH is an arch file (which names its space), or a DARTS genotype string, an NB201 string or a \
      published name (DARTS_V2) together with SPACE. The space's evaluation skeleton is used where it \
      declares one (cells, C, auxiliary head, drop path). The run directory gets metrics.jsonl and \
      checkpoint.safetensors.
      """)

  @Argument(help: "The space (needed unless ARCH is an arch file).")
  var space: String?

  @Option(help: "The architecture: an arch file, a genotype string, an NB201 string or a published name.")
  var arch: String

  @OptionGroup var common: RunOptions

  @Option(help: "Epochs.")
  var epochs = 20

  @Option(name: .customLong("batch-size"), help: "Minibatch size.")
  var batchSize = 96

  @Option(help: "SGD learning rate (cosine annealed to 0).")
  var lr = 0.025

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
    guard epochs >= 1, batchSize >= 2, lr > 0 else {
      throw ValidationError("--epochs ≥ 1, --batch-size ≥ 2 and --lr > 0 are required")
    }
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

  func run() throws {
    let path = space ?? arch
    let settings = TrainSettings(
      epochs: epochs, batchSize: batchSize, lr: lr, dropPath: dropPath, cutout: cutout, seed: common.seed,
      threads: common.threads, data: common.data, trainLimit: common.limit, downsample: common.downsample)
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
