import NASCTensor
import NASCSpace

/// Scores architectures by looking them up in a tabular benchmark (NAS-Bench-201, NAS-Bench-Macro):
/// the search sees the table's signal column, the result reports its reported column.
public final class TableEvaluator: Evaluator {
  /// The table.
  public let table: TabularBenchmark
  /// The space's decisions.
  public let space: ArchSpace
  /// Queries answered so far.
  public private(set) var queries = 0
  /// Every op choice's candidates as declared.
  let candidates: [String: [String]]

  /// Checks that `table` fits the space of `ir` (`E211` otherwise).
  public init(ir: SpaceIR, table: TabularBenchmark) throws {
    self.table = table
    space = ArchSpace(ir: ir)
    candidates = Dictionary(
      ir.choicePoints.filter { $0.kind == .op }.map { ($0.id, $0.candidates) }, uniquingKeysWith: { a, _ in a })
    var rng = RNG(seed: 1)
    let probe = space.sample(rng: &rng)
    guard let key = key(probe), table.lookup(key) != nil else {
      throw RunError(
        "E211",
        "the \(table.kind.rawValue) table does not describe the space \(ir.name) (a sampled architecture, \(space.text(probe)), is not in it)",
        help: table.kind == .nb201
          ? "use spaces/nas-bench-201.yaml with --benchmark nb201"
          : "use spaces/nas-bench-macro.yaml with --benchmark nas-bench-macro")
    }
  }

  /// What it does.
  public var description: String {
    "\(table.kind.rawValue) table lookup (\(table.count) architectures): search signal \(table.signalColumn), reported \(table.reportedColumn)"
  }

  /// The table's columns.
  public var columns: (signal: String, reported: String) { (table.signalColumn, table.reportedColumn) }

  /// The table's key of `a`: the NB201 string, or the layer codes (candidate indices) of NAS-Bench-Macro.
  public func key(_ a: Architecture) -> String? {
    switch table.kind {
    case .nb201: return space.nb201(a)?.description
    case .nasBenchMacro:
      var code = ""
      // The table's codes index the layer's candidates as the space declares them (0 = identity,
      // 1 = ir_3x3_t3, 2 = ir_5x5_t6), not the derivation rule's filtered list.
      for case .op(let o) in space.units {
        guard let op = a.op(o.key), let i = candidates[o.key]?.firstIndex(of: op) else { return nil }
        code += String(i)
      }
      return code
    }
  }

  /// The table's figures for `a`; `E212` with its string when the table does not hold it.
  public func score(_ a: Architecture) throws -> Score {
    queries += 1
    guard let k = key(a), let e = table.lookup(k) else {
      throw RunError(
        "E212", "the \(table.kind.rawValue) table has no row for \(key(a) ?? space.text(a))",
        help: "the table and the space disagree; check the space's candidates against the table's ops")
    }
    return Score(signal: e.signal, reported: e.reported)
  }
}
