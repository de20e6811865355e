import BigInt
/// Variables visible to expressions while an op, cell or layer is instantiated.
typealias Env = [String: ExprValue]

/// Decisions of a fixed architecture, keyed by choice point id.
public struct Decisions: Sendable {
  /// Op decisions: `normal.edge[0→2].op` / `layer[3].op` → op name.
  public var ops: [String: String] = [:]
  /// Node decisions: `normal.node2` → kept (op, input) pairs in order.
  public var nodes: [String: [(op: String, from: Int)]] = [:]
  /// Cell output overrides: `normal.output` → node indices to concatenate.
  public var outputs: [String: [Int]] = [:]
  /// Path decisions: `route.path` → block indices from 0 to the final block.
  public var paths: [String: [Int]] = [:]
  /// Subset decisions: `memory[0].layer[2].read` → bank indices.
  public var subsets: [String: [Int]] = [:]
  /// Where the decisions came from (for diagnostics).
  public var location: SourceLocation
  /// Where each decision's value is written (arch documents' `choices:`), for diagnostics.
  public var valueLocations: [String: SourceLocation] = [:]

  /// Where decision `id` is written, else where the decisions came from.
  public func location(of id: String) -> SourceLocation { valueLocations[id] ?? location }

  /// Creates empty decisions.
  public init(location: SourceLocation) { self.location = location }

  /// Every decision id.
  public var ids: [String] {
    Array(ops.keys) + Array(nodes.keys) + Array(outputs.keys) + Array(paths.keys) + Array(subsets.keys)
  }
}

/// A parsed op reference: a fixed op or a choice among candidates.
struct CandidateEntry {
  var name: String
  var op: String
  var args: SyntaxNode?
  var when: SyntaxNode?
  var node: SyntaxNode
  /// The entry it was expanded from by value choices (its name), or nil.
  var family: String? = nil
  /// The decisions it stands for in a composite layer choice.
  var decisions: [ChoiceDecision] = []
}

enum OpRef {
  case fixed(CandidateEntry)
  case choice([CandidateEntry], k: Int, node: SyntaxNode)
}

/// Turns the merged syntax tree into the IR: resolves names, instantiates op templates into
/// primitive graphs with channels and sizes, expands the skeleton, collects choice points.
final class Expander {
  var diags: [Diagnostic] = []
  let root: SyntaxNode
  var ops: [String: SyntaxNode] = [:]
  var candidateLists: [String: SyntaxNode] = [:]
  /// Fixed blocks' (and the head's) graphs per input width, while the network is expanded.
  var fixedWidthVariants: [Int: [WidthVariant]] = [:]
  /// Named decisions under `tied:` (one decision for every reference).
  var tiedChoices: [String: SyntaxNode] = [:]
  var cells: [String: SyntaxNode] = [:]
  /// The key nodes of cell templates (where template-level problems are reported).
  var cellKeys: [String: SyntaxNode] = [:]
  var exprCache: [String: Expr] = [:]
  var callStack: [String] = []
  var choicePoints: [ChoicePoint] = []
  var choiceIndex: [String: Int] = [:]
  /// The first searched edge of each cell template and its candidates: every other searched edge
  /// of the template must decide among the same ones (E025).
  var cellCandidates: [String: (edge: String, names: [String])] = [:]
  var usedDecisions: Set<String> = []
  var searchMode = true
  /// Replaces the skeleton's `cells:` count (reductions at the thirds), or nil.
  var cellsOverride: Int?
  var affine = false
  var partialK: Int? = nil
  var decisions: Decisions? = nil
  var classes = 10
  /// The vocabulary of a token-sequence input, or nil for images.
  var tokens: Int? = nil
  var tokenSequence: Int? = nil
  /// Templates instantiated (for unused warnings).
  var usedOps: Set<String> = []
  /// Every choice id the space defines (decided or not), for did-you-mean on arch files.
  var allChoiceIds: Set<String> = []
  /// Ops never derived (derive.exclude).
  var deriveExclude: Set<String> = []
  /// Counting info of the first instance of each cell template.
  var cellCountInfo: [String: [NodeCountInfo]] = [:]
  /// Derivable candidates of each choice layer.
  var layerCounts: [Int] = []
  /// Paths counted through routing graphs and memory blocks (one factor each).
  var routeCounts: [BigUInt] = []
  /// Cell templates the expansion tried to instantiate.
  var attemptedCells: Set<String> = []
  /// Pairs of identical candidates already reported (W001), by place and names.
  var reportedIdentical: Set<String> = []
  /// Cell templates whose node count was checked against the well-known spaces (W005).
  var nodeCountChecked: Set<String> = []

