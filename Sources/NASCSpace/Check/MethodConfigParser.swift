import Foundation

/// The `search:` and `derive:` blocks → `MethodConfig` and `DeriveRule`.
extension Compiler {
  /// Parses the `search:` block into a method configuration.
  /// With `override` (`nasc search --method`), that method's paper defaults apply, overridden by the
  /// keys of the space's `search:` block that it also has.
  static func methodConfig(
    _ root: SyntaxNode, override: String? = nil, settings: [(key: SyntaxNode, value: SyntaxNode)] = [],
    _ bag: inout DiagnosticBag
  ) -> MethodConfig? {
    let s = root["search"]
    var pairs = s?.pairs ?? []
    if !settings.isEmpty {
      let name = override ?? s?["method"]?.scalar ?? ""
      guard let spec = MethodCatalog.method(name) else {
        if let first = settings.first {
          bag.add(
            Diagnostic(
              .unknownHyperparameter, "--set needs a search method", at: first.key.location,
              help: "name one in the space's search: block or with --method"))
        }
        return nil
      }
      for (k, _) in settings where !spec.hyperparameters.contains(where: { $0.name == k.scalar }) {
        bag.add(
          Diagnostic(
            .unknownHyperparameter, "method '\(name)' has no hyperparameter '\(k.scalar ?? "")'",
            at: k.location, length: k.length,
            help: (k.scalar == "epochs" && spec.hyperparameters.contains { $0.name == "iterations" }
              ? "\(name) counts its supernet training in steps: --set iterations=N (--epochs and --set epochs= do not apply)"
              : nil)
              ?? DidYouMean.help(k.scalar ?? "", in: spec.hyperparameters.map(\.name))
              ?? "its hyperparameters: \(spec.hyperparameters.map(\.name).joined(separator: ", "))"))
      }
      let known = settings.filter { k, _ in spec.hyperparameters.contains { $0.name == k.scalar } }
      // Command-line settings win: drop the space's entries for the same keys.
      pairs = pairs.filter { k, _ in !known.contains { $0.key.scalar == k.scalar } }
      if override != nil && s?["method"]?.scalar != override {
        let shared = pairs.filter { k, _ in
          k.scalar != "method" && spec.hyperparameters.contains { $0.name == k.scalar }
        }
        return hyperparameters(spec, name: name, pairs: shared + known, &bag)
      }
      pairs += known
    }
    if let override, s?["method"]?.scalar != override {
      guard let spec = MethodCatalog.method(override) else {
        bag.add(
          Diagnostic(
            .unknownMethod, "unknown search method '\(override)' (from --method)", at: .file("<command line>"),
            help: DidYouMean.help(override, in: MethodCatalog.methods.map(\.name))
              ?? "methods: \(MethodCatalog.methods.map(\.name).joined(separator: ", "))"))
        return nil
      }
      let shared = pairs.filter { k, _ in k.scalar != "method" && spec.hyperparameters.contains { $0.name == k.scalar }
      }
      return hyperparameters(spec, name: override, pairs: shared, &bag)
    }
    guard let s, let mNode = s["method"], let name = mNode.scalar else { return nil }
    guard let spec = MethodCatalog.method(name) else {
      bag.add(
        Diagnostic(
          .unknownMethod, "unknown search method '\(name)'", at: mNode.location, length: mNode.length,
          help: DidYouMean.help(name, in: MethodCatalog.methods.map(\.name))
            ?? "methods: \(MethodCatalog.methods.map(\.name).joined(separator: ", "))"))
      return nil
    }
    return hyperparameters(spec, name: name, pairs: pairs, &bag)
  }

