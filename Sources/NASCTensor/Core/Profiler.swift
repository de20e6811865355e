import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where the time of forward and backward passes goes, by op kind (`nasc bench search --profile`).
///
/// Forward: the graph is built on one thread, so the time between two recorded ops is the later
/// op's (its kernel ran just before it was recorded; unrecorded glue in between counts with it).
/// Backward: each node's rule is timed. A recomputed block's first forward (which records nothing)
/// is its own kind; its second forward and its backward count as the ops they run. Off unless
/// `start()` was called on this thread; then one branch per recorded op.
public enum Profiler {
  /// Time and work of one op kind in one direction.
  public struct Entry: Sendable {
    /// Calls.
    public var calls = 0
    /// Seconds.
    public var seconds = 0.0
    /// Floating-point operations (multiply-adds count 2), for convolutions and linear layers.
    public var flops = 0.0
    /// Bytes of the tensors read and written, for the memory-bound ops.
    public var bytes = 0.0

    /// Nothing yet.
    public init() {}
  }

  /// Per op kind, forward and backward.
  public struct Report: Sendable {
    /// Forward entries by kind.
    public var forward: [String: Entry]
    /// Backward entries by kind.
    public var backward: [String: Entry]
    /// Seconds between `start()` and `stop()`.
    public var seconds: Double
  }

  /// What one thread collects (the profile belongs to the thread that started it; graphs built on
  /// other threads, such as other tests in one process, are not seen).
  final class State {
    var mark: Double
    let began: Double
    var forward: [String: Entry] = [:]
    var backward: [String: Entry] = [:]
    init(now: Double) {
      mark = now
      began = now
    }
  }

  static let key: pthread_key_t = {
    var k = pthread_key_t()
    pthread_key_create(&k, nil)
    return k
  }()

  /// How many threads are profiling: while none is, recording an op costs one relaxed load.
  static let profiling = Atomic<Int>(0)

  /// This thread's profile, if it started one.
  @inline(__always)
  static var current: State? {
    guard profiling.load(ordering: .relaxed) > 0, let p = pthread_getspecific(key) else { return nil }
    return Unmanaged<State>.fromOpaque(p).takeUnretainedValue()
  }

  /// Starts (or restarts) collecting on this thread.
  public static func start() {
    _ = stop()
    profiling.wrappingAdd(1, ordering: .relaxed)
    pthread_setspecific(key, Unmanaged.passRetained(State(now: now())).toOpaque())
  }

  /// Stops collecting on this thread and returns what was collected (empty if nothing was started).
  @discardableResult
  public static func stop() -> Report {
    guard let p = pthread_getspecific(key) else { return Report(forward: [:], backward: [:], seconds: 0) }
    pthread_setspecific(key, nil)
    profiling.wrappingSubtract(1, ordering: .relaxed)
    let s = Unmanaged<State>.fromOpaque(p).takeRetainedValue()
    return Report(forward: s.forward, backward: s.backward, seconds: now() - s.began)
  }

  /// Seconds on a monotonic clock.
  @inline(__always)
  static func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
  }

  /// Attributes the time since the last mark to the forward op `op` that produced `elements` values
  /// from `inputs` tensors.
  static func forward(_ s: State, _ op: Op, elements: Int, inputs: Int) {
    let t = now()
    let (kind, flops) = describe(op, backward: false, need: [])
    var e = s.forward[kind, default: Entry()]
    e.calls += 1
    e.seconds += t - s.mark
    e.flops += flops
    e.bytes += flops > 0 ? 0 : Double(4 * elements * (inputs + 1))
    s.forward[kind] = e
    s.mark = t
  }

  /// Attributes the time since `t0` to the backward rule of `op` (not to a recomputed block, whose
  /// ops count themselves).
  static func backward(_ s: State, _ op: Op, since t0: Double, elements: Int, need: [Bool]) {
    let t = now()
    s.mark = t
    if case .recompute = op { return }
    let (kind, flops) = describe(op, backward: true, need: need)
    var e = s.backward[kind, default: Entry()]
    e.calls += 1
    e.seconds += t - t0
    e.flops += flops
    e.bytes += flops > 0 ? 0 : Double(4 * elements * (need.filter { $0 }.count + 1))
    s.backward[kind] = e
  }

  /// The kind of `op` and its floating-point operations (0 for the memory-bound ones).
  static func describe(_ op: Op, backward: Bool, need: [Bool]) -> (String, Double) {
    switch op {
    case .conv2d(let x, let w, let cfg):
      let g = ConvGeometry(x: x.shape, w: w.shape, cfg: cfg)
      let macs = Double(g.n) * Double(g.cout * g.oh * g.ow) * Double(g.kdim)
      let passes = backward ? Double(need.prefix(2).filter { $0 }.count) : 1
      let s = cfg.strideH == 1 && cfg.strideW == 1 ? "" : " stride \(cfg.strideH)"
      let d = cfg.dilationH == 1 && cfg.dilationW == 1 ? "" : " dilation \(cfg.dilationH)"
      let kind =
        g.isDepthwise
        ? "depthwise conv \(g.kh)x\(g.kw)\(s)\(d)" : g.isPointwise ? "conv 1x1\(s)" : "conv \(g.kh)x\(g.kw)\(s)\(d)"
      return (kind, 2 * macs * passes)
    case .linear(let x, let w), .matmul(let x, let w):
      let macs = Double(x.count) * Double(w.shape[0] == x.shape.last ? w.shape[1] : w.shape[0])
      return ("linear", 2 * macs * (backward ? Double(need.prefix(2).filter { $0 }.count) : 1))
    case .batchNorm(let saved):
      return (saved.activation == .identity ? "batch norm" : "batch norm + activation", 0)
    case .relu, .relu6, .tanh, .sigmoid, .leakyRelu: return ("activation", 0)
    case .frobeniusNormalized: return ("element-wise", 0)
    case .add, .sub, .mul, .mulScalar, .scaleBy, .mask, .exp, .log: return ("element-wise", 0)
    case .weightedSum: return ("weighted sum (mixture)", 0)
    case .concat, .slice, .channelShuffle, .reshape, .transpose2d, .identity: return ("copy / shape", 0)
    case .maxPool: return ("max pool", 0)
    case .avgPool: return ("avg pool", 0)
    case .globalAvgPool: return ("global avg pool", 0)
    case .softmax, .logSoftmax, .crossEntropy: return ("softmax / loss", 0)
    case .sum, .sumAxis: return ("reduction", 0)
    case .channelBias: return ("channel bias", 0)
    case .planeBroadcast: return ("element-wise (per-channel broadcast)", 0)
    case .embedding: return ("embedding", 0)
    case .recompute: return ("recomputed edges: first forward", 0)
    case .leaf, .released: return ("other", 0)
    }
  }
}
