import BigInt
import Foundation

/// Options of one compilation.
public struct CompileOptions: Sendable {
  /// Use the evaluation skeleton (`eval:`) where the space declares one.
  public var eval: Bool
  /// A fixed architecture: an arch file path, a DARTS genotype string or an NB201 string.
  public var arch: String?
  /// A search method that replaces the space's `search.method` (`nasc search --method`): its paper
  /// defaults apply, overridden by those keys of the space's `search:` block that it also has.
  public var method: String?
  /// An input shape that replaces the space's `input:` channels and size (benchmarks run one space
  /// at several resolutions).
  public var input: Shape?
  /// A class count that replaces the space's `input: classes` (`nasc train --fit-data`).
  public var classes: Int?
  /// Hyperparameters set on the command line (`nasc search --set KEY=VALUE`), as `KEY=VALUE` texts;
  /// they win over the space's `search:` block. Diagnostics point into the file `<command line>`, one
  /// line per setting.
  public var settings: [String] = []
  /// A cell count that replaces the skeleton's `cells:` (P-DARTS' deeper stages); reductions then
  /// sit at the thirds (`cells / 3`, `2 · cells / 3`) whatever the space lists.
  public var cells: Int?

  /// Creates options.
  public init(
    eval: Bool = false, arch: String? = nil, method: String? = nil, input: Shape? = nil, settings: [String] = [],
    cells: Int? = nil
  ) {
    self.eval = eval
    self.arch = arch
    self.method = method
    self.input = input
    self.settings = settings
    self.cells = cells
  }

  /// Creates options that build the network at another input shape and class count.
  public init(eval: Bool = false, arch: String? = nil, input: Shape, classes: Int) {
    self.init(eval: eval, arch: arch, input: input)
    self.classes = classes
  }
}

/// What a compilation produced: the IR when there were no errors, and every diagnostic.
public struct CompileResult: Sendable {
  /// The IR, or nil when errors prevented it.
  public var ir: SpaceIR?
  /// All diagnostics (errors, warnings, notes), capped per file.
  public var diagnostics: [Diagnostic]
  /// The text of every file read, for caret snippets.
  public var sources: [String: String]

  /// True when at least one error was reported.
  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// A decided architecture before it is matched against a space.
enum ArchSpec {
  case genotype(DartsGenotype, SourceLocation)
  case nb201(NB201Arch, SourceLocation)
  case choices(SyntaxNode)
}

/// The front end's entry points: file → checked IR.
public enum Compiler {
  /// The built-in op library as a syntax tree (parsed once).
  static let builtinRoot: SyntaxNode? = {
    var bag = DiagnosticBag()
    return SourceLoader.parse(bytes: Array(BuiltinOps.yaml.utf8), path: BuiltinOps.fileName, diags: &bag).root
  }()

  /// Compiles the space at `path` (or the space an arch document names).
  public static func compile(path: String, options: CompileOptions = CompileOptions()) -> CompileResult {
    var bag = DiagnosticBag()
    guard let loaded = SpaceLoader.load(path: path, diags: &bag) else {
      return CompileResult(ir: nil, diagnostics: bag.all, sources: [:])
    }
    var sources = loaded.sources
    var root = loaded.root
    var spacePath = path
    var arch: ArchSpec? = nil
    checkSchema(root, &bag)
    // An arch document compiled on its own: compile its space with its decisions.
    if root["network"] == nil, let a = root["arch"] {
      guard let sp = a["space"]?.scalar else {
        bag.add(
          Diagnostic(
            .missingKey, "an arch document compiled on its own needs 'space:'", at: a.location,
            help: "add 'space: ../spaces/darts-cnn.yaml' or pass the space and use --arch"))
        return CompileResult(ir: nil, diagnostics: bag.all, sources: sources)
      }
      let dir = (path as NSString).deletingLastPathComponent
      spacePath = sp.hasPrefix("/") ? sp : (dir.isEmpty ? sp : dir + "/" + sp)
      arch = archSpec(from: a, &bag)
      // Confined as `extends:` is (E062): an arch file from elsewhere must not make nasc read, and
      // quote, a file outside the project.
      let sn = a["space"]!
      let projectRoot = SpaceLoader.projectRoot(for: path)
      let inside = projectRoot.hasSuffix("/") ? projectRoot : projectRoot + "/"
      let real = SpaceLoader.realPath(spacePath)
      if sp.hasPrefix("/") || !(real == projectRoot || real.hasPrefix(inside)) {
        bag.add(
          Diagnostic(
            .extendsEscapes,
            sp.hasPrefix("/")
              ? "the arch document's space '\(sp)' is absolute"
              : "the arch document's space '\(sp)' leaves the project root \(projectRoot)",
            at: sn.location, length: sn.length,
            help:
              "write 'space:' relative to the arch document inside its project, or pass the space: nasc compile SPACE --arch \(path)"
          ))
        return CompileResult(ir: nil, diagnostics: bag.all, sources: sources)
      }
      if !FileManager.default.fileExists(atPath: spacePath) {
        bag.add(
          Diagnostic(
            .unreadable, "the arch document's space '\(sp)' does not exist", at: sn.location, length: sn.length,
            help: "'space:' is relative to the arch document"))
        return CompileResult(ir: nil, diagnostics: bag.all, sources: sources)
      }
      guard let l2 = SpaceLoader.load(path: spacePath, diags: &bag) else {
        return CompileResult(ir: nil, diagnostics: bag.all, sources: sources)
      }
      sources.merge(l2.sources) { a, _ in a }
      root = l2.root
      checkSchema(root, &bag)
    }
    if let text = options.arch {
      arch = parseArchArgument(text, &bag, sources: &sources)
      if arch == nil { return CompileResult(ir: nil, diagnostics: bag.all, sources: sources) }
    }
    var extra: [(key: SyntaxNode, value: SyntaxNode)] = []
    if !options.settings.isEmpty {
      extra = commandLineSettings(options.settings, &bag, sources: &sources)
    }
    let ir = compile(
      root: root, path: spacePath, eval: options.eval, arch: arch, method: options.method, input: options.input,
      classes: options.classes, settings: extra, cells: options.cells, &bag)
    let all = bag.all
    return CompileResult(ir: all.contains { $0.severity == .error } ? nil : ir, diagnostics: all, sources: sources)
  }

