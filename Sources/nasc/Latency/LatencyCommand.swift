import ArgumentParser
import Foundation
import NASCSearch
import NASCSpace

/// `nasc latency SPACE [--threads T] [--batch B] [--out lut.json]` and
/// `nasc latency --check ARCH [--lut lut.json]`.
struct LatencyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "latency",
    abstract: "Measure a space's latency lookup table on this machine, or check an architecture against one.",
    discussion: """
      nasc latency SPACE times every candidate block of the space at its input shape (inference mode, warm-up runs, \
      the median of repeated runs, the spread recorded), plus the stem, the fixed blocks and the head, and writes \
      the table (LUT.md describes it). nasc latency --check ARCH sums the table over a decided architecture's blocks \
      and times the whole network under the table's conditions: predicted vs measured.
      """)

  @Argument(help: "The space to measure (omit with --check).")
  var space: String?

  @Option(help: "An arch document (or a space with --arch decisions) to check against the table.")
  var check: String?

  @Option(help: "The latency table --check reads.")
  var lut = "lut.json"

  @Option(help: "Where the measured table goes.")
  var out = "lut.json"

  @Option(help: "Engine threads to measure with.")
  var threads = 2

  @Option(help: "Images per forward pass (batch 1 on small inputs measures mostly per-op overhead).")
  var batch = 64

  @Flag(help: "Check against a table measured on another processor or with other threads or batch.")
  var allowOtherConditions = false

  func validate() throws {
    if threads < 1 || threads > 256 { throw ValidationError("--threads must be between 1 and 256") }
    if batch < 1 || batch > 4096 { throw ValidationError("--batch must be between 1 and 4096") }
    if (space == nil) == (check == nil) {
      throw ValidationError("give a space to measure, or --check ARCH (not both)")
    }
  }

  func run() throws {
    if let check {
      let (ir, _) = try compileOrExit(check, CompileOptions())
      try reportingRunErrors {
        let table = try LatencyTable.read(from: lut)
        let c = try LatencyDriver.check(ir, table: table, tablePath: lut, allowOtherConditions: allowOtherConditions)
        Terminal.out(
          String(
            format:
              "predicted %.3f ms  measured %.3f ms (median of %d, %.3f–%.3f)  error %+.1f%%  (%d blocks, %d threads, batch %d)\n",
            c.predictedMs, c.measured.ms, c.measured.runs, c.measured.minMs, c.measured.maxMs, c.errorPercent, c.blocks,
            table.conditions.threads, table.conditions.batch))
      }
      return
    }
    let (ir, _) = try compileOrExit(space!, CompileOptions())
    try reportingRunErrors {
      let reporter = ProgressReporter()
      let start = Date()
      let table = try LatencyDriver.measure(ir, threads: threads, batch: batch) { done, total, name in
        reporter.update(phase: "latency", step: done, total: total, detail: name)
      }
      do { try AtomicFile.write(String(decoding: try table.encoded(), as: UTF8.self) + "\n", to: out) } catch {
        throw RunError("E301", "cannot write \(out): \(error)", help: "choose another --out", path: out)
      }
      reporter.line(
        String(
          format: "%d blocks timed in %.1f s (%d threads, batch %d) -> %@", table.entries.count,
          Date().timeIntervalSince(start), threads, batch, out))
      // Layer-wise spaces: the range a latency target can take.
      if let costs = try? LayerCosts(ir: ir, tablePath: out, anyConditions: true, macUnit: ("MMACs", 1e6), method: ""),
        !costs.layers.isEmpty
      {
        reporter.line(
          String(
            format: "by this table the architectures of %@ take %.3f ms (the cheapest) to %.3f ms (the largest path)",
            ir.name, costs.cheapest, costs.largest))
      }
    }
  }
}
