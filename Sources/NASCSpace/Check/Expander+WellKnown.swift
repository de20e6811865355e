/// Cells that look like a well-known space with one node too many or too few.
extension Expander {
  /// A published cell space a template can resemble.
  struct WellKnownCell {
    /// "the NAS-Bench-201 cell".
    var title: String
    var inputs: Int
    var ops: Int
    var nodes: Int
    /// Whether it keeps every edge (no `select`), so that it counts ops^edges architectures.
    var everyEdge: Bool
    /// How the classic space counts the nodes `nodes:` writes.
    var counting: String
  }

  static let wellKnownCells = [
    WellKnownCell(
      title: "the NAS-Bench-201 cell", inputs: 1, ops: 5, nodes: 3, everyEdge: true,
      counting: "NAS-Bench-201's 4 nodes count its input, so it is 'nodes: 3'"),
    WellKnownCell(
      title: "the DARTS cell", inputs: 2, ops: 8, nodes: 4, everyEdge: false,
      counting: "DARTS' cell (steps = 4 in its code: nodes 2..5 after the inputs) is 'nodes: 4'"),
  ]

  /// W005 when cell template `name` matches a well-known cell space in everything this check reads
  /// (its inputs; every node reading every earlier node; one op choice per edge over as many
  /// candidates, `none` and `skip_connect` among them; NAS-Bench-201 keeps every edge, so without
  /// `select`) but its `nodes:` is one more or one fewer: NAS-Bench-201's "4 nodes" are `nodes: 3`.
  func checkWellKnownNodeCount(_ name: String, _ t: SyntaxNode, inputs: Int) {
    guard let nodesNode = t["nodes"], let n = nodesNode.int, t["from"] == nil || t["from"]?.scalar == "all",
      let op = t["op"], let choice = op["choice"], (op["k"]?.int ?? 1) == 1,
      let list = choice.scalar != nil ? candidateLists[choice.scalar!] : choice, let items = list.items
    else { return }
    let names = items.map { $0.scalar ?? $0["name"]?.scalar ?? $0["op"]?.scalar ?? "" }
    guard names.contains("none"), names.contains("skip_connect") else { return }
    for known in Self.wellKnownCells
    where known.inputs == inputs && known.ops == items.count && abs(n - known.nodes) == 1
      && (!known.everyEdge || t["select"] == nil)
    {
      func edges(_ m: Int) -> Int { m * inputs + m * (m - 1) / 2 }
      let (e, ke) = (edges(n), edges(known.nodes))
      let count = known.everyEdge ? ": \(items.count)^\(e) architectures, not \(items.count)^\(ke)" : ""
      warn(
        .nodeCountOffByOne,
        "cell '\(name)' looks like \(known.title) but has \(n) intermediate nodes, one \(n > known.nodes ? "more" : "fewer") than its \(known.nodes) (\(e) edges, not \(ke)\(count))",
        nodesNode,
        help:
          "'nodes:' counts only the intermediate nodes, not the cell's \(inputs == 1 ? "input (node 0)" : "\(inputs) inputs (nodes 0..\(inputs - 1))"): \(known.counting)"
      )
    }
  }
}
