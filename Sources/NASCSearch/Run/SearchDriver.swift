import NASCData
import Foundation
import NASCSpace
import NASCTensor

/// What `nasc search` was asked to do.
public struct SearchRequest: Sendable {
  /// The space file as given.
  public var spacePath: String
  /// The data set.
  public var data: DataSource
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
  /// A tabular benchmark that scores architectures (`nb201`, `nas-bench-macro[:CSV]`), or nil.
  public var benchmark: String?
  /// Cost targets (`--target macs<=300M`) of a multi-objective search.
  public var targets: [String] = []

  /// Creates a request.
  public init(
    spacePath: String, data: DataSource, seed: UInt64, threads: Int, out: String, resume: Bool, limit: Int?,
    downsample: Int? = nil, benchmark: String? = nil
  ) {
    self.spacePath = spacePath
    self.data = data
    self.seed = seed
    self.threads = threads
    self.out = out
    self.resume = resume
    self.limit = limit
    self.downsample = downsample
    self.benchmark = benchmark
  }

  /// The run settings it asks for.
  public var runSettings: RunSettings {
    RunSettings(
      seed: seed, threads: threads, data: data.description, trainLimit: limit, downsample: downsample,
      benchmark: benchmark, targets: targets.isEmpty ? nil : targets)
  }
}

/// How a search ended.
public struct SearchOutcome {
  /// The derived genotype or NB201 string, when the space has one.
  public var genotype: String?
  /// The arch document path.
  public var archPath: String?
  /// True when the run was interrupted and checkpointed before finishing.
  public var interrupted: Bool
  /// Validation accuracy of the supernet after the last epoch (supernet methods).
  public var finalValAccuracy: Double?
  /// The result (nil when interrupted).
  public var result: SearchResult?
  /// The space's decisions.
  public var space: ArchSpace?
  /// The metrics of every unit.
  public var history: [Metrics] = []
  /// How sure the derivation is (methods that derive from α).
  public var confidence: DerivationConfidence? = nil
}

/// Runs a whole search: data, supernet, epochs with checkpoints and metrics, derivation and outputs.
public enum SearchDriver {
  /// A fingerprint of the space: SHA-256 over the text of every file it was compiled from.
  public static func spaceHash(sources: [String: String]) -> String {
    let joined = sources.keys.sorted().filter { !$0.hasPrefix("<") }.map { sources[$0]! }.sorted().joined(
      separator: "\u{0}")
    return Fingerprint.sha256(Array(joined.utf8))
  }

