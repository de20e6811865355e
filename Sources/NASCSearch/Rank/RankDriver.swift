import Foundation
import NASCSpace
import NASCTensor

/// `nasc rank`: does a one-shot run's supernet rank architectures as their own training would?
/// Draws architectures, scores each with the run's inherited weights (after BN recalibration) and
/// by stand-alone training, and reports Kendall τ, Spearman ρ and the top-k overlap. Every pair is
/// written to `rank/pairs.jsonl` as it is done; a second call reuses the pairs already there
/// (same architecture and epochs), so an interrupted ranking continues where it stopped.
public enum RankDriver {
  /// What to rank.
  public struct Request: Sendable {
    /// The run directory of a one-shot search.
    public var runDirectory: String
    /// Architectures to draw.
    public var archs: Int
    /// Epochs of stand-alone training per architecture.
    public var trainEpochs: Int
    /// Seed of the draws (stand-alone training seeds each architecture from the run's seed and
    /// its text, so the same architecture always trains the same way).
    public var seed: UInt64
    /// k of the top-k overlap.
    public var top: Int

    /// Creates a request.
    public init(runDirectory: String, archs: Int, trainEpochs: Int, seed: UInt64, top: Int) {
      self.runDirectory = runDirectory
      self.archs = archs
      self.trainEpochs = trainEpochs
      self.seed = seed
      self.top = top
    }
  }

  /// One architecture scored both ways.
  public struct Pair: Codable, Equatable, Sendable {
    /// The architecture as text.
    public var arch: String
    /// Accuracy (%) with the supernet's weights after BN recalibration, on the run's held-out part.
    public var supernet: Double
    /// Test accuracy (%) after stand-alone training.
    public var standalone: Double
    /// Accuracy (%) of the stand-alone network on its held-out fifth of the training images.
    public var standaloneHeldOut: Double
    /// Epochs of stand-alone training.
    public var trainEpochs: Int
    /// The seed.
    public var seed: UInt64
    /// SHA-256 of the checkpoint whose weights gave `supernet` (a pair of other weights is redone).
    public var checkpoint: String?
  }

  /// The pairs and their correlation.
  public struct Outcome: Sendable {
    /// Every pair, in drawing order.
    public var pairs: [Pair]
    /// The correlations (nil when fewer than 2 pairs are done).
    public var correlation: RankCorrelation?
    /// False when interrupted before every pair was done.
    public var complete: Bool
    /// The space's name.
    public var spaceName: String
    /// The run's method.
    public var method: String
    /// Where the pairs are.
    public var directory: String
  }

