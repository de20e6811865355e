/// Checks a syntax tree against the DSL schema: unknown keys (with did-you-mean), wrong types,
/// missing keys, out-of-range numbers, words not in an enumeration. Iterative in depth only to
/// the (already bounded) nesting of the file.
public struct SchemaValidator {
  let definitions: [String: SchemaNode]
  /// Diagnostics found so far.
  public var diagnostics: [Diagnostic] = []

  /// Creates a validator for the DSL schema.
  public init() {
    definitions = Dictionary(DSLSchema.definitions, uniquingKeysWith: { a, _ in a })
  }

  func resolve(_ s: SchemaNode) -> SchemaNode {
    var s = s
    var guardCount = 0
    while true {
      guardCount += 1
      if guardCount > 16 { return .any(description: "") }
      if case .ref(let n) = s, let d = definitions[n] { s = d; continue }
      if case .anyOf(let alts, _) = s, alts.count == 1 { s = alts[0]; continue }
      return s
    }
  }

  /// Flattens nested anyOf and refs into a list of concrete alternatives.
  func alternatives(_ s: SchemaNode) -> [SchemaNode] {
    let r = resolve(s)
    if case .anyOf(let alts, _) = r { return alts.flatMap { alternatives($0) } }
    return [r]
  }

  func scalarMatches(_ n: SyntaxNode, _ s: SchemaNode) -> Bool {
    switch s {
    case .string: return n.scalar != nil && !n.isNull
    case .integer: return n.int != nil
    case .number: return n.double != nil
    case .boolean: return n.bool != nil
    case .null: return n.isNull
    case .any: return true
    default: return false
    }
  }

  func kindName(_ s: SchemaNode) -> String {
    switch s {
    case .object, .map: return "a mapping"
    case .array: return "a list"
    case .string(let w, _): return w.map { "one of \($0.map { "'\($0)'" }.joined(separator: ", "))" } ?? "a string"
    case .integer: return "an integer"
    case .number: return "a number"
    case .boolean: return "true or false"
    case .null: return "nothing"
    case .any: return "anything"
    default: return "a value"
    }
  }

  /// Validates `node` against `schema`, appending diagnostics.
  public mutating func validate(_ node: SyntaxNode, _ schema: SchemaNode, path: String = "") {
    let alts = alternatives(schema)
    if alts.contains(where: { if case .any = $0 { return true } else { return false } }) { return }
    switch node.kind {
    case .scalar:
      if alts.contains(where: { scalarMatches(node, $0) && wordsOK(node, $0) }) {
        checkRange(node, alts.first(where: { scalarMatches(node, $0) })!)
        return
      }
      if let w = alts.first(where: { if case .string(let w?, _) = $0 { return w.count > 0 } else { return false } }),
        case .string(let words?, _) = w, node.scalar != nil, !node.isNull,
        !alts.contains(where: { scalarMatches(node, $0) && !isWords($0) })
      {
        let v = node.scalar ?? ""
        diagnostics.append(
          Diagnostic(
            .invalidValue, "'\(v)' is not allowed for \(path.isEmpty ? "this key" : "'\(path)'")",
            at: node.location, length: node.length,
            help: DidYouMean.help(v, in: words) ?? "expected one of: \(words.joined(separator: ", "))"))
        return
      }
      mismatch(node, alts, path)
    case .sequence(let items):
      guard let arr = alts.first(where: { if case .array = $0 { return true } else { return false } }),
        case .array(let item, let minItems, _) = arr
      else { return mismatch(node, alts, path) }
      if items.count < minItems {
        diagnostics.append(
          Diagnostic(
            .outOfRange, "'\(path)' needs at least \(minItems) entr\(minItems == 1 ? "y" : "ies")",
            at: node.location, length: node.length))
      }
      for it in items { validate(it, item, path: path) }
    case .mapping(let pairs):
      let objs = alts.filter {
        if case .object = $0 { return true }; if case .map = $0 { return true }; return false
      }
      guard !objs.isEmpty else { return mismatch(node, alts, path) }
      var chosen = objs[0]
      if objs.count > 1 {
        let keys = Set(pairs.compactMap { $0.key.scalar })
        var best = -1
        for o in objs {
          guard case .object(let os) = o else { continue }
          let names = Set(os.properties.map(\.name))
          let reqOK = os.required.allSatisfy { keys.contains($0) }
          let score = (reqOK ? 1000 : 0) + keys.intersection(names).count * 10 - keys.subtracting(names).count
          if score > best { best = score; chosen = o }
        }
      }
      switch chosen {
      case .map(let pattern, let value, _):
        for (k, v) in pairs {
          let name = k.scalar ?? ""
          if !Self.matchesNamePattern(name, pattern) {
            diagnostics.append(
              Diagnostic(
                .wrongType, "'\(name)' is not a valid name",
                at: k.location, length: k.length,
                help: "names start with a letter or '_' and use letters, digits, '_', '.', '-'"))
          }
          validate(v, value, path: name)
        }
      case .object(let os):
        let known = os.properties.map(\.name)
        for (k, v) in pairs {
          let name = k.scalar ?? ""
          guard let prop = os.properties.first(where: { $0.name == name }) else {
            diagnostics.append(
              Diagnostic(
                .unknownKey, "unknown key '\(name)'\(path.isEmpty ? "" : " in '\(path)'")",
                at: k.location, length: k.length,
                help: DidYouMean.help(name, in: known) ?? "allowed keys: \(known.joined(separator: ", "))"))
            continue
          }
          validate(v, prop.schema, path: name)
        }
        for r in os.required where node[r] == nil {
          diagnostics.append(
            Diagnostic(
              .missingKey, "missing required key '\(r)'\(path.isEmpty ? "" : " in '\(path)'")",
              at: node.location, length: node.length, help: requiredHelp(r)))
        }
        if pairs.count < os.minProperties {
          diagnostics.append(
            Diagnostic(.missingKey, "'\(path)' must not be empty", at: node.location, length: node.length))
        }
      default: break
      }
    }
  }

