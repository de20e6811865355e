/// A node of the syntax tree: YAML reduced to scalars, mappings and sequences, each with its span.
/// Aliases are expanded into separate nodes (under a budget), so the tree is a plain tree.
public final class SyntaxNode: Sendable {
  /// What the node holds.
  public enum Kind: Sendable {
    /// A scalar's text and whether it was quoted (quoted scalars are always strings).
    case scalar(String, quoted: Bool)
    /// Key/value pairs in source order (duplicates are reported, the last one wins on lookup).
    case mapping([(key: SyntaxNode, value: SyntaxNode)])
    /// Items in source order.
    case sequence([SyntaxNode])
  }

  /// The content.
  public let kind: Kind
  /// Where the node starts.
  public let location: SourceLocation
  /// Width of the node's first line in columns (scalars: their length), for carets.
  public let length: Int

  /// Creates a node.
  public init(_ kind: Kind, at location: SourceLocation, length: Int = 1) {
    self.kind = kind
    self.location = location
    self.length = max(1, length)
  }

  /// The scalar text, or nil.
  public var scalar: String? {
    if case .scalar(let s, _) = kind { return s }
    return nil
  }

  /// True for a plain (unquoted) scalar `null`, `~` or empty.
  public var isNull: Bool {
    if case .scalar(let s, let q) = kind, !q { return s == "" || s == "null" || s == "~" || s == "Null" || s == "NULL" }
    return false
  }

  /// The pairs of a mapping, or nil.
  public var pairs: [(key: SyntaxNode, value: SyntaxNode)]? {
    if case .mapping(let p) = kind { return p }
    return nil
  }

  /// The items of a sequence, or nil.
  public var items: [SyntaxNode]? {
    if case .sequence(let s) = kind { return s }
    return nil
  }

  /// The value of key `k` in a mapping (last occurrence), or nil.
  public subscript(_ k: String) -> SyntaxNode? {
    guard let p = pairs else { return nil }
    return p.last(where: { $0.key.scalar == k })?.value
  }

  /// The key node of `k` in a mapping (for spans), or nil.
  public func keyNode(_ k: String) -> SyntaxNode? {
    pairs?.last(where: { $0.key.scalar == k })?.key
  }

  /// An integer if the node is a plain scalar holding one (decimal, optional sign, `_` separators).
  public var int: Int? {
    guard case .scalar(let s, let q) = kind, !q else { return nil }
    return Int(s.replacingAll("_", ""))
  }

  /// A number if the node is a plain numeric scalar.
  public var double: Double? {
    guard case .scalar(let s, let q) = kind, !q else { return nil }
    if let i = Int(s.replacingAll("_", "")) { return Double(i) }
    if s.first == "." || s.last == "." { return nil }
    return Double(s)
  }

  /// A boolean if the node is a plain `true`/`false` (YAML 1.2 core schema; `yes`/`no` are strings).
  public var bool: Bool? {
    guard case .scalar(let s, let q) = kind, !q else { return nil }
    switch s {
    case "true", "True", "TRUE": return true
    case "false", "False", "FALSE": return false
    default: return nil
    }
  }

  /// The YAML type name used in "expected X, found Y" messages.
  public var typeName: String {
    switch kind {
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    case .scalar(let s, let q):
      if q { return "a string" }
      if isNull { return "null" }
      if bool != nil { return "a boolean" }
      if Int(s.replacingAll("_", "")) != nil { return "an integer" }
      if double != nil { return "a number" }
      return "a string"
    }
  }

  /// A copy of the node's span as a one-character node (for synthesised nodes).
  public func located(_ kind: Kind) -> SyntaxNode { SyntaxNode(kind, at: location, length: length) }
}
