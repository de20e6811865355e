import ArgumentParser
import Foundation
import NASCSearch
import NASCSpace

/// `nasc bench search`: milliseconds per first-order search step of the DARTS supernet.
struct SearchBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "search",
    abstract: "Time search steps of a supernet on synthetic data (build with -c release).",
    discussion: """
      DARTS family: one step = an architecture step on a validation batch + a weight step on a training batch. \
      spos, fairnas, oneshot: one supernet training step on one batch (use --space spaces/proxylessnas-digits.yaml); \
      oneshot drops each op of a 7-candidate layer with probability 0.5 (path_dropout 0.5^7), as the PyTorch reference; \
      proxylessnas, fbnet: a weight step and an architecture step (binary gates; soft Gumbel mixture). \
      The last stdout line is one JSON object (method, input, batch, threads, ms_per_step, images_per_s, \
      peak_rss_mb, weight_params, flops_per_step, first_loss, steps, kernels). Run one setting per process for a \
      clean peak RSS.
      """)

  @Option(help: "darts, gdas, pc-darts (K = 4), spos, fairnas, oneshot, proxylessnas or fbnet.")
  var method = "darts"

  @Option(help: "32 for 3×32×32 inputs, 8 for 1×8×8.")
  var input = 32

  @Option(help: "Images per batch (two batches per step in the DARTS family).")
  var batch = 64

  @Option(help: "Engine threads.")
  var threads = 2

  @Option(help: "Timed steps.")
  var steps = 10

  @Option(help: "Untimed warm-up steps.")
  var warmup = 2

  @Option(help: "The space (default: 8 DARTS cells, C = 16, 8 ops).")
  var space = "spaces/darts-cnn.yaml"

  @Flag(help: "Print only the JSON line on stdout.")
  var json = false

  @Flag(help: "Print where a step's time goes: per op kind, forward and backward ms and GFLOPS or GB/s.")
  var profile = false

  func validate() throws {
    guard ["darts", "gdas", "pc-darts", "spos", "fairnas", "oneshot", "proxylessnas", "fbnet"].contains(method) else {
      throw ValidationError("--method must be darts, gdas, pc-darts, spos, fairnas, oneshot, proxylessnas or fbnet")
    }
    guard input == 32 || input == 8 else { throw ValidationError("--input must be 32 or 8") }
    guard batch >= 2, threads >= 1, steps >= 1, warmup >= 0 else {
      throw ValidationError("--batch ≥ 2, --threads ≥ 1, --steps ≥ 1")
    }
  }

  func run() throws {
    let shape = input == 32 ? Shape(3, 32, 32) : Shape(1, 8, 8)
    let (ir, _) = try compileOrExit(space, CompileOptions(method: method, input: shape))
    try reportingRunErrors {
      let r = try SearchBenchmark.run(
        ir: ir, input: input, batch: batch, threads: threads, warmup: warmup, steps: steps, profile: profile
      ) { Terminal.err("  " + $0 + "\n") }
      if let p = r.profile, !json { Terminal.out(ProfileTable.render(p, steps: r.steps)) }
      if !json {
        Terminal.out(
          String(
            format: "%@ %dx%dx%d batch %d, %d threads: %.0f ms/step, %.2f images/s, peak RSS %.0f MB, %d weights\n",
            r.method, shape.channels, shape.height, shape.width, r.batch, r.threads, r.msPerStep, r.imagesPerSecond,
            r.peakRSSMB, r.weightParams))
      }
      Terminal.out(r.json + "\n")
    }
  }
}
