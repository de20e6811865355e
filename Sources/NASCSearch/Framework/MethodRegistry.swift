import NASCSpace

/// The methods `nasc search` runs, by name. `MethodCatalog` (NASCSpace) holds every method's
/// hyperparameters with their paper defaults; this registry holds the implementations. Every
/// `--method` value, `search.method` and hyperparameter name is checked against these two tables.
public enum MethodRegistry {
  /// The implementations, one file each under `Methods/`.
  public static let methods: [any SearchMethod.Type] = [
    DARTS.self, DARTSRecurrent.self, DenseNAS.self, ENAS.self, ENASRecurrent.self, FBNet.self, GDAS.self, PCDARTS.self,
    PDARTS.self,
    ProxylessNAS.self,
    RandomSearch.self,
    RegularizedEvolution.self, SinglePathNAS.self, SMASH.self,
    SPOS.self,
    FairNAS.self, OneShot.self, RandomWS.self,
  ]

  /// The names of the runnable methods.
  public static var runnable: [String] {
    var seen = Set<String>()
    return methods.map { $0.name }.filter { seen.insert($0).inserted }
  }

  /// The implementation called `name`, if it runs.
  public static func method(named name: String, tokens: Bool = false) -> (any SearchMethod.Type)? {
    methods.first { $0.name == name && $0.readsTokens == tokens }
  }

  /// Builds the method of `context.config` for a fresh run; `E310` for a method that is known but
  /// not runnable yet, with a did-you-mean for a misspelt one.
  public static func make(_ context: MethodContext) throws -> any SearchMethod {
    let name = context.config.name
    let tokens = context.ir.network.tokens != nil
    if tokens, method(named: name, tokens: true) == nil, method(named: name) != nil {
      let recurrent = methods.filter { $0.readsTokens }.map { $0.name }
      throw RunError(
        "E310", "\(name) does not search recurrent cells (\(context.ir.name) reads token sequences) in this version",
        help: "search it with --method \(recurrent.joined(separator: ", ")), or train a decided cell with nasc train")
    }
    guard let type = method(named: name, tokens: tokens) else {
      let known = MethodCatalog.method(name) != nil
      throw RunError(
        "E310",
        known ? "method '\(name)' is not runnable by `nasc search` yet" : "unknown method '\(name)'",
        help: known
          ? "runnable methods: \(runnable.joined(separator: ", ")); the space file still validates with \(name)"
          : DidYouMean.help(name, in: runnable) ?? "runnable methods: \(runnable.joined(separator: ", "))")
    }
    if let t = context.run.targets, !t.isEmpty, !type.usesTargets {
      let users = methods.filter { $0.usesTargets }.map { $0.name }
      throw RunError(
        "E310", "--target applies to multi-objective searches (\(users.joined(separator: ", "))), not \(name)",
        help: name == "spos" ? "SPOS limits MACs with --set flops_limit=MMACS" : "drop --target")
    }
    return try type.init(context)
  }

  /// The hyperparameters of `config` as `KEY=VALUE` texts (what a checkpoint stores to rebuild
  /// the same method on resume).
  public static func settings(of config: MethodConfig) -> [String] {
    config.hyperparameters.map { h in
      // Strings are written as YAML double-quoted scalars, so an empty one (or a path with ': ')
      // reads back as the same string.
      guard case .string(let s) = h.value else { return "\(h.name)=\(h.value)" }
      let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
      return "\(h.name)=\"\(escaped)\""
    }
  }
}

/// One method as `nasc methods` lists it.
public struct MethodDescription: Codable, Sendable {
  /// One hyperparameter with its paper default.
  public struct Hyperparameter: Codable, Sendable {
    /// The key in `search:` and `--set`.
    public var name: String
    /// The paper default, as written in YAML.
    public var value: String
    /// What it means.
    public var help: String
  }
  /// The name.
  public var name: String
  /// Its family (gradient, one-shot, baseline, ...).
  public var family: String
  /// Its paper.
  public var paper: String
  /// How it treats choice points.
  public var relaxation: String
  /// Its default derivation rule.
  public var derive: String
  /// Whether `nasc search` runs it.
  public var runs: Bool
  /// Its hyperparameters.
  public var hyperparameters: [Hyperparameter]
}

extension MethodRegistry {
  /// Every method of the catalog, with whether it runs.
  public static var catalog: [MethodDescription] {
    MethodCatalog.methods.map { m in
      let p = MethodCatalog.provenance[m.name]
      return MethodDescription(
        name: m.name, family: p?.family ?? "", paper: p?.paper ?? "", relaxation: m.relaxation,
        derive: m.derive.rawValue, runs: method(named: m.name) != nil,
        hyperparameters: m.hyperparameters.map { .init(name: $0.name, value: $0.value.description, help: $0.help) })
    }
  }
}
