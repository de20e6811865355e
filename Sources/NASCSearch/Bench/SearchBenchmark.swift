import NASCData
import Foundation
import NASCSpace
import NASCTensor

/// `nasc bench search`: times search steps on synthetic data, with the same method step that
/// `nasc search` runs: for the DARTS family an architecture step on a validation batch plus a
/// weight step on a training batch (first order); for the one-shot methods one supernet training
/// step on one batch (SPOS: one path; FairNAS: its m fair paths; One-Shot: every op, dropped out
/// per ghost batch).
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
    /// Images per second (2 · batch per step for the DARTS family, batch for the one-shot methods).
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
    /// With `profile`, where the timed steps' time went, by op kind.
    public var profile: Profiler.Report?

    /// The JSON line printed last.
    public var json: String {
      String(
        format:
          "{\"method\": \"%@\", \"input\": %d, \"batch\": %d, \"threads\": %d, \"ms_per_step\": %.1f, \"images_per_s\": %.2f, \"peak_rss_mb\": %.1f, \"weight_params\": %d, \"flops_per_step\": %.4g, \"first_loss\": %.6f, \"steps\": %d, \"kernels\": \"%@\"}",
        method, input, batch, threads, msPerStep, imagesPerSecond, peakRSSMB, weightParams, flopsPerStep,
        Double(firstLoss), steps, Engine.kernels.rawValue)
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

  /// The method config of a benchmark step: the method's paper values with one epoch (τ = τ_max
  /// for GDAS), the given batch, a 50/50 split, no warm-up and first order.
  public static func config(ir: SpaceIR, batch: Int) throws -> MethodConfig {
    guard var config = ir.method else {
      throw RunError("E310", "the space has no search method", help: "add search: {method: darts}")
    }
    config.set("epochs", .int(1))
    config.set("batch_size", .int(batch))
    config.set("train_portion", .real(0.5))
    config.set("warmup_epochs", .int(0))
    config.set("order", .string("first"))
    config.set("iterations", .int(1000))
    config.set("bn_recalibration_batches", .int(0))
    // ProxylessNAS: an architecture step after every weight step, as the reference times them.
    config.set("arch_update_every", .int(1))
    // ... and a latency loss whose reference every path of any input size exceeds (it does not
    // change the cost of a step).
    config.set("latency_loss", .string("add#linear"))
    config.set("latency_ref", .real(1e9))
    // One-Shot after the warm-up step: r = 0.5^7, so that each op of a 7-candidate layer is dropped
    // with probability r^(1/7) = 0.5, as in the PyTorch reference (6-candidate layers: 0.45).
    config.set("path_dropout", .real(0.0078125))
    return config
  }

  /// Builds the method of `ir` for a benchmark on synthetic data; `E310` unless it trains a supernet.
  public static func makeMethod(ir: SpaceIR, batch: Int, threads: Int, seed: UInt64) throws -> any SearchMethod {
    guard ir.network.tokens == nil else {
      throw RunError(
        "E310", "nasc bench search times image supernets; \(ir.name) reads tokens",
        help: "time a recurrent search with nasc search: its progress line shows steps per second")
    }
    let data = syntheticData(shape: ir.network.input, classes: ir.network.classes, batch: batch, seed: seed)
    let context = MethodContext(
      ir: ir, config: try config(ir: ir, batch: batch),
      run: RunSettings(seed: seed, threads: threads, data: "synthetic"),
      data: data)
    let m = try MethodRegistry.make(context)
    guard m is any SupernetMethod || m is any SharedWeightMethod else {
      throw RunError(
        "E310", "nasc bench search times supernet steps; \(context.config.name) trains no supernet",
        help: "use --method darts, gdas, pc-darts, proxylessnas, fbnet, spos, fairnas or oneshot")
    }
    return m
  }

  /// Runs `warmup` untimed and then `steps` timed steps (stopping early after `maxSeconds` once
  /// `minSteps` are done).
  public static func run(
    ir: SpaceIR, input: Int, batch: Int, threads: Int, seed: UInt64 = 1, warmup: Int = 1, steps: Int = 5,
    minSteps: Int = 2,
    maxSeconds: Double = 120, profile: Bool = false, log: (String) -> Void = { _ in }
  ) throws -> Result {
    let method = try makeMethod(ir: ir, batch: batch, threads: threads, seed: seed)
    let bilevel = (method as? any SupernetMethod)?.supernet
    let shared = (method as? any SharedWeightMethod)?.supernet
    var first: Float?
    var position = LoopPosition()
    func step() throws -> Float {
      if let fbnet = method as? FBNet {
        // FBNet trains θ after the epoch's weight steps: one timed step is one of each.
        try fbnet.step(at: LoopPosition())
        var arch = LoopPosition()
        arch.step = fbnet.supernet.stepsPerEpoch
        try fbnet.step(at: arch)
        return fbnet.supernet.lastWeightLoss
      }
      try method.step(at: position)
      position.step += 1
      return bilevel?.lastWeightLoss ?? shared?.lastLoss ?? .nan
    }
    for i in 0..<warmup {
      let l = try step()
      if first == nil { first = l }
      log("warm-up step \(i + 1): loss \(l)")
    }
    var times = [Double]()
    if profile { Profiler.start() }
    let start = Date()
    while times.count < steps {
      let t0 = Date()
      let l = try step()
      if first == nil { first = l }
      times.append(Date().timeIntervalSince(t0))
      log(String(format: "step %d: %.0f ms", times.count, 1000 * times.last!))
      if times.count >= minSteps && Date().timeIntervalSince(start) > maxSeconds { break }
    }
    let report = profile ? Profiler.stop() : nil
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
    let model = bilevel?.model ?? shared!.model
    let weights = model.weights.reduce(0) { $0 + $1.shape.reduce(1, *) }
    let name = type(of: method).name
    let batches = bilevel == nil ? 1 : 2
    let paths = (method as? FairNAS).map { Double($0.paths) } ?? 1
    return Result(
      method: name, input: input, batch: batch, threads: threads, msPerStep: 1000 * median,
      imagesPerSecond: Double(batches * batch) / median, peakRSSMB: rssMB, weightParams: weights,
      flopsPerStep: 2 * 3 * Double(batches) * paths * Double(batch) * executedMACs(ir, method: name),
      firstLoss: first ?? .nan, steps: times.count, profile: report)
  }

  /// Forward multiply-accumulates per image: the whole supernet for mixtures (and One-Shot at the
  /// start of training, when path dropout is still 0); for GDAS and the single-path methods one
  /// candidate per edge or layer (the mean over candidates, its expectation under uniform sampling).
  static func executedMACs(_ ir: SpaceIR, method: String) -> Double {
    guard ["gdas", "spos", "fairnas"].contains(method) else { return Double(ir.cost.macs) }
    var total = Double(ir.cost.macs)
    func single(_ candidates: [Candidate]) {
      guard candidates.count > 1 else { return }
      let costs = candidates.map { Double(CostModel.cost($0.graph).macs) }
      total -= costs.reduce(0, +) - costs.reduce(0, +) / Double(costs.count)
    }
    for cell in ir.cells { for node in cell.nodes { for e in node.edges { single(e.candidates) } } }
    if method != "gdas" { for layer in ir.layers { single(layer.candidates) } }
    return total
  }
}
