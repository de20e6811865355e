/// Writing a decided IR back as a DARTS genotype or an NB201 string.
public enum ArchExport {
  /// The genotype of a fixed two-input cell architecture (normal = first normal cell, reduce =
  /// first reduction cell), or nil when the IR is not of that shape.
  public static func genotype(_ ir: SpaceIR) -> DartsGenotype? {
    guard ir.mode == .fixed else { return nil }
    let cells = ir.cells
    if let r = cells.first, r.recurrent {
      var g = DartsGenotype(normal: [], normalConcat: [], reduce: [], reduceConcat: [])
      g.recurrent = r.nodes.flatMap { n in n.edges.map { DartsGenotype.Pair($0.candidates[0].name, $0.from) } }
      g.concat = r.outputNodes
      return g
    }
    guard let normal = cells.first(where: { !$0.reduction }), normal.inputs.count == 2 else { return nil }
    func pairs(_ c: CellInstance) -> [DartsGenotype.Pair]? {
      var out: [DartsGenotype.Pair] = []
      for n in c.nodes {
        guard n.edges.count == 2 else { return nil }
        for e in n.edges { out.append(.init(e.candidates[0].name, e.from)) }
      }
      return out
    }
    guard let np = pairs(normal) else { return nil }
    let red = cells.first(where: { $0.reduction })
    let rp = red.flatMap(pairs) ?? []
    return DartsGenotype(normal: np, normalConcat: normal.outputNodes, reduce: rp, reduceConcat: red?.outputNodes ?? [])
  }

  /// The NB201 string of a fixed one-input cell architecture, or nil.
  public static func nb201(_ ir: SpaceIR) -> NB201Arch? {
    guard ir.mode == .fixed, let c = ir.cells.first, c.inputs.count == 1, !c.recurrent else { return nil }
    var nodes: [[(op: String, from: Int)]] = []
    for n in c.nodes {
      nodes.append(n.edges.sorted { $0.from < $1.from }.map { ($0.candidates[0].name, $0.from) })
    }
    return NB201Arch(nodes: nodes)
  }
}
