import Yams

/// Turns YAML text into a `SyntaxNode` tree with Yams, budgeting the nodes it visits: Yams keeps
/// aliased subtrees shared, so a naive walk of an alias bomb would visit billions of nodes.
enum YAMLReader {
  /// Deepest nesting accepted after alias expansion.
  static let maxExpandedDepth = 256

  struct Budget {
    var left: Int
    var exceeded = false
    var tooDeep: SourceLocation? = nil
  }

  static func read(text: String, path: String, maxNodes: Int, diags: inout DiagnosticBag) -> SyntaxNode? {
    let node: Node?
    do {
      node = try Yams.compose(yaml: text, .basic)
    } catch let error as YamlError {
      diags.add(diagnostic(for: error, path: path, text: text))
      return nil
    } catch {
      diags.add(Diagnostic(.yamlSyntax, "YAML error: \(error)", at: SourceLocation(file: path, line: 1, column: 1)))
      return nil
    }
    guard let node else { return nil }
    var budget = Budget(left: maxNodes)
    var local: [Diagnostic] = []
    let root = convert(node, path: path, depth: 0, budget: &budget, diags: &local)
    if budget.exceeded {
      diags.add(
        Diagnostic(
          .documentTooLarge,
          "document expands to more than \(maxNodes) nodes (YAML aliases are expanded)",
          at: SourceLocation(file: path, line: 1, column: 1),
          help: "avoid nested aliases ('&a' / '*a'); use 'extends:' and named candidate lists instead"))
      return nil
    }
    if let m = budget.tooDeep {
      diags.add(
        Diagnostic(
          .nestingTooDeep, "nesting deeper than \(maxExpandedDepth) levels after expanding aliases",
          at: m))
      return nil
    }
    diags.add(contentsOf: local)
    return root
  }

  static func diagnostic(for error: YamlError, path: String, text: String) -> Diagnostic {
    func loc(_ m: Mark) -> SourceLocation { SourceLocation(file: path, line: m.line, column: m.column) }
    switch error {
    case .scanner(let ctx, let problem, let mark, _), .parser(let ctx, let problem, let mark, _):
      let msg = ctx.map { "\(problem) \($0.text)" } ?? problem
      if problem.contains("nesting level") {
        return Diagnostic(.nestingTooDeep, "nesting too deep", at: loc(mark))
      }
      return Diagnostic(.yamlSyntax, "YAML syntax error: \(msg)", at: loc(mark))
    case .composer(let ctx, let problem, let mark, _):
      if ctx?.text.contains("single document") == true {
        return Diagnostic(
          .multipleDocuments, "a space file holds exactly one YAML document", at: loc(mark),
          help: "remove the second '---' document or split it into its own file")
      }
      return Diagnostic(.yamlSyntax, "YAML error: \(problem)", at: loc(mark))
    case .duplicatedKeysInMapping(let dups, let ctx):
      let key = dups.sorted().first ?? ""
      let (line, col) =
        secondOccurrence(of: key, in: text, from: ctx.mark.line, column: ctx.mark.column)
        ?? (ctx.mark.line, ctx.mark.column)
      return Diagnostic(
        .duplicateKey, "duplicate key '\(key)'", at: SourceLocation(file: path, line: line, column: col),
        length: key.count, help: "each key may appear once in a mapping; remove or rename one")
    case .reader(let problem, _, _, _):
      return Diagnostic(
        .notText, "cannot decode the file: \(problem)", at: SourceLocation(file: path, line: 1, column: 1))
    default:
      return Diagnostic(.yamlSyntax, "YAML error: \(error)", at: SourceLocation(file: path, line: 1, column: 1))
    }
  }

  static func convert(_ node: Node, path: String, depth: Int, budget: inout Budget, diags: inout [Diagnostic])
    -> SyntaxNode
  {
    let loc = SourceLocation(file: path, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    let stub = SyntaxNode(.scalar("", quoted: false), at: loc)
    if budget.exceeded || budget.tooDeep != nil { return stub }
    budget.left -= 1
    if budget.left < 0 { budget.exceeded = true; return stub }
    if depth > maxExpandedDepth { budget.tooDeep = loc; return stub }
    switch node {
    case .scalar(let s):
      let quoted = s.style == .singleQuoted || s.style == .doubleQuoted || s.style == .literal || s.style == .folded
      return SyntaxNode(
        .scalar(s.string, quoted: quoted), at: loc, length: min(200, s.string.unicodeScalars.count + (quoted ? 2 : 0)))
    case .alias:
      return stub
    case .sequence(let seq):
      var items: [SyntaxNode] = []
      items.reserveCapacity(seq.count)
      for child in seq {
        items.append(convert(child, path: path, depth: depth + 1, budget: &budget, diags: &diags))
        if budget.exceeded { return stub }
      }
      return SyntaxNode(.sequence(items), at: loc)
    case .mapping(let map):
      var pairs: [(key: SyntaxNode, value: SyntaxNode)] = []
      pairs.reserveCapacity(map.count)
      var seen: [String: SourceLocation] = [:]
      for (k, v) in map {
        let key = convert(k, path: path, depth: depth + 1, budget: &budget, diags: &diags)
        let value = convert(v, path: path, depth: depth + 1, budget: &budget, diags: &diags)
        if budget.exceeded { return stub }
        if let name = key.scalar {
          if let first = seen[name] {
            diags.append(
              Diagnostic(
                .duplicateKey, "duplicate key '\(name)'", at: key.location, length: key.length,
                help: "'\(name)' is already defined at line \(first.line)"))
          } else {
            seen[name] = key.location
          }
        }
        pairs.append((key, value))
      }
      return SyntaxNode(.mapping(pairs), at: loc)
    }
  }
}

extension YAMLReader {
  /// Where `key:` appears for the second time at `column`, starting at `line` (block mappings).
  static func secondOccurrence(of key: String, in text: String, from line: Int, column: Int) -> (Int, Int)? {
    var seen = 0
    for (i, l) in text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
    where i + 1 >= line {
      let scalars = Array(l)
      guard scalars.count >= column - 1 else { continue }
      let rest = String(String.UnicodeScalarView(scalars[(column - 1)...]))
      if rest.hasPrefix(key + ":") || rest.hasPrefix("\"" + key + "\":") || rest.hasPrefix("'" + key + "':") {
        seen += 1
        if seen == 2 { return (i + 1, column) }
      }
    }
    return nil
  }
}
