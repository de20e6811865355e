/// Width choices on a body item's `out` (absolute widths or multipliers of a base width), tied
/// width decisions (`tied:`), and the channels the network's running tensor can have.
extension Expander {
  /// A width decision as one body item reads it.
  struct WidthChoice {
    /// The decision's id (`layer[3].out`, `layers[4-7].out`, `<item name>.out`, or a `tied:` name).
    var id: String
    /// Its values as written (widths or multipliers): what arch files decide.
    var values: [String]
    /// The width each value gives here.
    var channels: [Int]
  }

  /// The channels the running tensor can have: one count, or one per value of a width decision.
  struct WidthState {
    /// The width decision the channels follow, or nil when they are fixed.
    var decision: String?
    /// Per value of the decision (one entry when fixed).
    var channels: [Int]

    /// A fixed width.
    static func fixed(_ c: Int) -> WidthState { WidthState(decision: nil, channels: [c]) }

    /// Whether more than one width is possible.
    var varies: Bool { Set(channels).count > 1 }
  }

  /// The MobileNet rounding of a scaled width: the multiple of `divisor` nearest to `v` (halves
  /// up), at least `divisor`, and one `divisor` more when that would lose more than 10 % of `v`.
  static func roundedWidth(_ v: Double, divisor d: Int) -> Int {
    var n = max(d, Int(v + Double(d) / 2) / d * d)
    if Double(n) < 0.9 * v { n += d }
    return n
  }

  /// The width choice written in `node` (an item's `out:` mapping `{choice: LIST | NAME, of:,
  /// divisor:}`), with the id it takes when it is not tied. Registers the choice point (once per
  /// decision) or, when an arch file decides it, keeps only the decided value.
  func widthChoice(_ node: SyntaxNode, id ownID: String, env: Env) -> WidthChoice? {
    guard let pairs = node.pairs else { return nil }
    for (k, _) in pairs where !["choice", "of", "divisor"].contains(k.scalar ?? "") {
      error(
        .unknownKey, "unknown key '\(k.scalar ?? "")' in a width choice", k,
        help: "a width choice is {choice: [widths]} or {choice: [multipliers], of: BASE, divisor: 8}")
      return nil
    }
    guard let written = node["choice"] else {
      error(
        .missingKey, "a width choice needs 'choice:'", node,
        help: "write out: {choice: [16, 24, 32]} or out: {choice: [0.5, 1.0], of: 64}")
      return nil
    }
    var id = ownID
    let list: SyntaxNode
    if let name = written.scalar, !written.isNull, let t = tiedChoices[name] {
      id = name
      list = t
    } else if let name = written.scalar, !written.isNull, candidateLists[name] == nil {
      error(
        .unknownCandidates, "unknown list of widths '\(name)'", written,
        help: DidYouMean.help(name, in: Array(candidateLists.keys) + Array(tiedChoices.keys))
          ?? "define it under 'candidates:' (a decision of this item) or 'tied:' (one decision for every item naming it)"
      )
      return nil
    } else {
      guard let c = candidateList(written) else { return nil }
      list = c
    }
    guard let items = list.items else {
      error(.wrongType, "a width choice lists widths or multipliers, found \(list.typeName)", list)
      return nil
    }
    guard !items.isEmpty else {
      error(.emptyCandidates, "a width choice needs at least one value", list)
      return nil
    }
    let base: Int?
    if let of = node["of"] {
      guard let b = int(of, env, what: "of") else { return nil }
      base = b
    } else {
      base = nil
    }
    guard let divisor = int(node["divisor"], env, default: 8, what: "divisor") else { return nil }
    var values: [String] = []
    var channels: [Int] = []
    for it in items {
      let width: Int
      if let base {
        guard let v = value(it, env) else { return nil }
        let m: Double
        switch v {
        case .int(let i): m = Double(i)
        case .real(let d): m = d
        case .bool:
          error(.wrongType, "a width multiplier must be a number", it)
          return nil
        }
        guard m > 0, m * Double(base) <= Double(Self.maxValue) else {
          error(.badValue, "the multiplier \(it.scalar ?? "") gives no usable width of \(base)", it)
          return nil
        }
        width = Self.roundedWidth(m * Double(base), divisor: divisor)
      } else {
        if it.int == nil, it.double != nil {
          error(
            .badValue, "the width \(it.scalar ?? "") is not a whole number of channels", it,
            help: "give 'of: BASE' to read the values as multipliers of BASE channels")
          return nil
        }
        guard let w = int(it, env, what: "a width") else { return nil }
        width = w
      }
      let text = it.scalar ?? ""
      if let j = channels.firstIndex(of: width) {
        error(
          .badValue, "the values \(values[j]) and \(text) both give \(width) channels", it,
          help: "each value of a width choice is one width; remove one")
        return nil
      }
      values.append(text)
      channels.append(width)
    }
    allChoiceIds.insert(id)
    if let d = decisions {
      guard let v = d.ops[id] else {
        diags.append(Diagnostic(.archIncomplete, "the architecture does not decide '\(id)'", at: d.location))
        return nil
      }
      usedDecisions.insert(id)
      guard let i = values.firstIndex(where: { Self.sameValues([$0], [v]) }) else {
        diags.append(
          Diagnostic(
            .archMismatch, "\(v) is not a candidate value of \(id) (\(values.joined(separator: ", ")))",
            at: d.location(of: id)))
        return nil
      }
      return WidthChoice(id: id, values: [values[i]], channels: [channels[i]])
    }
    if choiceIndex[id] == nil, values.count > 1 {
      register(ChoicePoint(id: id, kind: .value, candidates: values, k: 1, location: node.location))
      layerCounts.append(values.count)
    }
    return WidthChoice(id: id, values: values, channels: channels)
  }