  init(root: SyntaxNode, builtin: SyntaxNode?) {
    self.root = root
    if let b = builtin?["ops"]?.pairs { for (k, v) in b { if let n = k.scalar { ops[n] = v } } }
    if let u = root["ops"]?.pairs { for (k, v) in u { if let n = k.scalar { ops[n] = v } } }
    if let c = root["candidates"]?.pairs { for (k, v) in c { if let n = k.scalar { candidateLists[n] = v } } }
    if let t = root["tied"]?.pairs { for (k, v) in t { if let n = k.scalar { tiedChoices[n] = v } } }
    if let c = root["cells"]?.pairs { for (k, v) in c { if let n = k.scalar { cells[n] = v; cellKeys[n] = k } } }
  }

  /// Call sites of the op templates being instantiated (outermost first).
  var siteStack: [(op: String, site: SyntaxNode)] = []

  /// A problem inside a built-in op is reported at the user's call site, naming the op.
  func attributed(_ node: SyntaxNode, _ msg: String) -> (SyntaxNode, String) {
    guard node.location.file == BuiltinOps.fileName else { return (node, msg) }
    guard let i = siteStack.lastIndex(where: { $0.site.location.file != BuiltinOps.fileName }) else {
      return (node, msg)
    }
    let inner = siteStack[siteStack.index(after: i)...].map(\.op)
    let chain = ([siteStack[i].op] + inner).joined(separator: " -> ")
    return (siteStack[i].site, msg + " (in built-in op \(chain))")
  }

  func error(_ code: DiagnosticCode, _ msg: String, _ node: SyntaxNode, help: String? = nil) {
    let (n, m) = attributed(node, msg)
    diags.append(Diagnostic(code, m, at: n.location, length: n.length, help: help))
  }

  func warn(_ code: DiagnosticCode, _ msg: String, _ node: SyntaxNode, help: String? = nil) {
    let (n, m) = attributed(node, msg)
    diags.append(Diagnostic(code, m, at: n.location, length: n.length, help: help, severity: .warning))
  }

  // MARK: expressions

  func value(_ node: SyntaxNode, _ env: Env) -> ExprValue? {
    if let b = node.bool { return .bool(b) }
    if let i = node.int { return .int(i) }
    if let d = node.double { return .real(d) }
    guard let text = node.scalar, !node.isNull else {
      error(.wrongType, "expected a number or an expression, found \(node.typeName)", node)
      return nil
    }
    if text.utf8.count > 500 {
      error(.expressionSyntax, "expression longer than 500 characters", node)
      return nil
    }
    let expr: Expr
    if let e = exprCache[text] {
      expr = e
    } else {
      do { expr = try Expr.parse(text) } catch {
        self.error(error.code, error.message, node, help: error.help)
        return nil
      }
      exprCache[text] = expr
    }
    do { return try expr.evaluate(env) } catch {
      self.error(error.code, error.message, node, help: error.help)
      return nil
    }
  }

  func int(
    _ node: SyntaxNode?, _ env: Env, default def: Int? = nil, what: String, min lo: Int = 1,
    divisibility: Bool = false
  ) -> Int? {
    guard let node else { return def }
    guard let v = value(node, env) else { return nil }
    switch v {
    case .int(let i):
      if i < lo {
        error(.badValue, "\(what) must be at least \(lo), got \(i)", node)
        return nil
      }
      if i > Self.maxValue {
        error(.outOfRange, "\(what) \(i) is too large (at most \(Self.maxValue))", node)
        return nil
      }
      return i
    case .real(let d):
      error(
        divisibility ? .channelDivisibility : .badValue,
        "\(what) '\(node.scalar ?? "")' is \(d), not a whole number", node,
        help: divisibility ? "the channel count must divide evenly (FactorizedReduce needs even channels)" : nil)
      return nil
    case .bool:
      error(.wrongType, "\(what) must be a number, got a boolean", node)
      return nil
    }
  }

  func bool(_ node: SyntaxNode?, _ env: Env, default def: Bool) -> Bool? {
    guard let node else { return def }
    guard let v = value(node, env) else { return nil }
    if case .bool(let b) = v { return b }
    error(.wrongType, "expected a condition (true/false), got \(v)", node)
    return nil
  }

  func pair(_ node: SyntaxNode?, _ env: Env, default def: (Int, Int)?, what: String, min lo: Int) -> (Int, Int)? {
    guard let node else { return def }
    if let items = node.items {
      guard items.count == 2 else {
        error(.wrongType, "\(what) takes one value or [height, width]", node)
        return nil
      }
      guard let a = int(items[0], env, what: what, min: lo), let b = int(items[1], env, what: what, min: lo) else {
        return nil
      }
      return (a, b)
    }
    guard let a = int(node, env, what: what, min: lo) else { return nil }
    return (a, a)
  }

  // MARK: choice points

  func register(_ cp: ChoicePoint) {
    if choiceIndex[cp.id] == nil {
      choiceIndex[cp.id] = choicePoints.count
      choicePoints.append(cp)
    }
  }

  var fixedMode: Bool { decisions != nil }

  /// The largest channel count, kernel, stride or size an expression may produce.
  static let maxValue = 1 << 24
}
