import Foundation
import NASCExport
import NASCSpace
import NASCTensor

/// What `nasc search` was asked to do.
public struct SearchRequest: Sendable {
  /// The space file as given.
  public var spacePath: String
  /// The data set.
  public var data: DataSource
  /// Epochs (nil = the space's or the paper's).
  public var epochs: Int?
  /// Batch size (nil = the space's or the paper's).
  public var batchSize: Int?
  /// The seed of every random draw.
  public var seed: UInt64
  /// Engine threads.
  public var threads: Int
  /// The run directory.
  public var out: String
  /// Continue the run in `out`.
  public var resume: Bool
  /// Use only the first this many training images.
  public var limit: Int?
  /// Average-pool images by this factor.
  public var downsample: Int?

  /// Creates a request.
  public init(
    spacePath: String, data: DataSource, epochs: Int?, batchSize: Int?, seed: UInt64, threads: Int, out: String,
    resume: Bool, limit: Int?, downsample: Int? = nil
  ) {
    self.spacePath = spacePath
    self.data = data
    self.epochs = epochs
    self.batchSize = batchSize
    self.seed = seed
    self.threads = threads
    self.out = out
    self.resume = resume
    self.limit = limit
    self.downsample = downsample
  }
}

/// How a search ended.
public struct SearchOutcome: Sendable {
  /// The derived genotype string, when the space has DARTS-style cells.
  public var genotype: String?
  /// The arch document path.
  public var archPath: String?
  /// True when the run was interrupted and checkpointed before finishing.
  public var interrupted: Bool
  /// Validation accuracy of the supernet after the last epoch.
  public var finalValAccuracy: Double?
}

/// Runs a whole search: data, supernet, epochs with checkpoints and metrics, derivation and outputs.
public enum SearchDriver {
  /// A fingerprint of the space: SHA-256 over the text of every file it was compiled from.
  public static func spaceHash(sources: [String: String]) -> String {
    let joined = sources.keys.sorted().filter { !$0.hasPrefix("<") }.map { sources[$0]! }.sorted().joined(
      separator: "\u{0}")
    return SHA256.hex(Array(joined.utf8))
  }

  /// Loads the data set and normalises it with the training split's per-channel statistics.
  public static func loadData(_ source: DataSource, limit: Int?, downsample: Int? = nil) throws -> (
    train: ImageDataset, test: ImageDataset, mean: [Float], std: [Float]
  ) {
    var splits = try source.load()
    if let limit { splits.train = splits.train.prefix(limit) }
    if let f = downsample, f > 1 {
      guard splits.train.height % f == 0, splits.train.width % f == 0 else {
        throw SearchError(
          "E207", "cannot downsample \(splits.train.height)x\(splits.train.width) images by \(f)",
          help: "the factor must divide the image size")
      }
      splits.train = splits.train.averagePooled(factor: f)
      splits.test = splits.test.averagePooled(factor: f)
    }
    let (mean, std) = splits.train.channelStatistics()
    splits.train.normalize(mean: mean, std: std)
    splits.test.normalize(mean: mean, std: std)
    return (splits.train, splits.test, mean, std)
  }

  /// Throws `E206` unless the images have the shape the space's `input:` declares.
  public static func checkInput(_ data: ImageDataset, fits ir: SpaceIR) throws {
    let s = ir.network.input
    guard data.channels == s.channels, data.height == s.height, data.width == s.width else {
      throw SearchError(
        "E206", "the data set's images are \(data.channels)x\(data.height)x\(data.width) but \(ir.name) expects \(s)",
        help: "choose a space whose input: matches the data set (spaces/darts-digits.yaml for digits), or --downsample")
    }
  }

  /// The default training augmentation of a data set (crop + flip for CIFAR-10, none for digits
  /// and grey-scale sets, where flips change the class).
  public static func augmentation(for source: DataSource) -> Augmentation {
    if case .cifar10 = source { return Augmentation(cropPadding: 4, horizontalFlip: true) }
    return .none
  }