  /// The id a width choice on `item` takes when it is not tied: `<name>.out` for a named item,
  /// `layer[i].out` for one layer, `layers[i-j].out` for a repeated one (one decision for all).
  func widthChoiceID(_ item: SyntaxNode, firstLayer: Int, count: Int) -> String {
    if let name = item["name"]?.scalar { return "\(name).out" }
    return count == 1 ? "layer[\(firstLayer)].out" : "layers[\(firstLayer)-\(firstLayer + count - 1)].out"
  }

  /// The (input, output) channel pairs a layer can see: the pairs of one decision when its input
  /// and output follow the same one, else every combination.
  static func widthPairs(input: WidthState, output: WidthState) -> [(input: Int, output: Int)] {
    var pairs: [(input: Int, output: Int)] = []
    func add(_ p: (Int, Int)) { if !pairs.contains(where: { $0 == p }) { pairs.append(p) } }
    if let d = input.decision, d == output.decision {
      for (a, b) in zip(input.channels, output.channels) { add((a, b)) }
    } else {
      for a in input.channels { for b in output.channels { add((a, b)) } }
    }
    return pairs
  }

  /// The graphs one item's candidate has at every width pair, merged into the graph its shared
  /// weights are built at; E049 when they do not differ in widths only.
  func widestGraph(_ graphs: [PrimGraph], what: String, at node: SyntaxNode) -> PrimGraph? {
    let signature = graphs[0].widthSignature
    guard graphs.allSatisfy({ $0.widthSignature == signature }) else {
      error(
        .widthNotShared,
        "\(what) changes its structure, not only its widths, with the width choice before it, so one set of weights cannot serve every width",
        node,
        help:
          "widths share the leading channels of one set of weights; ops whose grouped convolutions or layout depend on the width cannot follow a width choice"
      )
      return nil
    }
    return graphs.count == 1 ? graphs[0] : PrimGraph.widest(graphs)
  }

  /// `build` at every input width `widths` allows (a fixed block or the head after a width choice):
  /// the widest graph, recorded variants, and the widths of its output.
  func followWidths(
    _ widths: WidthState, shape: Shape, item: Int, what: String, at node: SyntaxNode,
    _ build: (Shape) -> PrimGraph?
  ) -> (PrimGraph, WidthState)? {
    guard widths.varies else {
      guard let g = build(shape) else { return nil }
      return (g, .fixed(g.outputShape.channels))
    }
    var distinct: [Int] = []
    for c in widths.channels where !distinct.contains(c) { distinct.append(c) }
    var graphs: [PrimGraph] = []
    for c in distinct {
      guard let g = build(Shape(c, shape.height, shape.width)) else { return nil }
      graphs.append(g)
    }
    guard let widest = widestGraph(graphs, what: what, at: node) else { return nil }
    fixedWidthVariants[item] = graphs.map {
      WidthVariant(
        inputChannels: $0.input.channels, outputChannels: $0.outputShape.channels, graphs: [$0], residual: false)
    }
    let outs = widths.channels.map { c in graphs[distinct.firstIndex(of: c)!].outputShape.channels }
    let next = Set(outs).count == 1 ? WidthState.fixed(outs[0]) : WidthState(decision: widths.decision, channels: outs)
    return (widest, next)
  }

  /// False, with E049, when the running width varies (`what` cannot follow a width choice).
  func notAfterWidthChoice(_ widths: WidthState, _ what: String, at node: SyntaxNode) -> Bool {
    guard widths.varies else { return true }
    error(
      .widthNotShared,
      "\(what) cannot follow a width choice: its input would have \(widths.channels.map(String.init).joined(separator: " or ")) channels",
      node,
      help: "width choices serve layers, fixed blocks and the head; end them with a layer of a fixed 'out:' before it")
    return false
  }
}