  func requiredHelp(_ key: String) -> String? {
    switch key {
    case "nasc": return "start the file with 'nasc: 1'"
    case "method": return "e.g. 'method: darts'"
    default: return nil
    }
  }

  func isWords(_ s: SchemaNode) -> Bool {
    if case .string(let w?, _) = s { return !w.isEmpty }
    return false
  }

  func wordsOK(_ n: SyntaxNode, _ s: SchemaNode) -> Bool {
    if case .string(let w?, _) = s { return w.contains(n.scalar ?? "") }
    return true
  }

  mutating func checkRange(_ n: SyntaxNode, _ s: SchemaNode) {
    switch s {
    case .integer(let lo, let hi, _):
      guard let v = n.int else { return }
      if let lo, v < lo {
        diagnostics.append(Diagnostic(.outOfRange, "\(v) is below the minimum \(lo)", at: n.location, length: n.length))
      }
      if let hi, v > hi {
        diagnostics.append(Diagnostic(.outOfRange, "\(v) is above the maximum \(hi)", at: n.location, length: n.length))
      }
    case .number(let lo, let hi, _):
      guard let v = n.double else { return }
      if let lo, v < lo {
        diagnostics.append(Diagnostic(.outOfRange, "\(v) is below the minimum \(lo)", at: n.location, length: n.length))
      }
      if let hi, v > hi {
        diagnostics.append(Diagnostic(.outOfRange, "\(v) is above the maximum \(hi)", at: n.location, length: n.length))
      }
    default: break
    }
  }

  mutating func mismatch(_ node: SyntaxNode, _ alts: [SchemaNode], _ path: String) {
    var names: [String] = []
    for a in alts where !names.contains(kindName(a)) { names.append(kindName(a)) }
    let exp =
      names.count <= 1 ? (names.first ?? "a value") : names.dropLast().joined(separator: ", ") + " or " + names.last!
    diagnostics.append(
      Diagnostic(
        .wrongType, "expected \(exp)\(path.isEmpty ? "" : " for '\(path)'"), found \(node.typeName)",
        at: node.location, length: node.length))
  }

  static func matchesNamePattern(_ s: String, _ pattern: String) -> Bool {
    if pattern == "^\\S+$" { return !s.isEmpty && !s.contains(where: { $0.isWhitespace }) }
    guard let f = s.first, f.isLetter || f == "_" else { return false }
    return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" }
  }
}
