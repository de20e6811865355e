import Foundation
import NASCSpace
import NASCTensor

/// `nasc bench search`: times first-order search steps (an architecture step on a validation batch
/// plus a weight step on a training batch) on synthetic data, with the same `SearchRun.step` that
/// `nasc search` runs.
public enum SearchBenchmark {
  /// One measurement.
  public struct Result: Sendable {
    /// Method name.
    public var method: String
    /// Input side (32 = 3×32×32, 8 = 1×8×8).
    public var input: Int
    /// Batch size (of each of the two batches).
    public var batch: Int
    /// Engine threads.
    public var threads: Int
    /// Median milliseconds per step.
    public var msPerStep: Double
    /// Images per second (2 · batch per step).
    public var imagesPerSecond: Double
    /// Peak resident memory of the process (MB).
    public var peakRSSMB: Double
    /// Weight parameters of the supernet.
    public var weightParams: Int
    /// Floating-point operations per step (2 · MACs, forward + backward ≈ 3 × forward, both batches).
    public var flopsPerStep: Double
    /// Loss of the first weight step.
    public var firstLoss: Float
    /// Timed steps.
    public var steps: Int

    /// The JSON line printed last.
    public var json: String {
      String(
        format:
          "{\"method\": \"%@\", \"input\": %d, \"batch\": %d, \"threads\": %d, \"ms_per_step\": %.1f, \"images_per_s\": %.2f, \"peak_rss_mb\": %.1f, \"weight_params\": %d, \"flops_per_step\": %.4g, \"first_loss\": %.6f, \"steps\": %d}",
        method, input, batch, threads, msPerStep, imagesPerSecond, peakRSSMB, weightParams, flopsPerStep,
        Double(firstLoss), steps)
    }
  }

  /// Synthetic data: `2 · batch` images drawn N(0, 1) and uniform labels, from `seed`.
  public static func syntheticData(shape: Shape, classes: Int, batch: Int, seed: UInt64) -> ImageDataset {
    var rng = RNG(seed: seed ^ 0x5EED)
    let n = 2 * batch
    let pixels = (0..<(n * shape.elements)).map { _ in rng.nextNormal() }
    let labels = (0..<n).map { _ in Int32(rng.nextInt(below: classes)) }
    return ImageDataset(
      channels: shape.channels, height: shape.height, width: shape.width, classes: classes, pixels: pixels,
      labels: labels)
  }

  /// Settings of a benchmark step: the method's paper values, with τ = 10 for GDAS (a single
  /// epoch) and no warm-up.
  public static func settings(ir: SpaceIR, batch: Int, threads: Int, seed: UInt64) throws -> SearchSettings {
    guard let config = ir.method else {
      throw SearchError("E310", "the space has no search method", help: "add search: {method: darts}")
    }
    var s = SearchSettings(
      config: config, epochs: 1, batchSize: batch, seed: seed, threads: threads, data: "synthetic", trainLimit: nil)
    s.trainPortion = 0.5
    s.warmupEpochs = 0
    s.order = "first"
    return s
  }

  /// Builds the run for `ir` on synthetic data.
  public static func makeRun(ir: SpaceIR, batch: Int, threads: Int, seed: UInt64) throws -> SearchRun {
    let data = syntheticData(shape: ir.network.input, classes: ir.network.classes, batch: batch, seed: seed)
    return try SearchRun(ir: ir, settings: try settings(ir: ir, batch: batch, threads: threads, seed: seed), data: data)
  }

  /// Runs `warmup` untimed and then `steps` timed steps (stopping early after `maxSeconds` once
  /// `minSteps` are done).
  public static func run(
    ir: SpaceIR, input: Int, batch: Int, threads: Int, seed: UInt64 = 1, warmup: Int = 1, steps: Int = 5,
    minSteps: Int = 2,
    maxSeconds: Double = 120, log: (String) -> Void = { _ in }
  ) throws -> Result {
    let run = try makeRun(ir: ir, batch: batch, threads: threads, seed: seed)
    var first: Float?
    for i in 0..<warmup {
      let l = try run.sampledStep()
      if first == nil { first = l }
      log("warm-up step \(i + 1): loss \(l)")
    }
    var times = [Double]()
    let start = Date()
    while times.count < steps {
      let t0 = Date()
      let l = try run.sampledStep()
      if first == nil { first = l }
      times.append(Date().timeIntervalSince(t0))
      log(String(format: "step %d: %.0f ms", times.count, 1000 * times.last!))
      if times.count >= minSteps && Date().timeIntervalSince(start) > maxSeconds { break }
    }
    let median = times.sorted()[times.count / 2]
    var usage = rusage()
    #if os(Linux)
      getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
      getrusage(RUSAGE_SELF, &usage)
    #endif
    #if os(Linux)
      let rssMB = Double(usage.ru_maxrss) / 1024
    #else
      let rssMB = Double(usage.ru_maxrss) / 1_048_576
    #endif
    let weights = run.model.weights.reduce(0) { $0 + $1.shape.reduce(1, *) }
    return Result(
      method: run.settings.method, input: input, batch: batch, threads: threads, msPerStep: 1000 * median,
      imagesPerSecond: Double(2 * batch) / median, peakRSSMB: rssMB, weightParams: weights,
      flopsPerStep: 2 * 3 * 2 * Double(batch) * Double(executedMACs(ir, method: run.settings.method)),
      firstLoss: first ?? .nan, steps: times.count)
  }

  /// Forward multiply-accumulates per image: the whole supernet for mixtures; for GDAS, one
  /// candidate per edge (the mean over candidates, its expectation under uniform α).
  static func executedMACs(_ ir: SpaceIR, method: String) -> Int {
    guard method == "gdas" else { return ir.cost.macs }
    var total = ir.cost.macs
    for cell in ir.cells {
      for node in cell.nodes {
        for e in node.edges where e.candidates.count > 1 {
          let costs = e.candidates.map { CostModel.cost($0.graph).macs }
          total -= costs.reduce(0, +) - costs.reduce(0, +) / costs.count
        }
      }
    }
    return total
  }
}
