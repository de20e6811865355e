import NASCTensor

/// A named group of tensors a method trains or keeps (a network's weights and BN statistics, α/β,
/// a controller), with the optimizer that trains it. The loop checkpoints every set of the current
/// phase as `<name>/<tensor>`, and its optimizer's state as `<name>.optimizer/<entry>`.
public struct ParameterSet {
  /// The set's name (`weights`, `arch`, `controller`).
  public var name: String
  /// The set's tensors by name, as they are now.
  public var tensors: () -> [String: Tensor]
  /// Restores tensors written by `tensors` (throws `CheckpointError` when one is missing or mis-shaped).
  public var load: ([String: Tensor]) throws -> Void
  /// The optimizer, if the set is trained.
  public var optimizer: (any Optimizer)?

  /// Creates a set from its accessors.
  public init(
    name: String, optimizer: (any Optimizer)?, tensors: @escaping () -> [String: Tensor],
    load: @escaping ([String: Tensor]) throws -> Void
  ) {
    self.name = name
    self.optimizer = optimizer
    self.tensors = tensors
    self.load = load
  }

  /// A module's whole state (parameters and running statistics).
  public static func module(_ name: String, _ module: Module, optimizer: (any Optimizer)?) -> ParameterSet {
    ParameterSet(
      name: name, optimizer: optimizer, tensors: { module.stateDict() },
      load: { try module.load(stateDict: $0) })
  }

  /// Architecture parameters, one tensor per choice point id.
  public static func architecture(_ name: String, _ arch: ArchitectureParameters, optimizer: (any Optimizer)?)
    -> ParameterSet
  {
    ParameterSet(name: name, optimizer: optimizer, tensors: { arch.tensors() }, load: { try arch.load($0) })
  }
}
