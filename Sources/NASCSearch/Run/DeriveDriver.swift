import Foundation
import NASCSpace

/// Re-derives an architecture from a search run's checkpoint (`nasc derive`).
public enum DeriveDriver {
  /// What a re-derivation produced.
  public struct Outcome: Sendable {
    /// The genotype string, if the space has DARTS-style cells.
    public var genotype: String?
    /// The arch document.
    public var archDocument: String
    /// Diagnostics of recompiling the space.
    public var diagnostics: [Diagnostic]
    /// Their sources.
    public var sources: [String: String]
  }

  /// Rebuilds the run from `runDirectory`'s manifest and checkpoint and applies `rule` (or the
  /// space's rule) with `k`.
  public static func derive(runDirectory: String, rule: String?, k: Int?, write: Bool) throws -> Outcome {
    let dir = RunDirectory(path: runDirectory)
    let manifest = try RunManifest.read(from: dir.manifest)
    let copy = dir.spaceCopy(manifest).flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
    let spacePath = copy ?? manifest.space
    let result = Compiler.compile(path: spacePath, options: CompileOptions(method: manifest.settings.method))
    guard let ir = result.ir else {
      throw SearchError(
        "E305", "cannot compile the run's space \(spacePath)",
        help: copy == nil
          ? "restore the space file the search started from"
          : "restore the run's copy of its space (space/ in the run)",
        path: spacePath)
    }
    let hash = SearchDriver.spaceHash(sources: result.sources)
    var settings = manifest.settings
    settings.trainLimit = 64  // only the architecture is needed; no data is used
    let data = SearchBenchmark.syntheticData(shape: ir.network.input, classes: ir.network.classes, batch: 32, seed: 0)
    let run = try SearchRun(ir: ir, settings: settings, data: data)
    try run.restore(from: URL(fileURLWithPath: dir.checkpoint), spaceHash: hash)
    var r = ir.derive
    if let rule {
      guard let kind = DeriveRuleKind(rawValue: rule), [.topKEdges, .topKPairs, .argmax].contains(kind) else {
        throw SearchError(
          "E311", "unknown or unsupported derivation rule '\(rule)'", help: "use top_k_edges, top_k_pairs or argmax")
      }
      r.kind = kind
    }
    if let k {
      guard k >= 1 else { throw SearchError("E311", "--k must be at least 1", help: "DARTS keeps 2 inputs per node") }
      r.k = k
    }
    let derived = try run.derive(rule: r)
    let doc = derived.archDocument(
      spacePath: manifest.spaceCopy ?? dir.relativePath(to: manifest.space),
      header: [
        "Derived by nasc derive (\(r.kind.rawValue), k = \(r.k)) from a \(settings.method) search of \(ir.name)."
      ])
    let genotype = derived.genotype?.description ?? derived.nb201?.description
    if write {
      try AtomicFile.write(doc, to: dir.arch)
      if let genotype { try AtomicFile.write(genotype + "\n", to: dir.file("genotype.txt")) }
    }
    return Outcome(genotype: genotype, archDocument: doc, diagnostics: result.diagnostics, sources: result.sources)
  }
}
