/// A trainable tensor: a leaf of the autodiff graph whose gradient accumulates across backward passes
/// until `zeroGrad()`.
///
/// Read `value` to use it in a computation (the result is linked to this parameter); assign `value`
/// to overwrite it (for finite-difference Hessian-vector products, weight loading, …).
public final class Parameter {
  /// The name given at creation, else the local name of its first registration ("weight");
  /// `Module.namedParameters()` gives the full dotted paths ("cells.0.edges.3.sep3.dw1.weight").
  public internal(set) var name: String
  /// The group it belongs to, e.g. `.weights` or `.architecture`, so optimizers can be given disjoint sets.
  public let group: ParameterGroup
  let leaf: Node
  var data: Tensor
  /// Whether reading `value` links it into the autodiff graph (default true). Turning it off freezes
  /// the parameter: computations treat it as a constant, so backward skips work that would only
  /// produce its gradient (e.g. the weight GEMMs of a convolution).
  public var requiresGrad = true

  /// A parameter holding `value` (its graph link, if any, is dropped).
  public init(_ value: Tensor, name: String = "", group: ParameterGroup = .weights) {
    data = value.detached()
    self.name = name
    self.group = group
    leaf = Node(op: .leaf, inputs: [])
  }

  /// The current value, linked into the autodiff graph (when gradients are enabled).
  public var value: Tensor {
    get {
      var t = data
      if requiresGrad && GradMode.isEnabled { t.node = leaf }
      return t
    }
    set {
      precondition(newValue.shape == data.shape, "parameter \(name): shape \(newValue.shape) ≠ \(data.shape)")
      data = newValue.detached()
    }
  }

  /// The shape of the value.
  public var shape: [Int] { data.shape }

  /// The gradient accumulated since the last `zeroGrad()`, or nil if none arrived.
  public var grad: Tensor? {
    get { leaf.grad }
    set {
      if let g = newValue { precondition(g.shape == data.shape, "gradient shape \(g.shape) ≠ \(data.shape)") }
      leaf.grad = newValue?.detached()
    }
  }

  /// Forgets the accumulated gradient.
  public func zeroGrad() { leaf.grad = nil }

  /// Mutates the value in place (copy-on-write if the tape still holds the old value).
  public func update(_ body: (UnsafeMutableBufferPointer<Float>) -> Void) {
    data.withUnsafeMutableBufferPointer(body)
  }
}

/// A named set of parameters that one optimizer owns.
public struct ParameterGroup: Hashable, Sendable, CustomStringConvertible {
  /// The group's name.
  public let name: String
  /// A group called `name`.
  public init(_ name: String) { self.name = name }
  /// Ordinary network weights.
  public static let weights = ParameterGroup("weights")
  /// Architecture parameters (α, β of DARTS-style methods).
  public static let architecture = ParameterGroup("architecture")
  /// Controller parameters (ENAS, ProxylessNAS-RL).
  public static let controller = ParameterGroup("controller")
  /// The group name.
  public var description: String { name }
}
