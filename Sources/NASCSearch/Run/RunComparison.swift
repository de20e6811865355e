import Foundation
import NASCSpace
import NASCTensor

/// How far searches of one space agree on what they derived (`nasc compare`): the share of
/// decisions two runs make alike, per cell type and overall, averaged over every pair of runs,
/// beside the share two uniform random architectures of the rule share by chance.
public struct RunComparison: Codable, Sendable {
  /// One run.
  public struct Run: Codable, Sendable {
    /// Its directory.
    public var path: String
    /// Its method.
    public var method: String
    /// Its seed.
    public var seed: UInt64
    /// Its decisions confident beyond noise, and all of them, when it recorded them.
    public var confident: Int?
    /// Its decisions with margins.
    public var decisions: Int?
  }

  /// The agreement of one group of decisions (a cell type, or all of them).
  public struct Agreement: Codable, Sendable {
    /// `normal`, `reduce`, `layers` or `overall`.
    public var group: String
    /// Mean share of decisions two runs make alike: the same op on an op unit; in a node, the
    /// share of kept (op, input) pairs they have in common.
    public var decisions: Double
    /// In nodes only: the share of kept inputs they have in common, whatever the op (nil without nodes).
    public var inputs: Double?
    /// The same shares for two uniform random architectures of the rule (chance agreement).
    public var chanceDecisions: Double
    /// Chance share of kept inputs.
    public var chanceInputs: Double?
  }

  /// The space.
  public var space: String
  /// The runs.
  public var runs: [Run]
  /// Per group, then `overall`.
  public var agreement: [Agreement]
  /// How many different architectures the runs derived.
  public var distinct: Int
  /// Where the runs differ beyond their seeds (data, method, settings): then agreement mixes
  /// seed noise with those differences.
  public var differences: [String] = []

  /// Compares the finished runs in `directories` (at least two, all of one space).
  public static func compare(_ directories: [String]) throws -> RunComparison {
    guard directories.count >= 2 else {
      throw RunError(
        "E331", "nasc compare needs at least two run directories", help: "e.g. nasc compare runs/s1 runs/s2")
    }
    let resolved = directories.map { URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath().path }
    if let twice = resolved.first(where: { p in resolved.filter { $0 == p }.count > 1 }) {
      throw RunError(
        "E331", "\(twice) is given twice",
        help: "compare different runs, e.g. the same space searched with --seed 1, 2, 3")
    }
    var runs = [Run](), archs = [Architecture](), spaces = [(hash: String, name: String)]()
    var manifests = [RunManifest]()
    var space: ArchSpace?
    var rule: DeriveRule?
    for path in directories {
      let dir = RunDirectory(path: path)
      let (manifest, _, ir) = try RunSpace.compile(dir)
      guard manifest.result != nil, let text = try? String(contentsOfFile: dir.arch, encoding: .utf8) else {
        throw RunError(
          "E302", "\(path) has no finished search (no result in manifest.json, or no arch.yaml)",
          help: "finish it with nasc search ... --out \(path) --resume", path: dir.arch)
      }
      let s = ArchSpace(ir: ir)
      guard let a = s.decode(archDocument: text) else {
        throw RunError(
          "E304",
          "\(dir.arch) is not an architecture of \(ir.name) under its rule (\(ir.derive.kind.rawValue), k = \(ir.derive.k))",
          help:
            "it was rewritten with another rule or k (nasc derive --write --rule/--k); write the space's own back with nasc derive \(path) --write",
          path: dir.arch)
      }
      if let first = rule, first.kind != ir.derive.kind || first.k != ir.derive.k {
        throw RunError(
          "E331",
          "\(path) derives by \(ir.derive.kind.rawValue) (k = \(ir.derive.k)), \(directories[0]) by \(first.kind.rawValue) (k = \(first.k))",
          help: "architectures of different rules agree by chance to different degrees; compare runs of one rule")
      }
      if let first = spaces.first, first.hash != manifest.spaceHash {
        throw RunError(
          "E331",
          "\(path) searched \(manifest.spaceName) (space hash \(manifest.spaceHash.prefix(12))), not the \(first.name) (\(first.hash.prefix(12))) of \(directories[0])",
          help: "compare runs of the same space file", path: dir.manifest)
      }
      spaces.append((manifest.spaceHash, manifest.spaceName))
      manifests.append(manifest)
      rule = rule ?? ir.derive
      space = space ?? s
      archs.append(a)
      runs.append(
        Run(
          path: path, method: manifest.method, seed: manifest.run.seed,
          confident: manifest.result?.confidence?.confident,
          decisions: manifest.result?.confidence?.decisions))
    }
    let s = space!
    var rng = RNG(seed: 0x5EED)
    let randoms = (0..<400).map { _ in s.sample(rng: &rng) }
    func mean(_ pairs: [(Architecture, Architecture)], _ group: String) -> (Double, Double?) {
      let scores = pairs.map { RunComparison.agreement($0.0, $0.1, space: s, group: group) }
      let d = scores.map(\.decisions).reduce(0, +) / Double(scores.count)
      let inputs = scores.compactMap(\.inputs)
      return (d, inputs.isEmpty ? nil : inputs.reduce(0, +) / Double(inputs.count))
    }
    var pairs = [(Architecture, Architecture)]()
    for i in archs.indices { for j in archs.indices where j > i { pairs.append((archs[i], archs[j])) } }
    let chancePairs = stride(from: 0, to: randoms.count - 1, by: 2).map { (randoms[$0], randoms[$0 + 1]) }
    var groups = [String]()
    for u in s.units {
      let g = group(of: u)
      if !groups.contains(g) { groups.append(g) }
    }
    if groups.count > 1 { groups.append("overall") }
    let agreement = groups.map { g -> Agreement in
      let (d, i) = mean(pairs, g), (cd, ci) = mean(chancePairs, g)
      return Agreement(group: g, decisions: d, inputs: i, chanceDecisions: cd, chanceInputs: ci)
    }
    var differences = [String]()
    let m0 = manifests[0]
    for (m, path) in zip(manifests.dropFirst(), directories.dropFirst()) {
      if m.method != m0.method { differences.append("\(path) ran \(m.method), \(directories[0]) \(m0.method)") }
      if m.run.data != m0.run.data || m.run.trainLimit != m0.run.trainLimit || m.run.downsample != m0.run.downsample
        || m.run.benchmark != m0.run.benchmark
      {
        differences.append("\(path) searched other data (\(m.run.data)) than \(directories[0]) (\(m0.run.data))")
      }
      let changed = Set(m.hyperparameters).symmetricDifference(m0.hyperparameters).compactMap {
        $0.split(separator: "=").first.map(String.init)
      }
      if !changed.isEmpty {
        differences.append("\(path) differs from \(directories[0]) in \(Set(changed).sorted().joined(separator: ", "))")
      }
    }
    return RunComparison(
      space: spaces[0].name, runs: runs, agreement: agreement, distinct: Set(archs).count, differences: differences)
  }

