/// Checks of definitions the network does not reach: nominal instantiation of unused ops and
/// cells, candidate lists, and W003 for unused definitions.
extension Compiler {
  /// Instantiates user ops that the network did not use, once with nominal sizes, so mistakes in
  /// them are still reported.
  static func checkUnusedOps(_ ex: Expander, root: SyntaxNode) {
    for (k, _) in root["ops"]?.pairs ?? [] {
      guard let name = k.scalar, !ex.usedOps.contains(name) else { continue }
      let env: Env = [
        "C": .int(16), "C_out": .int(16), "stride": .int(1), "affine": .bool(false), "search": .bool(true),
        "classes": .int(ex.classes), "reduction": .bool(false), "reduction_prev": .bool(false), "cells": .int(8),
      ]
      _ = ex.build(CandidateEntry(name: name, op: name, args: nil, when: nil, node: k), input: Shape(16, 32, 32), env)
    }
  }

  /// W003 for ops, candidate lists, cells and tied decisions defined in this file whose name is never referenced.
  static func unusedDefinitions(_ root: SyntaxNode, path: String) -> [Diagnostic] {
    var refs = Set<String>()
    var stack: [SyntaxNode] = [root]
    while let n = stack.popLast() {
      switch n.kind {
      case .scalar(let s, _): refs.insert(s)
      case .sequence(let items): stack += items
      case .mapping(let pairs): stack += pairs.map(\.value)
      }
    }
    if root["network"]?["cells"] != nil || root["eval"]?["cells"] != nil {
      refs.insert(root["network"]?["normal"]?.scalar ?? "normal")
      refs.insert(root["network"]?["reduce"]?.scalar ?? "reduce")
    }
    var out: [Diagnostic] = []
    for (section, what) in [
      ("ops", "op"), ("candidates", "candidate list"), ("cells", "cell template"), ("tied", "tied decision"),
    ] {
      for (k, _) in root[section]?.pairs ?? [] where k.location.file == path {
        guard let name = k.scalar, !refs.contains(name) else { continue }
        if section == "ops", BuiltinOps.names.contains(name) { continue }  // overrides of built-ins are used by name elsewhere
        out.append(
          Diagnostic(
            .unusedDefinition, "\(what) '\(name)' is never used", at: k.location, length: k.length,
            help: "remove it, or move shared definitions to a file under spaces/lib/"))
      }
    }
    return out
  }

  /// Instantiates cell templates that the network never reached, with nominal sizes.
  static func checkUnusedCells(_ ex: Expander, root: SyntaxNode) {
    for (k, t) in root["cells"]?.pairs ?? [] {
      guard let name = k.scalar, !ex.attemptedCells.contains(name) else { continue }
      let saved = (ex.cellCountInfo, ex.choicePoints, ex.choiceIndex, ex.layerCounts)
      let env: Env = ["classes": .int(ex.classes), "affine": .bool(false), "search": .bool(true), "cells": .int(8)]
      let s = Shape(16, 32, 32)
      let n = t["inputs"]?.int ?? 2
      let reduction = t["reduction"]?.bool ?? false
      let before = ex.diags.count
      _ = ex.expandCell(
        name, site: k, cellIndex: 0, c: reduction ? 16 : 16,
        sources: Array(repeating: CellSource(item: -1, shape: s), count: max(1, n)),
        reductionPrev: false, baseEnv: env)
      (ex.cellCountInfo, ex.choicePoints, ex.choiceIndex, ex.layerCounts) = saved
      // A template the network never uses has no choice points, so an architecture need not
      // decide it (a search of a space without reduction cells writes none for `reduce`).
      let added = ex.diags[before...].filter { $0.code != .archIncomplete }
      ex.diags.removeSubrange(before...)
      ex.diags.append(contentsOf: added)
    }
  }

  static func checkCandidateLists(_ ex: Expander, root: SyntaxNode) {
    for (k, v) in root["candidates"]?.pairs ?? [] {
      guard let name = k.scalar else { continue }
      // A list of numbers is a list of values for value choices (`{choice: scales}`).
      if let items = v.items, !items.isEmpty, items.allSatisfy({ $0.double != nil }) { continue }
      _ = ex.entries(ofList: k.located(.scalar(name, quoted: false)))
    }
  }
}