  /// Checks a file the way `nasc validate` does: the search supernet, the evaluation skeleton if any,
  /// an arch document against its space, or a library file's ops.
  public static func validate(path: String) -> CompileResult {
    var bag = DiagnosticBag()
    guard let loaded = SpaceLoader.load(path: path, diags: &bag) else {
      return CompileResult(ir: nil, diagnostics: bag.all, sources: [:])
    }
    let root = loaded.root
    checkSchema(root, &bag)
    if root["network"] == nil {
      if root["arch"] != nil {
        let r = compile(path: path)
        bag.add(contentsOf: r.diagnostics)
        return CompileResult(ir: nil, diagnostics: bag.all, sources: loaded.sources.merging(r.sources) { a, _ in a })
      }
      // A library: check every op template once with nominal sizes.
      let ex = Expander(root: root, builtin: builtinRoot)
      checkUnusedOps(ex, root: root)
      checkCandidateLists(ex, root: root)
      checkUnusedCells(ex, root: root)
      bag.add(contentsOf: ex.diags)
      return CompileResult(ir: nil, diagnostics: bag.all, sources: loaded.sources)
    }
    let ir = compile(root: root, path: path, eval: false, arch: nil, &bag)
    if root["eval"] != nil {
      _ = compile(root: root, path: path, eval: true, arch: nil, &bag)
    }
    let all = bag.all
    return CompileResult(
      ir: all.contains { $0.severity == .error } ? nil : ir, diagnostics: all, sources: loaded.sources)
  }

  static func checkSchema(_ root: SyntaxNode, _ bag: inout DiagnosticBag) {
    var v = SchemaValidator()
    v.validate(root, DSLSchema.root)
    let versionNode = root["nasc"]
    for d in v.diagnostics {
      if d.code == .invalidValue, let m = root["search"]?["method"], d.location == m.location { continue }
      if let vn = versionNode, d.location == vn.location, d.code == .outOfRange || d.code == .wrongType {
        bag.add(
          Diagnostic(
            .unsupportedVersion, "unsupported language version '\(vn.scalar ?? "")'", at: d.location, length: d.length,
            help: "this nasc understands 'nasc: 1'"))
      } else {
        bag.add(d)
      }
    }
  }

  /// The skeleton for a compilation: `network`, with `eval` merged over it when asked.
  static func skeleton(_ root: SyntaxNode, eval: Bool) -> SyntaxNode? {
    guard let net = root["network"] else { return nil }
    guard eval, let ev = root["eval"], let evp = ev.pairs, let np = net.pairs else { return net }
    var out = np.filter { e in !evp.contains { $0.key.scalar == e.key.scalar } }
    out += evp
    return ev.located(.mapping(out))
  }

