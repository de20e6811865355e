/// Op references, candidate lists and their `when:` filters.
extension Expander {
  func candidateName(_ op: String, _ args: SyntaxNode?) -> String {
    // Value choices (`{choice: [...]}`) are named by the candidates they expand into, not here.
    guard let pairs = args?.pairs?.filter({ $0.value["choice"] == nil }), !pairs.isEmpty else { return op }
    return op + "_" + pairs.map { "\($0.key.scalar ?? "")\($0.value.scalar ?? "")" }.joined(separator: "_")
  }

  /// The list `node` names under `candidates:` (or `node` itself when it is an inline list).
  func candidateList(_ node: SyntaxNode) -> SyntaxNode? {
    guard let name = node.scalar, !node.isNull else { return node }
    if candidateLists[name] == nil, tiedChoices[name] != nil {
      error(
        .wrongType, "'\(name)' is a tied width decision; tied decisions serve a layer's out: widths", node,
        help:
          "write out: {choice: \(name)} on the layers that share it, or list values under candidates: for one decision per layer"
      )
      return nil
    }
    guard let l = candidateLists[name] else {
      error(
        .unknownCandidates, "unknown candidate list '\(name)'", node,
        help: DidYouMean.help(name, in: Array(candidateLists.keys)) ?? "define it under 'candidates:'")
      return nil
    }
    return l
  }

  func entries(ofList node: SyntaxNode) -> [CandidateEntry]? {
    guard let list = candidateList(node), let items = list.items else { return nil }
    if !items.isEmpty, items.allSatisfy({ $0.double != nil }) {
      error(
        .wrongType, "'\(node.scalar ?? "this list")' is a list of values, not of ops", node,
        help: "a list of numbers serves value choices, e.g. with: {scale: {choice: \(node.scalar ?? "[...]")}}")
      return nil
    }
    var out: [CandidateEntry] = []
    var seen = Set<String>()
    var firstOp: [String: String] = [:]
    for it in items {
      var e: CandidateEntry
      if let s = it.scalar, !it.isNull {
        e = CandidateEntry(name: s, op: s, args: nil, when: nil, node: it)
      } else if let op = it["op"]?.scalar {
        e = CandidateEntry(
          name: it["name"]?.scalar ?? candidateName(op, it["with"]), op: op, args: it["with"], when: it["when"],
          node: it)
      } else {
        continue
      }
      let signature =
        e.op + "("
        + (e.args?.pairs?.map { "\($0.key.scalar ?? "")=\($0.value.scalar ?? "?")" }.joined(separator: ",") ?? "") + ")"
      if seen.contains(e.name) {
        if firstOp[e.name] != signature {
          error(
            .duplicateName, "two different candidates are named '\(e.name)'", it,
            help: "give each candidate its own 'name:'; genotypes and arch files refer to candidates by name")
        } else {
          warn(
            .duplicateCandidate, "candidate '\(e.name)' appears twice", it,
            help: "remove the duplicate; it would get two architecture weights")
        }
        continue
      }
      seen.insert(e.name)
      firstOp[e.name] = signature
      if e.op != "none", ops[e.op] == nil, !DSLSchema.primitives.contains(e.op) {
        error(
          .unknownOp, "unknown op '\(e.op)'", it,
          help: DidYouMean.help(e.op, in: Array(ops.keys)) ?? "define it under 'ops:'")
        e.op = "\u{0}invalid"
      }
      out.append(e)
    }
    if items.isEmpty {
      error(.emptyCandidates, "the candidate list is empty", list, help: "a choice needs at least one candidate")
      return nil
    }
    return out.filter { $0.op != "\u{0}invalid" }
  }

  /// Parses a fixed op or a choice.
  func opRef(_ node: SyntaxNode) -> OpRef? {
    if let s = node.scalar, !node.isNull {
      return .fixed(CandidateEntry(name: s, op: s, args: nil, when: nil, node: node))
    }
    if let c = node["choice"] {
      guard let list = entries(ofList: c) else { return nil }
      let k = node["k"]?.int ?? 1
      return .choice(list, k: k, node: node)
    }
    if let op = node["op"]?.scalar {
      return .fixed(
        CandidateEntry(name: candidateName(op, node["with"]), op: op, args: node["with"], when: nil, node: node["op"]!))
    }
    error(.wrongType, "expected an op name, {op: NAME, with: {...}} or {choice: LIST}, found \(node.typeName)", node)
    return nil
  }

  /// How to report two candidates of one choice (`kind`: "layer" or "edge") that give different
  /// shapes: channels alone differ → E044 and the channel counts; spatial sizes differ → E043 and the
  /// shapes; with a hint.
  static func candidateMismatch(_ a: Shape, _ b: Shape, kind: String) -> (
    DiagnosticCode, (Shape) -> String, String
  ) {
    if a.height == b.height && a.width == b.width {
      let width = kind == "edge" ? "the cell width C" : "the layer's output channels (its item's 'out:')"
      return (
        .channelMismatch, { "\($0.channels) channels" },
        "every candidate of one \(kind) must produce the same channels: \(width)"
      )
    }
    return (
      .resolutionMismatch, { "\($0)" },
      "every candidate of one \(kind) must produce the same spatial size; check their strides, padding and kernels"
    )
  }

  /// The entries of a choice that apply under `env` (their `when:` holds).
  func applicable(_ list: [CandidateEntry], _ env: Env, site: SyntaxNode) -> [CandidateEntry]? {
    var out: [CandidateEntry] = []
    for e in list {
      if let w = e.when {
        guard let ok = bool(w, env, default: true) else { return nil }
        if !ok { continue }
      }
      out.append(e)
    }
    if out.isEmpty {
      error(
        .emptyCandidates,
        "no candidate applies here (stride \(env["stride"]?.description ?? "?"), C_in \(env["C_in"]?.description ?? "?"), C_out \(env["C_out"]?.description ?? "?"))",
        site, help: "relax the candidates' 'when:' conditions")
      return nil
    }
    return out
  }
}