  /// Resolves a method's hyperparameters: paper defaults, overridden by `pairs` of a `search:` block.
  static func hyperparameters(
    _ spec: MethodSpec, name: String, pairs: [(key: SyntaxNode, value: SyntaxNode)], _ bag: inout DiagnosticBag
  ) -> MethodConfig {
    var hp = spec.hyperparameters.map { (name: $0.name, value: $0.value, overridden: false) }
    let union = Set(MethodCatalog.allHyperparameters.map(\.name))
    for (k, v) in pairs {
      guard let key = k.scalar, key != "method" else { continue }
      guard let idx = hp.firstIndex(where: { $0.name == key }) else {
        if union.contains(key) {
          bag.add(
            Diagnostic(
              .unknownHyperparameter, "method '\(name)' has no hyperparameter '\(key)'", at: k.location,
              length: k.length,
              help: DidYouMean.help(key, in: hp.map(\.name))
                ?? "its hyperparameters: \(hp.map(\.name).joined(separator: ", "))"))
        }
        continue
      }
      let def = spec.hyperparameters[idx]
      var parsed: HyperValue? = nil
      switch def.value {
      case .int:
        if let i = v.int {
          parsed = .int(i)
        } else if let d = v.double, d == d.rounded(), abs(d) < 1e15 {
          parsed = .int(Int(d))
        }
      case .real: if let d = v.double { parsed = .real(d) }
      case .bool: if let b = v.bool { parsed = .bool(b) }
      case .string:
        if let s = v.scalar, !v.isNull {
          if let w = def.words, !w.contains(s) {
            bag.add(
              Diagnostic(
                .badHyperparameter, "'\(s)' is not a valid value of '\(key)'", at: v.location, length: v.length,
                help: DidYouMean.help(s, in: w) ?? "expected one of: \(w.joined(separator: ", "))"))
            continue
          }
          parsed = .string(s)
        }
      case .list:
        if let items = v.items {
          let ds = items.compactMap(\.double)
          if ds.count == items.count { parsed = .list(ds) }
        }
      }
      guard let p = parsed else {
        bag.add(
          Diagnostic(
            .badHyperparameter,
            "'\(key)' expects \(def.value.kind == "integer" ? "an" : "a") \(def.value.kind), found \(v.typeName)",
            at: v.location, length: v.length, help: "the paper default is \(def.value)"))
        continue
      }
      if case .real(let d) = p, !d.isFinite {
        bag.add(
          Diagnostic(
            .badHyperparameter, "'\(key)' must be a finite number, found \(v.scalar ?? "\(d)")", at: v.location,
            length: v.length, help: "the paper default is \(def.value)"))
        continue
      }
      if case .list(let ds) = p, !ds.allSatisfy(\.isFinite) {
        bag.add(
          Diagnostic(
            .badHyperparameter, "'\(key)' must hold finite numbers", at: v.location, length: v.length,
            help: "the paper default is \(def.value)"))
        continue
      }
      if case .real(let d) = p, d < 0, key != "alpha_init" {
        bag.add(Diagnostic(.badHyperparameter, "'\(key)' must not be negative", at: v.location, length: v.length))
        continue
      }
      if case .int(let i) = p, i < 0 {
        bag.add(Diagnostic(.badHyperparameter, "'\(key)' must not be negative", at: v.location, length: v.length))
        continue
      }
      if let problem = beyondBounds(p) {
        bag.add(
          Diagnostic(
            .badHyperparameter, "'\(key)' \(problem)", at: v.location, length: v.length,
            help: "the paper default is \(def.value)"))
        continue
      }
      if let problem = outOfRange(key, p, spec) {
        bag.add(
          Diagnostic(
            .badHyperparameter, "'\(key)' \(problem)", at: v.location, length: v.length,
            help: "the paper default is \(def.value)"))
        continue
      }
      hp[idx] = (key, p, true)
    }
    // A hyperparameter that follows another one when that is given (arch_lr_scale → paper with an
    // arch_lr) is written out as given, so a resumed run reads the same decision back.
    for (i, s) in spec.hyperparameters.enumerated() {
      guard let rule = s.whenGiven, !hp[i].overridden, hp.contains(where: { $0.name == rule.key && $0.overridden })
      else { continue }
      hp[i] = (name: s.name, value: rule.value, overridden: true)
    }
    return MethodConfig(name: name, relaxation: spec.relaxation, hyperparameters: hp)
  }

  /// The largest integer hyperparameter: counts (epochs, steps, samples) beyond it overflow the
  /// products the methods form from them (epochs × batches per epoch), and no run reaches it.
  static let maxInteger = 1_000_000_000
  /// The largest magnitude of a real hyperparameter, and the smallest of a nonzero one: the methods
  /// compute in Float, where values beyond these turn into infinity or zero (Float's largest
  /// finite value is 3.4e38, its smallest normal one 1.2e-38).
  static let realMagnitude: ClosedRange<Double> = 1e-37...1e38

