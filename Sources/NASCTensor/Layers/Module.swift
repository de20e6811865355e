/// A container of parameters, batch-norm statistics and child modules, addressed by dotted names.
///
/// Subclasses create their layers and parameters in `init` and register them:
/// ```swift
/// final class ReLUConvBN: Module {
///   let conv: Conv2d, bn: BatchNorm2d
///   init(_ cin: Int, _ cout: Int, rng: inout RNG) {
///     conv = Conv2d(cin, cout, kernel: 1, rng: &rng)
///     bn = BatchNorm2d(cout, affine: false)
///     super.init()
///     register("conv", conv); register("bn", bn)
///   }
///   func callAsFunction(_ x: Tensor) -> Tensor { bn(conv(x.relu())) }
/// }
/// ```
/// `namedParameters()` then yields "conv.weight", and the BN statistics appear in `namedBuffers()`.
open class Module {
  /// Whether the module (and its children) is in training mode (BN batch statistics, dropout on).
  public private(set) var isTraining = true
  private var ownParameters: [(String, Parameter)] = []
  private var ownStats: [(String, BatchNormStats)] = []
  private var children: [(String, Module)] = []

  /// An empty module.
  public init() {}

  /// Registers `parameter` under `name` and returns it.
  @discardableResult
  public func register(_ name: String, _ parameter: Parameter) -> Parameter {
    precondition(
      !name.isEmpty && !name.contains("."), "parameter name '\(name)' must be non-empty without dots")
    if parameter.name.isEmpty { parameter.name = name }
    ownParameters.append((name, parameter))
    return parameter
  }

  /// Registers a child module under `name` and returns it.
  @discardableResult
  public func register<M: Module>(_ name: String, _ child: M) -> M {
    precondition(!name.isEmpty && !name.contains("."), "module name '\(name)' must be non-empty without dots")
    children.append((name, child))
    return child
  }

  /// Registers batch-norm running statistics under `name` ("" = at this module's own path, as
  /// PyTorch names `bn.running_mean`).
  public func register(_ name: String, _ stats: BatchNormStats) {
    ownStats.append((name, stats))
  }

  /// Every parameter below this module with its dotted path, depth first in registration order.
  public func namedParameters(prefix: String = "") -> [(name: String, parameter: Parameter)] {
    var out = ownParameters.map { (name: prefix + $0.0, parameter: $0.1) }
    for (n, c) in children { out += c.namedParameters(prefix: prefix + n + ".") }
    return out
  }

  /// The parameters of `group` (all when nil), each once even if shared.
  public func parameters(in group: ParameterGroup? = nil) -> [Parameter] {
    var seen = Set<ObjectIdentifier>()
    return namedParameters().map(\.parameter).filter {
      (group == nil || $0.group == group!) && seen.insert(ObjectIdentifier($0)).inserted
    }
  }

  /// This module and every module below it, depth first in registration order.
  public func modules() -> [Module] {
    [self] + children.flatMap { $0.1.modules() }
  }

  /// Every batch-norm statistic below this module: "<path>.running_mean", "<path>.running_var".
  public func namedStats(prefix: String = "") -> [(name: String, stats: BatchNormStats)] {
    var out = ownStats.map { (name: $0.0.isEmpty ? String(prefix.dropLast()) : prefix + $0.0, stats: $0.1) }
    for (n, c) in children { out += c.namedStats(prefix: prefix + n + ".") }
    return out
  }

  /// Parameters and statistics as named tensors (the model part of a checkpoint).
  public func stateDict() -> [String: Tensor] {
    var d: [String: Tensor] = [:]
    for (n, p) in namedParameters() { d[n] = p.data }
    for (n, s) in namedStats() {
      d[Module.key(n, "running_mean")] = s.mean
      d[Module.key(n, "running_var")] = s.variance
      d[Module.key(n, "num_batches_tracked")] = Tensor(Float(s.batchesTracked))
    }
    return d
  }

  /// Restores what `stateDict()` wrote; throws if a name is missing or a shape differs.
  public func load(stateDict d: [String: Tensor]) throws {
    func fetch(_ n: String, _ shape: [Int]) throws -> Tensor {
      guard let t = d[n] else { throw CheckpointError.missingTensor(n) }
      guard t.shape == shape else { throw CheckpointError.shapeMismatch(n, expected: shape, found: t.shape) }
      return t
    }
    for (n, p) in namedParameters() { p.value = try fetch(n, p.shape) }
    for (n, s) in namedStats() {
      s.mean = try fetch(Module.key(n, "running_mean"), s.mean.shape)
      s.variance = try fetch(Module.key(n, "running_var"), s.variance.shape)
      if let t = d[Module.key(n, "num_batches_tracked")], t.count == 1, let v = t.scalars.first, v.isFinite, v >= 0,
        v < 16_777_216
      {
        s.batchesTracked = Int(v)
      }
    }
  }

  static func key(_ path: String, _ leaf: String) -> String { path.isEmpty ? leaf : path + "." + leaf }

  /// Sets training mode on this module and all children.
  public func train(_ on: Bool = true) {
    isTraining = on
    for (_, c) in children { c.train(on) }
  }

  /// Sets evaluation mode on this module and all children.
  public func eval() { train(false) }

  /// Clears the gradients of every parameter below this module.
  public func zeroGrad() {
    for (_, p) in namedParameters() { p.zeroGrad() }
  }
}
