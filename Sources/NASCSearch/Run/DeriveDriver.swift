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

  /// Reads α (and β) from `runDirectory`'s checkpoint and applies `rule` (or the space's rule)
  /// with `k`; no network is built and no data is read.
  public static func derive(runDirectory: String, rule: String?, k: Int?, write: Bool) throws -> Outcome {
    let dir = RunDirectory(path: runDirectory)
    let (manifest, result, ir) = try RunSpace.compile(dir)
    let url = URL(fileURLWithPath: dir.checkpoint)
    let logits = try LoopCheckpoint.tensors(of: "arch", at: url)
    guard !logits.isEmpty else {
      throw RunError(
        "E311", "this \(manifest.method) run has no architecture weights to re-derive from",
        help: "its arch.yaml already holds the best architecture it evaluated")
    }
    var r = ir.derive
    if let rule {
      guard let kind = DeriveRuleKind(rawValue: rule), Derivation.supported.contains(kind) else {
        throw RunError(
          "E311", "unknown or unsupported derivation rule '\(rule)'", help: "use top_k_edges, top_k_pairs or argmax")
      }
      r.kind = kind
    }
    if let k {
      guard k >= 1 else { throw RunError("E311", "--k must be at least 1", help: "DARTS keeps 2 inputs per node") }
      r.k = k
    }
    // β is saved exactly when the method weighted node inputs (PC-DARTS edge normalisation).
    let edgeNormalization = ir.choicePoints.contains { $0.kind == .inputs && logits[$0.id] != nil }
    // α has one entry per candidate (β one per incoming edge); anything else is not this space's.
    let edges = ArchitectureParameters.incomingEdges(ir)
    for cp in ir.choicePoints {
      guard let t = logits[cp.id] else { continue }
      let want = cp.kind == .inputs ? edges[cp.id] ?? cp.candidates.count : cp.candidates.count
      guard t.shape == [want], t.scalars.allSatisfy(\.isFinite) else {
        throw RunError(
          "E304", "the checkpoint's weights for \(cp.id) have shape \(t.shape), not [\(want)] finite numbers",
          help: "the checkpoint belongs to another space or was damaged", path: url.path)
      }
    }
    // P-DARTS keeps its switches: the ops still alive on each edge in the last stage.
    var alive = [String: [Int]]()
    for (id, t) in try LoopCheckpoint.tensors(of: "switches", at: url) {
      let n = ir.choicePoint(id)?.candidates.count ?? 0
      let live = t.scalars.compactMap { v -> Int? in
        v.isFinite && v == v.rounded() && v >= 0 && v < Float(n) ? Int(v) : nil
      }
      guard !live.isEmpty, live.count == t.count, Set(live).count == live.count else {
        throw RunError(
          "E303", "the checkpoint's switches for \(id) are not a set of its \(n) candidates",
          help: "the file was edited or damaged; re-run the search", path: url.path)
      }
      alive[id] = live
    }
    let a = try Derivation.derive(
      ir: ir, logits: logits, edgeNormalization: edgeNormalization, rule: r, alive: alive)
    let space = ArchSpace(ir: ir, rule: r)
    let doc = space.archDocument(
      a, spacePath: manifest.spaceCopy ?? dir.relativePath(to: manifest.space),
      header: [
        "Derived by nasc derive (\(r.kind.rawValue), k = \(r.k)) from a \(manifest.method) search of \(ir.name)."
      ])
    let genotype = space.nb201(a)?.description ?? space.genotype(a)?.description
    if write {
      try AtomicFile.write(doc, to: dir.arch)
      if let genotype { try AtomicFile.write(genotype + "\n", to: dir.file("genotype.txt")) }
    }
    return Outcome(genotype: genotype, archDocument: doc, diagnostics: result.diagnostics, sources: result.sources)
  }
}