  /// Runs (or resumes) the search of `request` on the compiled `ir`; `sources` are the files it was
  /// compiled from (the run directory keeps a copy of them).
  public static func run(
    _ request: SearchRequest, ir: SpaceIR, sources: [String: String], reporter: ProgressReporter
  ) throws -> SearchOutcome {
    let spaceHash = Self.spaceHash(sources: sources)
    guard let config = ir.method else {
      throw SearchError(
        "E310", "the space has no search: block naming a method", help: "add `search: {method: darts}` to the space")
    }
    guard [.topKEdges, .topKPairs, .argmax].contains(ir.derive.kind) else {
      throw SearchError(
        "E311", "derivation rule '\(ir.derive.kind.rawValue)' is not supported by nasc search yet",
        help: "set derive: {rule: top_k_edges}, {rule: top_k_pairs} or {rule: argmax} in the space")
    }
    let dir = RunDirectory(path: request.out)
    try dir.prepare(resume: request.resume)
    let previous = request.resume ? try? RunManifest.read(from: dir.manifest) : nil
    var settings: SearchSettings
    if request.resume {
      let saved = try SearchRun.checkpointSettings(at: URL(fileURLWithPath: dir.checkpoint))
      // Checked before the data is loaded, with the command that resumes from the run's own copy.
      if saved.spaceHash != spaceHash {
        throw SearchError.spaceChanged(
          saved: saved.spaceHash, now: spaceHash,
          help: previous.flatMap { dir.spaceCopy($0) }.map {
            "resume with the run's copy of the space it started from: nasc search \($0) --out \(dir.path) --resume"
          } ?? "resume with the space file the run started from, or start a new run in another --out directory",
          path: dir.checkpoint)
      }
      settings = saved.settings
      var ignored = [String]()
      if let e = request.epochs, e != settings.epochs { ignored.append("--epochs") }
      if let b = request.batchSize, b != settings.batchSize { ignored.append("--batch-size") }
      if request.data != .digits && request.data.description != settings.data { ignored.append("--data") }
      if !ignored.isEmpty {
        reporter.line(
          "note: \(ignored.joined(separator: ", ")) ignored: a resumed run keeps the settings it started with")
      }
    } else {
      settings = SearchSettings(
        config: config, epochs: request.epochs, batchSize: request.batchSize, seed: request.seed,
        threads: request.threads,
        data: request.data.description, trainLimit: request.limit,
        downsample: request.downsample)
    }
    let source = try DataSource(parsing: settings.data)
    let data = try loadData(source, limit: settings.trainLimit, downsample: settings.downsample)
    try checkInput(data.train, fits: ir)
    let run = try SearchRun(ir: ir, settings: settings, data: data.train, augmentation: augmentation(for: source))
    if request.resume {
      try run.restore(from: URL(fileURLWithPath: dir.checkpoint), spaceHash: spaceHash)
      reporter.line("resuming \(dir.path) at epoch \(run.epoch + 1), step \(run.stepInEpoch)")
    }
    // The run's copy of its space: written once, kept by a resumed run.
    var originalSpace = RunDirectory.absolute(request.spacePath)
    let spaceCopy: String
    if let old = previous, let copy = old.spaceCopy, FileManager.default.fileExists(atPath: dir.file(copy)) {
      originalSpace = old.space
      spaceCopy = copy
    } else {
      spaceCopy = try SpaceSnapshot.write(sources: sources, top: request.spacePath, into: dir)
    }
    var manifest = RunManifest(
      space: originalSpace, spaceCopy: spaceCopy, spaceName: ir.name, spaceHash: spaceHash, settings: settings,
      normalization: .init(mean: data.mean.map(Double.init), std: data.std.map(Double.init)),
      trainImages: run.trainData.count, valImages: run.valData.count)
    try manifest.write(to: dir.manifest)
    Interrupt.install()
    reporter.line(
      "search \(ir.name) with \(settings.method): \(settings.epochs) epochs × \(run.stepsPerEpoch) steps, batch \(settings.batchSize), seed \(settings.seed), data \(settings.data)"
    )
    while !run.isFinished {
      let epoch = run.epoch
      let phase = "epoch \(epoch + 1)/\(settings.epochs)"
      let finished = try run.runEpoch(shouldStop: { Interrupt.requested }) { step, total in
        reporter.update(
          phase: phase, step: step, total: total, detail: String(format: "loss %.3f", run.runningTrainLoss))
      }
      try run.saveCheckpoint(to: URL(fileURLWithPath: dir.checkpoint), spaceHash: spaceHash)
      if !finished {
        reporter.line(
          "interrupted at epoch \(epoch + 1), step \(run.stepInEpoch): checkpoint saved; continue with --resume")
        return SearchOutcome(genotype: nil, archPath: nil, interrupted: true, finalValAccuracy: nil)
      }
      try writeMetrics(run.history, to: dir.metrics)
      if let m = run.history.last {
        var line = String(
          format: "%@  train loss %.3f acc %.1f%%  val loss %.3f acc %.1f%%", phase, m.trainLoss, 100 * m.trainAcc,
          m.valLoss, 100 * m.valAcc)
        if let tau = m.tau { line += String(format: "  tau %.2f", tau) }
        for (t, share) in m.parameterFreeShare.sorted(by: { $0.key < $1.key }) {
          // The largest op weight of the cell type: how far α has moved from uniform.
          let top = m.alpha.filter { $0.key.hasPrefix(t + ".") }.values.compactMap { $0.max() }.max()
          line += String(format: "  %@ param-free %.2f", t, share)
          if let top { line += String(format: " top-op %.3f", top) }
        }
        line += String(format: "  %.1fs", m.seconds)
        reporter.line(line)
      }
    }
    let derived = try run.derive()
    let archText = derived.archDocument(
      spacePath: spaceCopy,
      header: [
        "Derived by nasc search (\(settings.method), seed \(settings.seed)) from the space \(ir.name).",
        "Train it with: nasc train --arch arch.yaml",
      ])
    try AtomicFile.write(archText, to: dir.arch)
    let genotype = derived.genotype?.description ?? derived.nb201?.description
    if let genotype { try AtomicFile.write(genotype + "\n", to: dir.file("genotype.txt")) }
    try RunPictures.write(run: run, derived: derived, into: dir)
    manifest.result = .init(
      genotype: genotype, arch: "arch.yaml", valAccuracy: run.history.last?.valAcc, epochs: run.epoch)
    try manifest.write(to: dir.manifest)
    return SearchOutcome(
      genotype: genotype, archPath: dir.arch, interrupted: false, finalValAccuracy: run.history.last?.valAcc)
  }

  /// Writes every epoch's metrics as JSON lines (rewritten whole, atomically, so a resumed run's
  /// file equals an uninterrupted one's but for timings).
  static func writeMetrics(_ history: [EpochMetrics], to path: String) throws {
    let enc = JSONEncoder()
    enc.outputFormatting = [.sortedKeys]
    var text = ""
    for m in history { text += String(decoding: try enc.encode(m), as: UTF8.self) + "\n" }
    try AtomicFile.write(text, to: path)
  }
}