  /// Loads the data set and normalises it with the training split's per-channel statistics.
  public static func loadData(_ source: DataSource, limit: Int?, downsample: Int? = nil) throws -> (
    train: ImageDataset, test: ImageDataset, mean: [Float], std: [Float]
  ) {
    var splits = try source.load(trainLimit: limit)
    if let f = downsample, f > 1 {
      guard splits.train.height % f == 0, splits.train.width % f == 0 else {
        throw RunError(
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

  /// Throws `E206` unless the images have the shape the space's `input:` declares; `otherwise` is
  /// the command's own way round it, named in the hint.
  public static func checkInput(_ data: ImageDataset, fits ir: SpaceIR, otherwise: String = "--downsample") throws {
    let s = ir.network.input
    guard data.classes <= ir.network.classes else {
      throw RunError(
        "E206", "the data set has \(data.classes) classes but \(ir.name) classifies into \(ir.network.classes)",
        help: "set input: {classes: \(data.classes)} in the space, choose a space for this data set, or \(otherwise)")
    }
    guard data.channels == s.channels, data.height == s.height, data.width == s.width else {
      throw RunError(
        "E206", "the data set's images are \(data.channels)x\(data.height)x\(data.width) but \(ir.name) expects \(s)",
        help: "choose a space whose input: matches the data set (spaces/darts-digits.yaml for digits), or \(otherwise)")
    }
  }

  /// The default training augmentation of a data set (crop + flip for CIFAR-10, none for digits
  /// and grey-scale sets, where flips change the class).
  public static func augmentation(for source: DataSource) -> Augmentation {
    if case .cifar10 = source { return Augmentation(cropPadding: 4, horizontalFlip: true) }
    return .none
  }

  /// The compile options of a search: the requested method and `--set` settings, or, when
  /// resuming a run that has a checkpoint, the method and hyperparameters it started with (plus
  /// notes on the flags that are therefore ignored).
  public static func compileOptions(method: String?, settings: [String], resume: Bool, out: String?) -> (
    options: CompileOptions, notes: [String]
  ) {
    let requested = CompileOptions(method: method, settings: settings)
    guard resume, let out else { return (requested, []) }
    let url = URL(fileURLWithPath: RunDirectory(path: out).checkpoint)
    guard let info = try? LoopCheckpoint.info(at: url) else { return (requested, []) }
    var ignored = [String]()
    if let m = method, m != info.method { ignored.append("--method") }
    if !settings.isEmpty { ignored.append("--set, --epochs, --batch-size, --budget") }
    let notes =
      ignored.isEmpty
      ? []
      : [
        "note: \(ignored.joined(separator: ", ")) ignored: a resumed run keeps the method and settings it started with (\(info.method))"
      ]
    return (CompileOptions(method: info.method, settings: info.hyperparameters), notes)
  }

  /// The evaluator of a run: the benchmark table when one is named, else stand-alone training on
  /// the run's data.
  static func evaluator(
    ir: SpaceIR, config: MethodConfig, run: RunSettings, data: (train: ImageDataset, test: ImageDataset)?,
    augmentation: Augmentation
  ) throws -> (any Evaluator)? {
    if let b = run.benchmark { return try TableEvaluator(ir: ir, table: try TabularBenchmark.load(b)) }
    guard let data else { return nil }
    var epochs = 2
    if case .int(let e)? = config["train_epochs"] { epochs = max(1, e) }
    return StandaloneTrainingEvaluator(
      ir: ir, train: data.train, test: data.test, augmentation: augmentation, seed: run.seed, threads: run.threads,
      epochs: epochs)
  }

  /// Runs (or resumes) the search of `request` on the compiled `ir`; `sources` are the files it was
  /// compiled from (the run directory keeps a copy of them).
  public static func run(
    _ request: SearchRequest, ir: SpaceIR, sources: [String: String], reporter: ProgressReporter
  ) throws -> SearchOutcome {
    let spaceHash = Self.spaceHash(sources: sources)
    guard let config = ir.method else {
      throw RunError(
        "E310", "the space has no search: block naming a method", help: "add `search: {method: darts}` to the space")
    }
    let dir = RunDirectory(path: request.out)
    try dir.check(resume: request.resume)
    // A resumed run's manifest names its space copy; a damaged one is an error (resuming would
    // replace what it records), a missing one is rewritten from the checkpoint.
    var previous: RunManifest? = nil
    if request.resume {
      if FileManager.default.fileExists(atPath: dir.manifest) {
        do { previous = try RunManifest.read(from: dir.manifest) } catch let e as RunError {
          throw RunError(
            e.code, e.message,
            help: "restore manifest.json, or move it away to resume without it (it is rewritten from the checkpoint)",
            path: dir.manifest)
        }
      } else {
        reporter.line("note: \(dir.manifest) is missing: it is rewritten from the checkpoint")
      }
    }
    var run = request.runSettings
    if request.resume {
      let saved = try LoopCheckpoint.info(at: URL(fileURLWithPath: dir.checkpoint))
      // Checked before the data is loaded, with the command that resumes from the run's own copy.
      if saved.spaceHash != spaceHash {
        throw RunError.spaceChanged(
          saved: saved.spaceHash, now: spaceHash,
          help: previous.flatMap { dir.spaceCopy($0) }.map {
            "resume with the run's copy of the space it started from: nasc search \($0) --out \(dir.path) --resume"
          } ?? "resume with the space file the run started from, or start a new run in another --out directory",
          path: dir.checkpoint)
      }
      var ignored = [String]()
      if request.data != .digits && request.data.description != saved.run.data { ignored.append("--data") }
      if request.benchmark != nil && request.benchmark != saved.run.benchmark { ignored.append("--benchmark") }
      if !request.targets.isEmpty && request.targets != (saved.run.targets ?? []) { ignored.append("--target") }
      if request.limit != nil && request.limit != saved.run.trainLimit { ignored.append("--limit") }
      if request.downsample != nil && request.downsample != saved.run.downsample { ignored.append("--downsample") }
      if !ignored.isEmpty {
        reporter.line(
          "note: \(ignored.joined(separator: ", ")) ignored: a resumed run keeps the settings it started with")
      }
      if request.seed != saved.run.seed {
        reporter.line("note: the run continues with its own seed \(saved.run.seed) (this command's is \(request.seed))")
      }
      guard saved.run.threads >= 1, (saved.run.trainLimit ?? 1) >= 1, (saved.run.downsample ?? 1) >= 1 else {
        throw RunError(
          "E303",
          "the checkpoint's run settings are impossible (\(saved.run.threads) threads, limit \(saved.run.trainLimit.map(String.init) ?? "none"), downsample \(saved.run.downsample.map(String.init) ?? "none"))",
          help: "the file was edited or damaged; start a new run", path: dir.checkpoint)
      }
      run = saved.run
    }
    let context = try makeContext(ir: ir, config: config, run: run)
    let method = try MethodRegistry.make(context)
    let checkpointURL = URL(fileURLWithPath: dir.checkpoint)
    let loop: SearchLoop
    if request.resume {
      loop = try LoopCheckpoint.resume(method, from: checkpointURL, spaceHash: spaceHash)
      reporter.line(
        loop.nothingLeft
          ? "\(dir.path) is complete: writing its results again"
          : "resuming \(dir.path) at \(loop.label), step \(loop.position.step)")
    } else {
      loop = try SearchLoop(method: method)
    }
    // Held until this function returns: no second process writes into the directory meanwhile.
    let lock = try dir.createAndLock(resume: request.resume)
    defer { withExtendedLifetime(lock) {} }
    // The run's copy of its space: written once, kept by a resumed run.
    var originalSpace = RunDirectory.absolute(request.spacePath)
    let spaceCopy: String
    if let old = previous, let copy = old.spaceCopy, FileManager.default.fileExists(atPath: dir.file(copy)) {
      originalSpace = old.space
      spaceCopy = copy
    } else {
      spaceCopy = try SpaceSnapshot.write(sources: sources, top: request.spacePath, into: dir)
    }
    let hyperparameters = MethodRegistry.settings(of: config)
    var manifest = RunManifest(
      space: originalSpace, spaceCopy: spaceCopy, spaceName: ir.name, spaceHash: spaceHash, method: config.name,
      hyperparameters: hyperparameters, run: run, notes: method.notes,
      normalization: context.normalization, trainImages: context.data?.count)
    try manifest.write(to: dir.manifest)
    Interrupt.install()
    let phases = method.phases.map { "\($0.name) \($0.units) \($0.unit)s × \($0.stepsPerUnit) steps" }
    reporter.line(
      "search \(ir.name) with \(config.name): \(phases.joined(separator: ", ")), seed \(run.seed), "
        + (run.benchmark.map { "benchmark \($0)" } ?? "data \(run.data)"))
    for note in method.notes { reporter.line("note: " + note) }
    var events = SearchLoop.Events()
    events.shouldStop = { Interrupt.requested }
    events.step = { label, step, total, detail in
      reporter.update(phase: label, step: step, total: total, detail: detail)
    }
    events.unit = { label, _, summary in
      try MetricsFile.write(loop.history, to: dir.metrics)
      reporter.line("\(label)  \(summary)")
    }
    // For resume tests: `NASC_TEST_KILL_AFTER_UNIT=N` ends the process with SIGKILL right after
    // the checkpoint of its N-th unit, as a `kill -9` at exactly that point would.
    let killAfter = ProcessInfo.processInfo.environment["NASC_TEST_KILL_AFTER_UNIT"].flatMap { Int($0) }
    events.checkpoint = {
      try LoopCheckpoint.save(
        loop, spaceHash: spaceHash, hyperparameters: hyperparameters, run: run, to: checkpointURL)
      if let k = killAfter, loop.history.count == k { kill(getpid(), SIGKILL) }
    }
    guard try loop.run(events) else {
      try events.checkpoint()
      reporter.line(
        "interrupted at \(loop.label), step \(loop.position.step): checkpoint saved; continue with --resume")
      return SearchOutcome(genotype: nil, archPath: nil, interrupted: true, finalValAccuracy: nil)
    }
    // A run killed right after its last checkpoint resumes with no unit left: write its metrics here.
    try MetricsFile.write(loop.history, to: dir.metrics)
    var result = try method.result()
    let valAccuracy = loop.history.last?["val_acc"]?.number
    result.valAccuracy = valAccuracy
    let basis =
      result.readOffWeights
      ? RunConfidence.basis(method: method, config: config, data: context.data, valAccuracy: valAccuracy) : nil
    let confidence = basis.flatMap {
      RunConfidence.assess(
        result.architecture, ir: ir, rule: result.derivationRule ?? ir.derive, logits: RunConfidence.logits(method),
        alive: RunConfidence.alive(method), basis: $0, seed: run.seed)
    }
    if let confidence {
      reporter.line(confidence.summary + "; nasc derive --explain \(dir.path) lists them")
      if let w = confidence.warning {
        reporter.line("warning: " + w)
      } else {
        reporter.line(
          "note: beyond gradient noise is not yet reproducible: searches with other seeds can still differ; "
            + "nasc compare RUN RUN... measures seed agreement")
      }
    }
    let space = ArchSpace(ir: ir)
    let archText = space.archDocument(
      result.architecture, spacePath: spaceCopy,
      header: [
        "Derived by nasc search (\(config.name), seed \(run.seed)) from the space \(ir.name).",
        "Train it with: nasc train --arch arch.yaml",
      ] + (confidence?.comments ?? []))
    try AtomicFile.write(archText, to: dir.arch)
    for (name, text) in result.files.sorted(by: { $0.key < $1.key }) { try AtomicFile.write(text, to: dir.file(name)) }
    for (name, a) in result.alternatives.sorted(by: { $0.key < $1.key }) {
      let doc = space.archDocument(
        a, spacePath: spaceCopy,
        header: ["The most accurate architecture of the \(config.name) search that meets --target \(name)."])
      try AtomicFile.write(doc, to: dir.file("arch-\(name).yaml"))
    }
    let genotype = space.nb201(result.architecture)?.description ?? space.genotype(result.architecture)?.description
    if let genotype { try AtomicFile.write(genotype + "\n", to: dir.file("genotype.txt")) }
    if !result.unmet.isEmpty {
      try manifest.write(to: dir.manifest)
      throw RunError(
        "E316", result.unmet.joined(separator: "; "),
        help:
          "arch.yaml (with a --target search, pareto.jsonl and the met targets' files) is written; loosen the target in a new run, or search longer",
        path: dir.path)
    }
    manifest.result = .init(
      genotype: genotype, arch: "arch.yaml", valAccuracy: valAccuracy, signal: result.signal,
      reported: result.reported, units: loop.history.count,
      confidence: confidence.flatMap { c in
        basis.map { .init(decisions: c.entries.count, confident: c.confidentCount, basis: $0) }
      })
    try manifest.write(to: dir.manifest)
    return SearchOutcome(
      genotype: genotype, archPath: dir.arch, interrupted: false, finalValAccuracy: valAccuracy, result: result,
      space: space, history: loop.history, confidence: confidence)
  }

  /// The method context of a run: its data (normalised) unless a table scores the architectures,
  /// and its evaluator.
  static func makeContext(ir: SpaceIR, config: MethodConfig, run: RunSettings) throws -> MethodContext {
    var data: (train: ImageDataset, test: ImageDataset, mean: [Float], std: [Float])?
    var augmentation = Augmentation.none
    if ir.network.tokens != nil {
      if run.trainLimit != nil || run.downsample != nil || run.benchmark != nil {
        throw RunError(
          "E214", "--limit, --downsample and --benchmark apply to image spaces; \(ir.name) reads token sequences",
          help: "drop them; --data kjv (bundled) or ptb:DIR chooses the corpus")
      }
      var c = MethodContext(ir: ir, config: config, run: run, data: nil)
      c.corpus = try DataSource(parsing: run.data).loadCorpus()
      return c
    }
    if run.benchmark == nil {
      let source = try DataSource(parsing: run.data)
      let d = try loadData(source, limit: run.trainLimit, downsample: run.downsample)
      try checkInput(d.train, fits: ir)
      data = d
      augmentation = Self.augmentation(for: source)
    }
    var c = MethodContext(
      ir: ir, config: config, run: run, data: data?.train, augmentation: augmentation,
      evaluator: try evaluator(
        ir: ir, config: config, run: run, data: data.map { ($0.train, $0.test) }, augmentation: augmentation))
    c.normalization = data.map { .init(mean: $0.mean.map(Double.init), std: $0.std.map(Double.init)) }
    return c
  }

}
