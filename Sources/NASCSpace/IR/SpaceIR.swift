import BigInt
/// The method of a space's `search:` block, with every hyperparameter resolved (paper default or
/// the file's override).
public struct MethodConfig: Sendable {
  /// The method name (`darts`, `gdas`, `pc-darts`, ...).
  public var name: String
  /// Its relaxation, in words.
  public var relaxation: String
  /// Every hyperparameter in catalog order with its value.
  public var hyperparameters: [(name: String, value: HyperValue, overridden: Bool)]

  /// The value of hyperparameter `name`.
  public subscript(_ name: String) -> HyperValue? { hyperparameters.first { $0.name == name }?.value }
}

/// The derivation rule of `derive:` (data; the search code executes it).
public struct DeriveRule: Sendable, Hashable {
  /// Which rule.
  public var kind: DeriveRuleKind
  /// Inputs (top_k_edges) or pairs (top_k_pairs) kept per node.
  public var k: Int
  /// Ops never derived (`none` for the DARTS rules).
  public var exclude: [String]
  /// At most this many skip_connect in the normal cell (P-DARTS), or nil.
  public var skipCap: Int?
}

/// How a space was compiled.
public enum CompileMode: String, Sendable {
  /// The search supernet: every candidate present, BN affine as the skeleton says.
  case search
  /// The evaluation skeleton with choices still open.
  case eval
  /// A fixed architecture: every choice decided, every BN affine.
  case fixed
}

/// The checked, expanded space: what every later stage consumes.
public struct SpaceIR: Sendable {
  /// The space's name.
  public var name: String
  /// The top-level file.
  public var file: String
  /// search, eval or fixed.
  public var mode: CompileMode
  /// Whether the evaluation skeleton was used.
  public var evalSkeleton: Bool
  /// The expanded network.
  public var network: NetworkIR
  /// Open choice points in declaration order (empty for a fixed architecture).
  public var choicePoints: [ChoicePoint]
  /// The search method, if the space declares one.
  public var method: MethodConfig?
  /// The derivation rule.
  public var derive: DeriveRule
  /// The number of architectures the derivation rule can produce (exact).
  public var architectures: BigUInt
  /// Parameters and MACs of the network (all candidates for a supernet), auxiliary head excluded.
  public var cost: Cost
  /// Parameters and MACs of the auxiliary head, if any.
  public var auxiliaryCost: Cost?

  /// The cell instances in order.
  public var cells: [CellInstance] {
    network.items.compactMap { if case .cell(let c) = $0 { return c } else { return nil } }
  }

  /// The layers in order.
  public var layers: [LayerIR] {
    network.items.compactMap { if case .layer(let l) = $0 { return l } else { return nil } }
  }

  /// The choice point with id `id`.
  public func choicePoint(_ id: String) -> ChoicePoint? { choicePoints.first { $0.id == id } }

  /// The op choice points of one cell template in edge order (node by node, sources ascending):
  /// the rows of that template's α matrix (DARTS: 14 rows × 8 columns per template).
  public func opChoices(ofTemplate template: String) -> [ChoicePoint] {
    guard let cell = cells.first(where: { $0.template == template }) else { return [] }
    return cell.edges.compactMap { $0.choice }.compactMap { choicePoint($0) }
  }
}