  /// What makes `value` unusable whatever the key, or nil: an integer above `maxInteger`, a real
  /// (or a list entry) outside `realMagnitude` other than zero.
  static func beyondBounds(_ value: HyperValue) -> String? {
    func real(_ d: Double) -> Bool { d == 0 || realMagnitude.contains(abs(d)) }
    switch value {
    case .int(let i) where i > maxInteger:
      return "must be at most \(maxInteger), not \(i)"
    case .real(let d) where !real(d):
      return "must be 0 or of magnitude 1e-37 to 1e38, not \(d)"
    case .list(let ds) where !ds.allSatisfy(real):
      return "must hold numbers that are 0 or of magnitude 1e-37 to 1e38, not \(ds)"
    default:
      return nil
    }
  }

  /// What is wrong with `value` for `key` beyond its type and sign, or nil: momenta and Adam betas
  /// lie in [0, 1) (at 1 and above the averages never forget and the steps grow without bound);
  /// the partial-channel factor K is at least 1 (K = 1 is DARTS).
  static func outOfRange(_ key: String, _ value: HyperValue, _ spec: MethodSpec) -> String? {
    switch value {
    case .real(let d) where key.hasSuffix("momentum") && !(0..<1).contains(d):
      return "must lie in [0, 1), not \(d)"
    case .list(let ds) where key.hasSuffix("betas"):
      return ds.count == 2 && ds.allSatisfy({ (0..<1).contains($0) }) ? nil : "must be two numbers in [0, 1)"
    case .int(let i) where key == spec.partialChannelsKey && i < 1:
      return "must be at least 1 (K = 1 is DARTS: every channel through the ops)"
    default:
      return nil
    }
  }

  /// The derivation rule: `derive:` over the method's default (top-k edges when cells select inputs, else argmax).
  static func deriveRule(_ root: SyntaxNode, method: MethodConfig?, methodOverridden: Bool = false) -> DeriveRule {
    let d = root["derive"]
    let selects = (root["cells"]?.pairs ?? []).contains { _, t in
      t["select"] != nil || (t["nodes"]?.items?.contains { $0["select"] != nil } ?? false)
    }
    // Without an explicit rule: the method's rule where cells select inputs, else argmax (all edges kept).
    var kind =
      d?["rule"]?.scalar.flatMap(DeriveRuleKind.init(rawValue:))
      ?? (selects ? (method.flatMap { MethodCatalog.method($0.name)?.derive } ?? .topKEdges) : .argmax)
    if methodOverridden, let m = method, let own = MethodCatalog.method(m.name)?.derive,
      [.topKEdges, .topKPairs].contains(own), [.topKEdges, .topKPairs].contains(kind)
    {
      // The space's top-k rule was written for its own method; an overriding top-k method brings its own.
      kind = own
    }
    let topK = kind == .topKEdges || kind == .topKPairs
    let exclude = d?["exclude"]?.items?.compactMap(\.scalar) ?? (topK ? ["none"] : [])
    var cap = d?["skip_cap"]?.int
    if cap == nil, method?.name == "p-darts", case .int(let c)? = method?["skip_cap"] { cap = c }
    return DeriveRule(kind: kind, k: d?["k"]?.int ?? 2, exclude: exclude, skipCap: cap)
  }
}

extension Compiler {
  /// Parses `--set KEY=VALUE` texts (and `--epochs`, `--batch-size`, `--budget`, which the command
  /// passes as settings) as the YAML mapping `KEY: VALUE` of a virtual file `<command line>` (one
  /// line per setting), so values are typed like the space's own `search:` entries.
  static func commandLineSettings(
    _ settings: [String], _ bag: inout DiagnosticBag, sources: inout [String: String]
  ) -> [(key: SyntaxNode, value: SyntaxNode)] {
    let file = "<command line>"
    var lines = [String]()
    for (i, text) in settings.enumerated() {
      guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
        sources[file] = settings.joined(separator: "\n")
        bag.add(
          Diagnostic(
            .badHyperparameter, "'\(text)' is not KEY=VALUE", at: SourceLocation(file: file, line: i + 1, column: 1),
            help: "write e.g. --set arch_lr=6e-4"))
        return []
      }
      let key = text[..<eq].trimmingCharacters(in: .whitespaces)
      let value = text[text.index(after: eq)...].trimmingCharacters(in: .whitespaces)
      lines.append("\(key): \(value)")
    }
    let yaml = lines.joined(separator: "\n") + "\n"
    sources[file] = yaml
    guard let node = YAMLReader.read(text: yaml, path: file, maxNodes: 10_000, diags: &bag), let pairs = node.pairs
    else {
      return []
    }
    return pairs
  }
}
