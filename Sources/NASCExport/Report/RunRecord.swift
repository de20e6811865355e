import Foundation
import NASCSearch
import NASCSpace

/// What a run directory holds, read and checked: the manifest and the compiled space of a search
/// run (or the settings of a training run), its metrics, its derived architecture and, for one-shot
/// runs, the architectures it scored. The input of `RunReport`.
public struct RunRecord: Sendable {
  /// A search run (`nasc search`) or a training run (`nasc train`).
  public enum Kind: Sendable, Equatable {
    /// A search.
    case search
    /// Training one architecture from scratch.
    case train
  }

  /// The run directory.
  public var directory: RunDirectory
  /// Search or training.
  public var kind: Kind
  /// The manifest (search runs).
  public var manifest: RunManifest?
  /// The training settings from the checkpoint (training runs).
  public var trainSettings: TrainSettings?
  /// Every line of `metrics.jsonl`.
  public var history: [Metrics]
  /// The searched space, compiled from the run's copy with the run's method and settings.
  public var space: SpaceIR?
  /// The derived architecture (`arch.yaml` compiled), once the run has finished.
  public var derived: SpaceIR?
  /// Why `arch.yaml` could not be compiled, when the run finished but it cannot.
  public var derivedProblem: String?
  /// `genotype.txt`, if written.
  public var genotype: String?
  /// The pairs of `nasc rank` (`rank/pairs.jsonl`), if it was run.
  public var rankPairs: [RankDriver.Pair]
  /// Its correlations (`rank/summary.json`), if it finished.
  public var rankSummary: RankCorrelation?
  /// The front of a multi-objective search (`pareto.jsonl`): arch text, supernet accuracy, MACs.
  public var front: [(arch: String, accuracy: Double, macs: Int)]
  /// `scores.svg`, the run's own picture of every architecture it scored, if written.
  public var scoresPicture: String?

