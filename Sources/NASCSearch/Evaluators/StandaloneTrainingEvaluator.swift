import NASCData
import Foundation
import NASCSpace
import NASCTensor

/// Scores an architecture by training it from scratch for a small budget (what `nasc train` does):
/// the search signal is the accuracy on a held-out part of the training images, the reported
/// figure the test accuracy. Scores are cached, and each architecture trains with a seed derived
/// from the run's seed and its own text, so the same architecture always gets the same score.
public final class StandaloneTrainingEvaluator: Evaluator {
  /// The space's decisions.
  public let space: ArchSpace
  let ir: SpaceIR
  let train: ImageDataset
  let validation: ImageDataset
  let test: ImageDataset
  let augmentation: Augmentation
  let seed: UInt64
  let threads: Int
  /// Training settings of every evaluation (epochs from `train_epochs`).
  public var settings: TrainSettings
  var cache: [Architecture: Score] = [:]
  /// Queries answered so far.
  public private(set) var queries = 0

  /// Holds out the last fifth of `train` for the search signal.
  public init(
    ir: SpaceIR, train: ImageDataset, test: ImageDataset, augmentation: Augmentation, seed: UInt64, threads: Int,
    epochs: Int = 2, batchSize: Int = 64
  ) {
    self.ir = ir
    space = ArchSpace(ir: ir)
    let (fit, held) = train.split(portion: 0.8)
    self.train = fit
    validation = held
    self.test = test
    self.augmentation = augmentation
    self.seed = seed
    self.threads = threads
    settings = TrainSettings(epochs: epochs, batchSize: batchSize, seed: seed, threads: threads)
  }

  /// What it does.
  public var description: String {
    "stand-alone training: \(settings.epochs) epochs on \(train.count) images; search signal: accuracy on \(validation.count) held-out images; reported: test accuracy on \(test.count)"
  }

  /// The figures' names.
  public var columns: (signal: String, reported: String) { ("held_out_acc", "test_acc") }

  /// A stable 64-bit fingerprint of a text (FNV-1a), for per-architecture seeds.
  static func fingerprint(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 {
      h ^= UInt64(b)
      h = h &* 0x100_0000_01b3
    }
    return h
  }

  /// The fixed network of `a` (the evaluation skeleton where the space has one).
  func network(_ a: Architecture) throws -> SpaceIR {
    let text: String
    let tmp: URL?
    if let s = space.nb201(a) {
      text = s.description
      tmp = nil
    } else if let g = space.genotype(a) {
      text = g.description
      tmp = nil
    } else {
      let url = FileManager.default.temporaryDirectory.appendingPathComponent(
        "nasc-arch-\(ProcessInfo.processInfo.processIdentifier)-\(Self.fingerprint(space.text(a))).yaml")
      try space.archDocument(a, spacePath: RunDirectory.absolute(ir.file), header: []).write(
        to: url, atomically: true, encoding: .utf8)
      text = url.path
      tmp = url
    }
    defer { if let tmp { try? FileManager.default.removeItem(at: tmp) } }
    let result = Compiler.compile(path: ir.file, options: CompileOptions(eval: true, arch: text))
    guard let fixed = result.ir, fixed.mode == .fixed else {
      let first = result.diagnostics.first.map { "\($0.code.rawValue): \($0.message)" } ?? "open choices remain"
      throw RunError(
        "E313", "cannot build the architecture \(space.text(a)) of \(ir.name): \(first)",
        help: "the space's evaluation skeleton must accept every architecture of its search space")
    }
    return fixed
  }

  /// Trains `a` (or answers from the cache).
  public func score(_ a: Architecture) throws -> Score {
    queries += 1
    if let s = cache[a] { return s }
    let fixed = try network(a)
    var s = settings
    s.seed = seed ^ Self.fingerprint(space.text(a))
    let run = try TrainRun(ir: fixed, settings: s, train: train, test: validation, augmentation: augmentation)
    while !run.isFinished { _ = try run.runEpoch() }
    let signal = run.history.last?.testAcc ?? 0
    let reported = run.evaluate(test).accuracy
    let score = Score(signal: 100 * signal, reported: 100 * reported)
    cache[a] = score
    return score
  }
}