  /// Ranks; `reporter` shows progress.
  public static func rank(_ request: Request, reporter: ProgressReporter) throws -> Outcome {
    guard (2...10_000).contains(request.archs), (1...100_000).contains(request.trainEpochs),
      (1...10_000).contains(request.top)
    else {
      throw RunError(
        "E310", "--archs must lie in 2...10000, --train-epochs in 1...100000 and --top in 1...10000",
        help: "e.g. nasc rank RUN --archs 20 --train-epochs 5")
    }
    let dir = RunDirectory(path: request.runDirectory)
    let (manifest, _, ir) = try RunSpace.compile(dir)
    guard let type = MethodRegistry.method(named: manifest.method), type is any SharedWeightMethod.Type else {
      let sharing = MethodRegistry.methods.filter { $0 is any SharedWeightMethod.Type }.map { $0.name }
      throw RunError(
        "E317", "a \(manifest.method) run has no shared supernet weights to rank architectures with",
        help: "rank a run of \(sharing.joined(separator: ", ")); a \(manifest.method) run's arch.yaml is its result",
        path: dir.path)
    }
    let url = URL(fileURLWithPath: dir.checkpoint)
    let info = try LoopCheckpoint.info(at: url)
    let weightsHash = Fingerprint.sha256(Array((try? Data(contentsOf: url)) ?? Data()))
    guard let config = ir.method else {
      throw RunError("E305", "the run's space has no search block", help: "restore the run's copy of its space")
    }
    let context = try SearchDriver.makeContext(ir: ir, config: config, run: info.run)
    guard let standalone = context.evaluator as? StandaloneTrainingEvaluator else {
      throw RunError("E205", "the run was scored by a table, not trained on data", help: "rank a run on --data")
    }
    standalone.settings.epochs = request.trainEpochs
    let method = try MethodRegistry.make(context)
    _ = try LoopCheckpoint.resume(method, from: url, spaceHash: info.spaceHash)
    guard let shared = method as? any SharedWeightMethod else { preconditionFailure("checked above") }
    let net = shared.supernet
    let inherited = net.evaluator()
    let total = method.phases.reduce(0) { $0 + $1.units }
    let done = method.phases.prefix(info.loop.position.phase).reduce(0) { $0 + $1.units } + info.loop.position.unit
    if done < total {
      reporter.line(
        "note: the run stopped after \(done) of its \(total) units: these are the weights of an unfinished supernet")
    }

    let out = RunDirectory(path: dir.file("rank"))
    try FileManager.default.createDirectory(atPath: out.path, withIntermediateDirectories: true)
    let pairsPath = out.file("pairs.jsonl")
    var cache = [String: Pair]()
    if let text = try? String(contentsOfFile: pairsPath, encoding: .utf8) {
      for line in text.split(separator: "\n") {
        if let p = try? JSONDecoder().decode(Pair.self, from: Data(line.utf8)) { cache[p.arch] = p }
      }
    }
    var rng = RNG(seed: request.seed)
    var drawn = [Architecture](), seen = Set<Architecture>()
    for _ in 0..<(20 * request.archs) where drawn.count < request.archs {
      let a = net.space.sample(rng: &rng)
      if seen.insert(a).inserted { drawn.append(a) }
    }
    guard drawn.count >= 2 else {
      throw RunError(
        "E310", "\(ir.name) has \(drawn.count) architecture\(drawn.count == 1 ? "" : "s"): there is nothing to rank",
        help: "rank a run of a space with at least two architectures")
    }
    reporter.line(
      "rank \(drawn.count) architectures of \(ir.name) (\(manifest.method) run \(dir.path)): \(shared.rankScoreDescription) vs "
        + "\(request.trainEpochs) epochs of stand-alone training, seed \(request.seed)")
    Interrupt.install()
    var pairs = [Pair]()
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    var complete = true
    for (i, a) in drawn.enumerated() {
      if Interrupt.requested {
        complete = false
        break
      }
      let text = net.space.text(a)
      if let p = cache[text], p.trainEpochs == request.trainEpochs, p.checkpoint == weightsHash {
        pairs.append(p)
        continue
      }
      reporter.update(phase: "rank", step: i, total: drawn.count, detail: text)
      let s = try shared.rankScore(a).map { Score(signal: $0, reported: nil) } ?? inherited.score(a)
      let t = try standalone.score(a)
      let pair = Pair(
        arch: text, supernet: s.signal, standalone: t.reported ?? t.signal, standaloneHeldOut: t.signal,
        trainEpochs: request.trainEpochs, seed: request.seed, checkpoint: weightsHash)
      pairs.append(pair)
      cache[text] = pair
      reporter.line(
        String(format: "rank %d/%d  supernet %.2f%%  stand-alone %.2f%%", i + 1, drawn.count, s.signal, pair.standalone)
      )
      let lines = cache.values.sorted { $0.arch < $1.arch }.map {
        String(decoding: (try? encoder.encode($0)) ?? Data(), as: UTF8.self)
      }
      try AtomicFile.write(lines.joined(separator: "\n") + "\n", to: pairsPath)
    }
    let correlation =
      pairs.count >= 2
      ? RankCorrelation(pairs.map(\.supernet), pairs.map(\.standalone), k: request.top) : nil
    if let correlation, complete {
      // τ and ρ are undefined (NaN) when one scoring gives every architecture the same figure.
      let json = JSONEncoder()
      json.outputFormatting = [.sortedKeys]
      json.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "undefined")
      let data = try json.encode(correlation)
      try AtomicFile.write(String(decoding: data, as: UTF8.self) + "\n", to: out.file("summary.json"))
    }
    return Outcome(
      pairs: pairs, correlation: correlation, complete: complete, spaceName: ir.name, method: manifest.method,
      directory: out.path)
  }
}
