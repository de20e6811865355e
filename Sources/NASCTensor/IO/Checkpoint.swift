import Foundation

/// A training checkpoint: a module's parameters and statistics, optimizer states and extra tensors in
/// one safetensors file. Optimizer entries are named "optimizer.<name>.<slot>.<index>".
public enum Checkpoint {
  /// Writes `module`'s state, each optimizer's state and `extra` tensors to `url` atomically.
  public static func save(
    module: Module, optimizers: [String: any Optimizer] = [:], extra: [String: Tensor] = [:],
    metadata: [String: String] = [:], to url: URL
  ) throws {
    var d = module.stateDict()
    for (name, opt) in optimizers {
      for (k, t) in opt.stateDict() { d["optimizer.\(name).\(k)"] = t }
      d["optimizer.\(name).lr"] = Tensor(opt.learningRate)
    }
    for (k, t) in extra {
      guard d[k] == nil else {
        throw CheckpointError.corrupt("extra tensor '\(k)' clashes with a model tensor")
      }
      d[k] = t
    }
    try Safetensors.write(d, metadata: metadata, to: url)
  }

  /// Restores what `save` wrote into `module` and `optimizers`; returns the extra tensors and metadata.
  @discardableResult
  public static func load(
    module: Module, optimizers: [String: any Optimizer] = [:], from url: URL
  ) throws -> (extra: [String: Tensor], metadata: [String: String]) {
    let (all, meta) = try Safetensors.read(from: url)
    try module.load(stateDict: all)
    var used = Set(module.stateDict().keys)
    for (name, opt) in optimizers {
      let prefix = "optimizer.\(name)."
      var sub: [String: Tensor] = [:]
      for (k, t) in all where k.hasPrefix(prefix) {
        sub[String(k.dropFirst(prefix.count))] = t
        used.insert(k)
      }
      if let lr = sub.removeValue(forKey: "lr") { opt.learningRate = lr.scalar }
      try opt.load(stateDict: sub)
    }
    return (all.filter { !used.contains($0.key) }, meta)
  }
}