  /// The cell template of a node or op unit (`normal`, `reduce`), `layers` for layer-wise units,
  /// `route` for a routing graph.
  static func group(of u: ArchSpace.Unit) -> String {
    switch u {
    case .node(let n): return n.template
    case .op(let o):
      if let dot = o.key.firstIndex(of: "."), o.key[..<dot].allSatisfy({ $0.isLetter || $0 == "_" }) {
        return String(o.key[..<dot])
      }
      return "layers"
    case .route: return "route"
    }
  }

  /// The share of `group`'s decisions (all with `overall`) that `a` and `b` make alike.
  static func agreement(_ a: Architecture, _ b: Architecture, space: ArchSpace, group g: String) -> (
    decisions: Double, inputs: Double?
  ) {
    var same = 0.0, count = 0.0, sameInputs = 0.0, inputCount = 0.0
    for u in space.units where g == "overall" || group(of: u) == g {
      switch u {
      case .op(let o):
        count += 1
        if a.op(o.key) == b.op(o.key) { same += 1 }
      case .node(let n):
        let pa = a.pairs(n.key) ?? [], pb = b.pairs(n.key) ?? []
        var rest = pb
        var common = 0
        for p in pa { if let i = rest.firstIndex(of: p) { rest.remove(at: i); common += 1 } }
        same += Double(common)
        count += Double(n.k)
        var inputsB = pb.map(\.input)
        var commonInputs = 0
        for x in pa.map(\.input) { if let i = inputsB.firstIndex(of: x) { inputsB.remove(at: i); commonInputs += 1 } }
        sameInputs += Double(commonInputs)
        inputCount += Double(n.k)
      case .route(let r):
        count += 1
        if a.route(r.key) == b.route(r.key) { same += 1 }
      }
    }
    return (count == 0 ? 1 : same / count, inputCount == 0 ? nil : sameInputs / inputCount)
  }

  /// The text `nasc compare` prints.
  public var text: String {
    var s =
      "\(runs.count) runs of \(space): "
      + runs.map { r in
        "\(r.path) (\(r.method), seed \(r.seed)"
          + (r.confident.map { c in ", \(c) of \(r.decisions ?? 0) decisions confident" } ?? "") + ")"
      }.joined(separator: ", ") + "\n"
    s +=
      "agreement, mean over \(runs.count * (runs.count - 1) / 2) pairs of runs (chance: two uniform random architectures):\n"
    for a in agreement {
      s += "  " + a.group.padding(toLength: 8, withPad: " ", startingAt: 0)
      s += String(format: "decisions %.2f (chance %.2f)", a.decisions, a.chanceDecisions)
      if let i = a.inputs, let ci = a.chanceInputs { s += String(format: "  inputs %.2f (chance %.2f)", i, ci) }
      s += "\n"
    }
    s += "distinct architectures: \(distinct) of \(runs.count)\n"
    for d in differences { s += "note: \(d): the agreement is not seed agreement alone\n" }
    return s
  }
}
