import ArgumentParser
import Foundation
import NASCTensor

/// `nasc bench engine`: conv kernels against the same-run sgemm and triad bandwidth, plus per-op
/// autodiff overhead, at DARTS search supernet shapes.
struct EngineBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "engine",
    abstract: "Benchmark the tensor engine's kernels and per-op overhead (build with -c release)."
  )

  @Flag(name: .long, help: "Print one JSON object per line instead of a table.")
  var json = false

  @Option(name: .long, help: "Worker threads (the default is every active core).")
  var threads: Int = ProcessInfo.processInfo.activeProcessorCount

  @Option(name: .long, help: "Timed repetitions per measurement (the best is reported).")
  var repeats: Int = 5

  @Flag(name: .long, help: "Measure only the stride-2 depthwise kernels against stride 1 + subsampling.")
  var stridedOnly = false

  func validate() throws {
    guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
  }

  func run() throws {
    let load = loadAverage
    let report = EngineBenchmark.run(threads: threads, repeats: repeats, stridedOnly: stridedOnly) { line in
      FileHandle.standardError.write(Data(("  " + line + "\n").utf8))
    }
    if json { printJSON(report, load: load) } else { printTable(report, load: load) }
  }

  func f(_ v: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", v) }

  /// The 1-minute load average before the run (Linux), so a noisy shared machine shows in the output.
  var loadAverage: String? {
    (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(
      String.init)
  }

  func printTable(_ r: EngineBenchmarkReport, load: String?) {
    print("threads: \(r.threads)" + (load.map { " (load average before the run: \($0))" } ?? ""))
    print("kernels: \(Engine.kernelsDescription)")
    if !stridedOnly { printKernelTable(r) }
    print("stride-2 depthwise (DARTS reduction edges) vs stride 1 + subsample, fwd+bwd:")
    print("kernel     C   HxW    batch  stride-2 ms  via stride-1 ms  speedup")
    for row in r.stridedRows {
      let shape = "\(row.size)x\(row.size)"
      print(
        row.kernel.padding(toLength: 10, withPad: " ", startingAt: 0) + " "
          + String(row.channels).leftPad(3) + " " + shape.leftPad(5) + " " + String(row.batch).leftPad(7)
          + " " + f(row.milliseconds).leftPad(12) + " " + f(row.baselineMilliseconds).leftPad(16) + " "
          + (f(row.speedup) + "x").leftPad(8))
    }
  }

  func printKernelTable(_ r: EngineBenchmarkReport) {
    print("sgemm 1024x1024x1024: \(f(r.gemmGFLOPS, 1)) GFLOPS")
    print("triad bandwidth: \(f(r.triadGBps, 1)) GB/s")
    print("overhead per op: \(f(r.overheadMicrosPerOp, 3)) µs")
    print("DARTS mixed edge (8 ops, batch 64, C=16, 32x32) fwd+bwd: \(f(r.mixedEdgeMilliseconds)) ms")
    print("kernel     C   HxW    batch  fwd+bwd ms  GFLOPS  of sgemm  of bandwidth")
    for row in r.rows {
      let shape = "\(row.size)x\(row.size)"
      let bw = row.fractionOfBandwidth.map { f($0 * 100, 0) + " %" } ?? "-"
      print(
        row.kernel.padding(toLength: 10, withPad: " ", startingAt: 0) + " "
          + String(row.channels).leftPad(3) + " " + shape.leftPad(5) + " " + String(row.batch).leftPad(7)
          + " " + f(row.milliseconds).leftPad(11) + " " + f(row.gflops, 1).leftPad(7) + " "
          + (f(row.fractionOfGemm * 100, 0) + " %").leftPad(9) + " " + bw.leftPad(13))
    }
  }

  func printJSON(_ r: EngineBenchmarkReport, load: String?) {
    print(#"{"kind":"kernels","variant":"\#(Engine.kernels.rawValue)"}"#)
    for row in r.stridedRows {
      print(
        #"{"kind":"strided_depthwise","kernel":"\#(row.kernel)","channels":\#(row.channels),"#
          + #""size":\#(row.size),"stride":2,"batch":\#(row.batch),"threads":\#(r.threads),"#
          + #""ms":\#(f(row.milliseconds, 4)),"baseline_ms":\#(f(row.baselineMilliseconds, 4)),"#
          + #""speedup":\#(f(row.speedup, 3))}"#)
    }
    if stridedOnly { return }
    print(
      #"{"kind":"gemm","m":1024,"n":1024,"k":1024,"threads":\#(r.threads),"gflops":\#(f(r.gemmGFLOPS, 3))}"#)
    print(#"{"kind":"triad","threads":\#(r.threads),"gbps":\#(f(r.triadGBps, 3))}"#)
    print(#"{"kind":"overhead","ops":10000,"us_per_op":\#(f(r.overheadMicrosPerOp, 4))}"#)
    print(#"{"kind":"mixed_edge","batch":64,"channels":16,"size":32,"ms":\#(f(r.mixedEdgeMilliseconds, 4))}"#)
    for row in r.rows {
      let bw = row.fractionOfBandwidth.map { f($0, 4) } ?? "null"
      print(
        #"{"kind":"conv","kernel":"\#(row.kernel)","channels":\#(row.channels),"size":\#(row.size),"#
          + #""batch":\#(row.batch),"threads":\#(r.threads),"ms":\#(f(row.milliseconds, 4)),"#
          + #""gflops":\#(f(row.gflops, 3)),"fraction_of_gemm":\#(f(row.fractionOfGemm, 4)),"#
          + #""fraction_of_bandwidth":\#(bw)}"#)
    }
  }
}

extension String {
  fileprivate func leftPad(_ n: Int) -> String {
    count >= n ? self : String(repeating: " ", count: n - count) + self
  }
}