  /// Compiles an already loaded (and schema-checked) root.
  static func compile(
    root: SyntaxNode, path: String, eval: Bool, arch: ArchSpec?, method override: String? = nil,
    input inputOverride: Shape? = nil, classes classesOverride: Int? = nil,
    settings: [(key: SyntaxNode, value: SyntaxNode)] = [], cells: Int? = nil,
    _ bag: inout DiagnosticBag
  ) -> SpaceIR? {
    let method = methodConfig(root, override: override, settings: settings, &bag)
    let overridden = override != nil && root["search"]?["method"]?.scalar != override
    let derive = deriveRule(root, method: method, methodOverridden: overridden)
    guard let sk = skeleton(root, eval: eval) else {
      bag.add(
        Diagnostic(
          .missingKey, "the space has no 'network'", at: root.location,
          help: "add a 'network:' with a stem, cells or a body, and a head (see Grammar.md)"))
      return nil
    }
    let inputNode = root["input"]
    var channels = inputNode?["tokens"] != nil ? 1 : (inputNode?["channels"]?.int ?? 3)
    var h = 32, w = 32
    if let s = inputNode?["size"] {
      if let v = s.int {
        h = v; w = v
      } else if let it = s.items, it.count == 2, let a = it[0].int, let b = it[1].int {
        h = a; w = b
      }
    }
    let tokens = inputNode?["tokens"]?.int
    if tokens != nil { (h, w) = (1, 1) }
    if let o = inputOverride { (channels, h, w) = (o.channels, o.height, o.width) }
    let classes = classesOverride ?? inputNode?["classes"]?.int ?? tokens ?? 10
    guard (1...65536).contains(channels), (1...65536).contains(h), (1...65536).contains(w),
      (1...10_000_000).contains(classes)
    else { return nil }  // reported by the schema check
    var ex = Expander(root: root, builtin: builtinRoot)
    var fixed = arch != nil
    func setUp(_ ex: Expander) {
      ex.classes = classes
      ex.tokens = tokens
      ex.tokenSequence = tokens == nil ? nil : inputNode?["sequence"]?.int
      ex.deriveExclude = Set(derive.exclude)
      ex.searchMode = !fixed && !eval
      ex.affine = fixed || eval ? true : (sk["affine"]?.bool ?? false)
      ex.cellsOverride = cells
    }
    setUp(ex)
    if ex.searchMode, let m = method, let key = MethodCatalog.method(m.name)?.partialChannelsKey,
      case .int(let k)? = m[key], k > 1
    {
      ex.partialK = k
    }
    if let arch {
      guard let d = decisions(arch, skeleton: sk, root: root, &bag) else { return nil }
      ex.decisions = d
    }
    var net = ex.expandNetwork(sk, input: Shape(channels, h, w), evalSkeleton: eval)
    // A space without choice points is a fixed architecture: every BN is affine.
    if !fixed, net != nil, ex.choicePoints.isEmpty, !ex.diags.contains(where: { $0.severity == .error }) {
      fixed = true
      ex = Expander(root: root, builtin: builtinRoot)
      setUp(ex)
      net = ex.expandNetwork(sk, input: Shape(channels, h, w), evalSkeleton: eval)
    }
    // Ids are only unknown when the whole network was expanded (an earlier error stops it).
    if let d = ex.decisions, net != nil {
      for id in d.ids.sorted() where !ex.usedDecisions.contains(id) && !ex.allChoiceIds.contains(id) {
        ex.diags.append(
          Diagnostic(
            .archMismatch, "the space has no choice point '\(id)'", at: d.location(of: id),
            help: DidYouMean.help(id, in: Array(ex.allChoiceIds))
              ?? "see 'nasc compile --json' for the choice point ids"))
      }
    }
    checkUnusedOps(ex, root: root)
    checkCandidateLists(ex, root: root)
    checkUnusedCells(ex, root: root)
    if !fixed, [.topKEdges, .topKPairs].contains(derive.kind), !ex.cellCountInfo.isEmpty,
      !ex.cellCountInfo.values.joined().contains(where: { $0.k != nil })
    {
      let site = root["derive"]?["rule"] ?? root["search"]?["method"] ?? root
      ex.diags.append(
        Diagnostic(
          .badDeriveRule,
          "derive rule '\(derive.kind.rawValue)' keeps the top inputs of each node, but no node selects inputs",
          at: site.location, length: site.length,
          help: "add 'select: {choice: all, k: 2}' to the cells, or use 'derive: {rule: argmax}'"))
    }
    if !fixed, net != nil { ex.diags += unusedDefinitions(root, path: path) }
    bag.add(contentsOf: ex.diags)
    guard let net else { return nil }
    let cost = CostModel.cost(net)
    let aux = net.auxiliary.map { CostModel.cost($0.graph) }
    let count =
      fixed
      ? BigUInt.one
      : ex.routeCounts.reduce(Cardinality.count(cells: ex.cellCountInfo, layers: ex.layerCounts, rule: derive.kind)) {
        $0 * $1
      }
    if !fixed, count.isZero, !ex.choicePoints.isEmpty {
      let site = root.keyNode("derive") ?? root.keyNode("network") ?? root
      bag.add(
        Diagnostic(
          .suspicious, "the derivation rule can produce no architecture (every candidate is excluded somewhere)",
          at: site.location, length: site.length, help: "check 'derive.exclude' against the candidate lists"))
    }
    let name = root["name"]?.scalar ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    return SpaceIR(
      name: name, file: path, mode: fixed ? .fixed : (eval ? .eval : .search), evalSkeleton: eval,
      network: net, choicePoints: fixed ? [] : ex.choicePoints, method: method, derive: derive,
      architectures: count, cost: cost, auxiliaryCost: aux)
  }
}
