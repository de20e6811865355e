import Foundation
import NASCSpace

/// Many searches of one space and method, one per seed, in one process (`nasc search --seeds
/// 1-500`): no run directories or checkpoints; the data or table is loaded once. What tabular
/// benchmarks are for: the spread of a method's result over seeds.
public enum SeedSweep {
  /// One seed's outcome.
  public struct Row: Codable, Sendable {
    /// The seed.
    public var seed: UInt64
    /// The chosen architecture, in the space's own terms (NB201 string, genotype, layer codes).
    public var arch: String
    /// Its search signal.
    public var signal: Double?
    /// Its reported figure.
    public var reported: Double?
  }

  /// Mean and sample standard deviation of the reported figures (the signal where there is none).
  public struct Summary: Sendable {
    /// Seeds run.
    public var count: Int
    /// Mean.
    public var mean: Double
    /// Sample standard deviation.
    public var std: Double
    /// Which figure (the evaluator's reported column, or the signal's).
    public var column: String
  }

  /// Parses `1-500`, `7` or `1,2,5-9` (`E210`-free: `nil` for a malformed list).
  public static func parseSeeds(_ text: String) -> [UInt64]? {
    var out = [UInt64]()
    for part in text.split(separator: ",") {
      let ends = part.split(separator: "-", omittingEmptySubsequences: false).map {
        UInt64($0.trimmingCharacters(in: .whitespaces))
      }
      switch ends.count {
      case 1: guard let a = ends[0] else { return nil }; out.append(a)
      case 2:
        guard let a = ends[0], let b = ends[1], a <= b, b - a < 1_000_000 else { return nil }
        out += Array(a...b)
      default: return nil
      }
    }
    return out.isEmpty ? nil : out
  }

  /// Runs the method of `ir` once per seed; `each` sees every row as it is done.
  public static func run(
    ir: SpaceIR, run: RunSettings, seeds: [UInt64], each: (Row) -> Void = { _ in }
  ) throws -> (rows: [Row], summary: Summary) {
    guard let config = ir.method else {
      throw RunError(
        "E310", "the space has no search: block naming a method", help: "add `search: {method: evolution}`")
    }
    let base = try SearchDriver.makeContext(ir: ir, config: config, run: run)
    var rows = [Row]()
    var column = "signal"
    for seed in seeds {
      var context = base
      context.run.seed = seed
      if run.benchmark == nil, seed != run.seed {
        // Stand-alone training draws from the seed too: each seed gets its own evaluator.
        var r = run
        r.seed = seed
        context = try SearchDriver.makeContext(ir: ir, config: config, run: r)
      }
      let method = try MethodRegistry.make(context)
      let loop = try SearchLoop(method: method)
      try loop.run()
      let r = try method.result()
      let space = context.evaluator?.space ?? ArchSpace(ir: ir)
      if let e = context.evaluator, r.reported != nil { column = e.columns.reported }
      let row = Row(seed: seed, arch: space.text(r.architecture), signal: r.signal, reported: r.reported)
      rows.append(row)
      each(row)
    }
    let values = rows.compactMap { $0.reported ?? $0.signal }
    let mean = values.reduce(0, +) / Double(max(values.count, 1))
    let variance = values.count > 1 ? values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1) : 0
    return (rows, Summary(count: values.count, mean: mean, std: variance.squareRoot(), column: column))
  }
}