  /// Reads the run directory at `path`. `E302` when it is not a run directory (missing, not a
  /// directory, no manifest or metrics), `E303` when its manifest, metrics or training checkpoint
  /// is damaged, `E305` when its space no longer compiles.
  public static func read(_ path: String) throws -> RunRecord {
    let dir = RunDirectory(path: path)
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
      throw RunError(
        "E302", "no run directory \(path)", help: "pass the --out directory of a `nasc search` or `nasc train` run",
        path: path)
    }
    guard isDir.boolValue else {
      throw RunError(
        "E302", "\(path) is a file, not a run directory",
        help: "pass the --out directory of a `nasc search` or `nasc train` run", path: path)
    }
    var record = RunRecord(
      directory: dir, kind: .search, manifest: nil, trainSettings: nil, history: [], space: nil, derived: nil,
      derivedProblem: nil, genotype: nil, rankPairs: [], rankSummary: nil, front: [], scoresPicture: nil)
    if fm.fileExists(atPath: dir.manifest) {
      record.manifest = try RunManifest.read(from: dir.manifest)
    } else if fm.fileExists(atPath: dir.checkpoint), fm.fileExists(atPath: dir.metrics) {
      // A training run keeps its settings in the checkpoint; a search checkpoint without its
      // manifest is a search run that lost it.
      let url = URL(fileURLWithPath: dir.checkpoint)
      do { record.trainSettings = try TrainRun.checkpointSettings(at: url) } catch let e as RunError {
        if (try? LoopCheckpoint.info(at: url)) != nil {
          throw RunError(
            "E302", "the search run has no manifest.json",
            help: "`nasc search SPACE --out \(path) --resume` rewrites it from the checkpoint", path: dir.manifest)
        }
        throw e
      }
      record.kind = .train
    } else {
      throw RunError(
        "E302", "\(path) is not a run directory (no manifest.json)",
        help: "pass the --out directory of a `nasc search` or `nasc train` run", path: dir.manifest)
    }
    record.history = try MetricsLog.read(from: dir.metrics)
    if let manifest = record.manifest {
      record.space = try compileSpace(manifest, dir: dir)
      if let result = manifest.result { record.readDerived(dir.file(result.arch)) }
    }
    record.genotype = (try? String(contentsOfFile: dir.file("genotype.txt"), encoding: .utf8))?
      .trimmingCharacters(in: .whitespacesAndNewlines)
    record.readRanking()
    if let svg = try? String(contentsOfFile: dir.file("scores.svg"), encoding: .utf8), svg.contains("<svg") {
      record.scoresPicture = svg
    }
    return record
  }

  /// The run's space compiled from its copy (or the file it names when the copy is gone) with the
  /// run's method and hyperparameters; `E305` when it does not compile, `E304` when it is not the
  /// space the run's checkpoint was trained on.
  static func compileSpace(_ manifest: RunManifest, dir: RunDirectory) throws -> SpaceIR {
    let copy = dir.spaceCopy(manifest).flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
    let spacePath = copy ?? manifest.space
    let result = Compiler.compile(
      path: spacePath, options: CompileOptions(method: manifest.method, settings: manifest.hyperparameters))
    guard let ir = result.ir else {
      let first = result.diagnostics.first { $0.severity == .error }.map { ": " + $0.message } ?? ""
      throw RunError(
        "E305", "cannot compile the run's space \(spacePath)\(first)",
        help: copy == nil
          ? "restore the space file the search started from"
          : "restore the run's copy of its space (space/ in the run)",
        path: spacePath)
    }
    // The pictures read the run's α by the space's choice points: a changed space would misread them.
    let checkpoint = URL(fileURLWithPath: dir.checkpoint)
    if FileManager.default.fileExists(atPath: checkpoint.path) {
      try RunSpace.checkHash(result, checkpoint: checkpoint)
    }
    return ir
  }

  /// Compiles the derived architecture; a problem is noted on the page rather than refused (the
  /// rest of the run is still worth reading).
  mutating func readDerived(_ path: String) {
    guard FileManager.default.fileExists(atPath: path) else {
      derivedProblem = "the run finished but its \((path as NSString).lastPathComponent) is missing"
      return
    }
    let result = Compiler.compile(path: path)
    if let ir = result.ir, ir.mode == .fixed {
      derived = ir
    } else {
      let first = result.diagnostics.first { $0.severity == .error }?.message ?? "it is not a decided architecture"
      derivedProblem = "\((path as NSString).lastPathComponent) does not compile: \(first)"
    }
  }

  /// `rank/pairs.jsonl`, `rank/summary.json` and `pareto.jsonl`, where present; lines that do not
  /// read are skipped (they are caches the commands that wrote them redo).
  mutating func readRanking() {
    let decoder = JSONDecoder()
    func lines(_ name: String) -> [Substring] {
      ((try? String(contentsOfFile: directory.file(name), encoding: .utf8)) ?? "").split(separator: "\n")
    }
    rankPairs = lines("rank/pairs.jsonl").compactMap { try? decoder.decode(RankDriver.Pair.self, from: Data($0.utf8)) }
    if let d = FileManager.default.contents(atPath: directory.file("rank/summary.json")) {
      // τ and ρ are written as "undefined" when one scoring ties every architecture.
      let summary = JSONDecoder()
      summary.nonConformingFloatDecodingStrategy = .convertFromString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "undefined")
      rankSummary = try? summary.decode(RankCorrelation.self, from: d)
    }
    front = lines("pareto.jsonl").compactMap { line in
      guard case .map(let m)? = try? decoder.decode(MetricValue.self, from: Data(line.utf8)),
        case .text(let arch)? = m["arch"], let acc = m["supernet_val_acc"]?.number, case .int(let macs)? = m["macs"]
      else { return nil }
      return (arch, acc, macs)
    }
  }

  /// The method's name (`train` for a training run).
  public var method: String { manifest?.method ?? "train" }

  /// The space's name, or the run directory's for a training run.
  public var name: String {
    manifest?.spaceName ?? (RunDirectory.absolute(directory.path) as NSString).lastPathComponent
  }
}
