import Foundation
import NASCSpace
import NASCTensor

/// Times blocks and whole networks on the native engine: inference mode (no gradient tape, batch
/// norms on running statistics), warm-up runs first, then the median of repeated runs.
public enum LatencyMeter {
  /// One timing: median, fastest and slowest run (milliseconds), and how many runs.
  public struct Timing: Sendable {
    /// Median run.
    public var ms: Double
    /// Fastest run.
    public var minMs: Double
    /// Slowest run.
    public var maxMs: Double
    /// Timed runs.
    public var runs: Int

    /// The timing of `sorted` (ascending, not empty) run times.
    init(sorted s: [Double]) {
      let n = s.count
      ms = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
      (minMs, maxMs, runs) = (s[0], s[n - 1], n)
    }
  }

  /// The conditions of a measurement made now, on this machine.
  public static func conditions(threads: Int, batch: Int) -> LatencyTable.Conditions {
    let f = ISO8601DateFormatter()
    f.timeZone = TimeZone(identifier: "UTC")
    return LatencyTable.Conditions(
      threads: threads, batch: batch, cpu: cpuModel(), nascVersion: NASCSpace.nascVersion, date: f.string(from: Date()),
      build: buildKind)
  }

  /// How this nasc was built: a debug build's timings say little about a release build's.
  public static var buildKind: String {
    #if DEBUG
      return "debug"
    #else
      return "release"
    #endif
  }

  /// The processor's model name (Linux `/proc/cpuinfo`; `sysctl` names are not read), or `unknown`.
  public static func cpuModel() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown" }
    for line in text.split(separator: "\n") where line.hasPrefix("model name") {
      if let colon = line.firstIndex(of: ":") {
        return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      }
    }
    return "unknown"
  }

  /// Runs `body` `warmup` times, then at least `minRuns` times and until `minSeconds` have passed
  /// (at most `maxRuns`), and returns the timing of the measured runs.
  public static func time(
    warmup: Int = 3, minRuns: Int = 10, minSeconds: Double = 0.25, maxRuns: Int = 2000, _ body: () -> Void
  ) -> Timing {
    for _ in 0..<warmup { body() }
    var samples = [Double]()
    let start = DispatchTime.now().uptimeNanoseconds
    while samples.count < maxRuns {
      let t0 = DispatchTime.now().uptimeNanoseconds
      body()
      let t1 = DispatchTime.now().uptimeNanoseconds
      samples.append(Double(t1 - t0) / 1e6)
      if samples.count >= minRuns && Double(t1 - start) / 1e9 >= minSeconds { break }
    }
    return Timing(sorted: samples.sorted())
  }

  /// Times every block at its input shape with `batch` images, round-robin: each round runs
  /// every block once, so that (as in a whole network) a block's weights and activations are not
  /// left in cache by its own previous run. Rounds continue until every block has `minRuns`
  /// samples and `minSeconds` per block have passed (at most `maxRuns`); each entry is the median.
  /// `progress(done, total, name)` reports the rounds.
  public static func measure(
    _ blocks: [LatencyBlock], batch: Int, seed: UInt64 = 1, minRuns: Int = 10, minSeconds: Double = 0.25,
    maxRuns: Int = 2000, progress: (Int, Int, String) -> Void = { _, _, _ in }
  ) throws -> [LatencyTable.Entry] {
    var rng = RNG(seed: seed)
    var runs = [() -> Void]()
    for b in blocks {
      let module: PrimGraphModule
      do { module = try PrimGraphModule(b.graph, rng: &rng) } catch let e as LoweringError {
        throw RunError(
          "E312", "cannot time \(b.name): \(e.description)", help: "latency tables time layer-wise image spaces")
      }
      module.eval()
      let s = b.graph.input
      let x = Tensor.randn([batch, s.channels, s.height, s.width], std: 1, rng: &rng)
      var context = ForwardContext(rng: RNG(seed: seed))
      let residual = b.residual
      runs.append {
        withNoGrad {
          let y = module(x, context: &context)
          _ = residual ? y + x : y
        }
      }
    }
    for _ in 0..<3 { for r in runs { r() } }
    var samples = [[Double]](repeating: [], count: runs.count)
    let start = DispatchTime.now().uptimeNanoseconds
    let budget = minSeconds * Double(runs.count)
    var round = 0
    while round < maxRuns {
      for (i, r) in runs.enumerated() {
        let t0 = DispatchTime.now().uptimeNanoseconds
        r()
        samples[i].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
      }
      round += 1
      let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      progress(min(round, minRuns), minRuns, "round \(round)")
      if round >= minRuns && elapsed >= budget { break }
    }
    return blocks.enumerated().map { i, b in
      let t = Timing(sorted: samples[i].sorted())
      let cost = SharedWeightSupernet.standalone(b.graph)
      return LatencyTable.Entry(
        key: b.key, name: b.name, ms: t.ms, minMs: t.minMs, maxMs: t.maxMs, runs: t.runs, params: cost.params,
        macs: cost.macs)
    }
  }

  /// Times the whole decided network `network` (every layer one candidate) on `batch` images.
  public static func measure(network: NetworkIR, batch: Int, seed: UInt64 = 1, minSeconds: Double = 1) throws
    -> Timing
  {
    var rng = RNG(seed: seed)
    let model: SupernetModel
    do { model = try SupernetModel(network, rng: &rng) } catch let e as LoweringError {
      throw RunError("E312", "cannot time the network: \(e.description)", help: "latency checks time layer-wise spaces")
    }
    model.eval()
    let s = network.input
    let x = Tensor.randn([batch, s.channels, s.height, s.width], std: 1, rng: &rng)
    var context = ForwardContext(rng: RNG(seed: seed))
    return time(minSeconds: minSeconds) {
      withNoGrad { _ = model(x, plan: ForwardPlan(), context: &context) }
    }
  }
}
