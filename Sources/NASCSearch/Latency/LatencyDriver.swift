import Foundation
import NASCSpace
import NASCTensor

/// `nasc latency`: measure a space's latency table, or check a decided architecture's predicted
/// latency (the table's sum) against its measured one.
public enum LatencyDriver {
  /// A predicted-vs-measured check of one decided network.
  public struct Check: Sendable {
    /// The sum of the table's entries for the network's blocks, in milliseconds.
    public var predictedMs: Double
    /// The whole network timed.
    public var measured: LatencyMeter.Timing
    /// The blocks summed.
    public var blocks: Int

    /// (predicted − measured) / measured, in per cent.
    public var errorPercent: Double { 100 * (predictedMs - measured.ms) / measured.ms }
  }

  /// The blocks of `ir`'s network, or `E310` when it has items a table cannot time.
  static func blocks(_ ir: SpaceIR) throws -> [LatencyBlock] {
    guard ir.network.tokens == nil else {
      throw RunError(
        "E310", "latency tables time image networks; \(ir.name) reads tokens", help: "use a layer-wise image space")
    }
    let (blocks, unsupported) = ir.network.latencyBlocks()
    if let unsupported {
      throw RunError(
        "E310", "latency tables time layer-wise spaces block by block; \(ir.name) has \(unsupported)",
        help: "use a layer-wise space (spaces/proxylessnas-digits.yaml, spaces/spos-digits.yaml)")
    }
    return blocks
  }

  /// Times every block of `ir` (every candidate of every layer at every width, the stem, the
  /// fixed blocks and the head) with `batch` images on `threads` engine threads.
  public static func measure(
    _ ir: SpaceIR, threads: Int, batch: Int, progress: (Int, Int, String) -> Void = { _, _, _ in }
  ) throws -> LatencyTable {
    let blocks = try blocks(ir)
    Engine.threads = threads
    let entries = try LatencyMeter.measure(blocks, batch: batch, progress: progress)
    return LatencyTable(conditions: LatencyMeter.conditions(threads: threads, batch: batch), entries: entries)
  }

  /// Predicts the decided network `ir` from `table` and times it under the table's conditions
  /// (its threads and batch). `E313` when `ir` is not decided; `E320` when this machine's processor
  /// differs from the table's, unless `allowOtherConditions`.
  public static func check(
    _ ir: SpaceIR, table: LatencyTable, tablePath: String, allowOtherConditions: Bool = false
  ) throws -> Check {
    guard ir.mode == .fixed else {
      throw RunError(
        "E313", "\(ir.name) is a search space, not a decided architecture",
        help: "pass an arch document: nasc latency --check arch.yaml --lut \(tablePath)")
    }
    let here = LatencyMeter.conditions(threads: table.conditions.threads, batch: table.conditions.batch)
    let differ = table.conditions.differences(from: here)
    if !differ.isEmpty && !allowOtherConditions {
      throw RunError(
        "E320", "the latency table was measured under other conditions: \(differ.joined(separator: ", "))",
        help: "measure a table here (nasc latency SPACE --out FILE), or pass --allow-other-conditions", path: tablePath)
    }
    let blocks = try blocks(ir)
    let predicted = try table.predict(blocks, path: tablePath)
    Engine.threads = table.conditions.threads
    let measured = try LatencyMeter.measure(network: ir.network, batch: table.conditions.batch)
    return Check(predictedMs: predicted, measured: measured, blocks: blocks.count)
  }
}
