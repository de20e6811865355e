import Foundation
import NASCSpace
import NASCTensor

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
    /// Every decision's margin against the run's noise level (with `explain`).
    public var confidence: DerivationConfidence? = nil
  }

  /// Reads α (and β) from `runDirectory`'s checkpoint and applies `rule` (or the space's rule)
  /// with `k`; no network is built and no data is read.
  /// With `explain`, also the margin of every decision against the noise level the search
  /// recorded (`E311` when it recorded none: a method without α, or a run of an older nasc).
  public static func derive(runDirectory: String, rule: String?, k: Int?, write: Bool, explain: Bool = false) throws
    -> Outcome
  {
    let dir = RunDirectory(path: runDirectory)
    let (manifest, result, ir) = try RunSpace.compile(dir)
    // Rewriting arch.yaml while a search or another derive writes there would mix their files.
    let lock = write ? try RunLock(directory: dir.path) : nil
    defer { withExtendedLifetime(lock) {} }
    let url = URL(fileURLWithPath: dir.checkpoint)
    let logits = try LoopCheckpoint.tensors(of: "arch", at: url)
    guard !logits.isEmpty else {
      throw RunError(
        "E311", "this \(manifest.method) run has no architecture weights to re-derive from",
        help: "its arch.yaml already holds the best architecture it evaluated")
    }
    if let route = ir.network.route, route.pathChoice != nil {
      return try deriveRoute(
        route, ir: ir, logits: logits, manifest: manifest, dir: dir, rule: rule, result: result, write: write)
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
      // Every node keeps k of its inputs: the node with the fewest bounds k.
      let inputs = ir.choicePoints.filter { $0.kind == .inputs }
      if let fewest = inputs.min(by: { $0.candidates.count < $1.candidates.count }), k > fewest.candidates.count {
        throw RunError(
          "E311", "--k \(k) is more than the \(fewest.candidates.count) inputs of \(fewest.id)",
          help: "choose --k from 1 to \(fewest.candidates.count); the space's own rule keeps \(ir.derive.k)")
      }
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
    var confidence: DerivationConfidence?
    let basis = manifest.result?.confidence?.basis
    if explain && basis == nil {
      throw RunError(
        "E311", "this \(manifest.method) run recorded no noise level for its decisions",
        help: "runs of DARTS, GDAS, PC-DARTS, P-DARTS, FBNet and ProxylessNAS record one when they finish")
    }
    if let basis, explain || write {
      try RunConfidence.check(basis, path: dir.manifest)
      confidence = RunConfidence.assess(
        a, ir: ir, rule: r, logits: logits, alive: alive, basis: basis, seed: manifest.run.seed)
    }
    if write {
      try AtomicFile.write(doc, to: dir.arch)
      if let genotype { try AtomicFile.write(genotype + "\n", to: dir.file("genotype.txt")) }
      // The manifest's counts describe the architecture now in arch.yaml.
      if let basis, manifest.result != nil {
        var m = manifest
        m.result?.confidence =
          confidence.map { .init(decisions: $0.entries.count, confident: $0.confidentCount, basis: basis) }
          ?? manifest.result?.confidence
        try m.write(to: dir.manifest)
      }
    }
    return Outcome(
      genotype: genotype, archDocument: doc, diagnostics: result.diagnostics, sources: result.sources,
      confidence: confidence)
  }

  /// A routing space's re-derivation: Viterbi over softmax(β / T) (T the run's `softmax_temp`) and
  /// the argmax op of each head and stacked layer on the path; with the run's `latency_target`, the
  /// most probable route within it when the Viterbi one exceeds it (costs from the run's table).
  static func deriveRoute(
    _ route: RouteIR, ir: SpaceIR, logits: [String: Tensor], manifest: RunManifest, dir: RunDirectory,
    rule: String?, result: CompileResult, write: Bool
  ) throws -> Outcome {
    if let rule, rule != DeriveRuleKind.viterbi.rawValue {
      throw RunError(
        "E311", "a routing space derives by viterbi, not '\(rule)'", help: "drop --rule, or pass --rule viterbi")
    }
    for cp in ir.choicePoints {
      guard let t = logits[cp.id], t.shape == [cp.candidates.count], t.scalars.allSatisfy(\.isFinite) else {
        throw RunError(
          "E304", "the checkpoint has no \(cp.candidates.count) finite weights for \(cp.id)",
          help: "the checkpoint belongs to another space or was damaged", path: dir.checkpoint)
      }
    }
    /// The run's setting `key` as written in the manifest (strings unquoted).
    func setting(_ key: String) -> String? {
      guard let kv = manifest.hyperparameters.first(where: { $0.hasPrefix(key + "=") }) else { return nil }
      var v = String(kv.dropFirst(key.count + 1))
      if v.count >= 2, v.hasPrefix("\""), v.hasSuffix("\"") {
        v = String(v.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
          .replacingOccurrences(of: "\\\\", with: "\\")
      }
      return v
    }
    let temperature = setting("softmax_temp").flatMap { Float($0) } ?? 1
    let target = setting("latency_target").flatMap { Double($0) } ?? 0
    guard temperature.isFinite, temperature > 0, target.isFinite, target >= 0 else {
      throw RunError(
        "E303", "the run's manifest has softmax_temp \(temperature) and latency_target \(target)",
        help: "the manifest was edited or damaged", path: dir.manifest)
    }
    // With a latency target the search derived within it: so does this, from the run's table.
    let costs = try RouteCosts(
      ir: ir, tablePath: target > 0 ? setting("latency_table") ?? "" : "",
      anyConditions: setting("latency_conditions") == "any", macUnit: ("MMACs", 1e6), method: manifest.method)
    var probabilities = [Int: [Double]]()
    for b in route.blocks {
      guard let id = b.next, let beta = logits[id] else { continue }
      probabilities[b.index] = (beta * (1 / temperature)).softmax().scalars.map(Double.init)
    }
    let space = ArchSpace(ir: ir)
    guard let unit = space.routeUnit,
      let d = ViterbiPath.derive(
        unit, probabilities: probabilities, logits: { logits[$0]?.scalars }, names: { ir.choicePoint($0)?.candidates },
        costs: costs, target: target)
    else {
      throw RunError(
        "E316", String(format: "no architecture of %@ meets the run's latency_target %.4g", ir.name, target),
        help: "the search's own derivation failed the same way")
    }
    let doc = space.archDocument(
      Architecture(decisions: [unit.key: .route(d)]),
      spacePath: manifest.spaceCopy ?? dir.relativePath(to: manifest.space),
      header: ["Derived by nasc derive (viterbi) from a \(manifest.method) search of \(ir.name)."])
    if write { try AtomicFile.write(doc, to: dir.arch) }
    return Outcome(genotype: nil, archDocument: doc, diagnostics: result.diagnostics, sources: result.sources)
  }
}
