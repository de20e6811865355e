import NASCSpace
import NASCTensor

/// One edge of a cell (or one layer of a layer-wise space): its candidate ops and, for PC-DARTS, the
/// partial-channel split. A relaxation's `EdgePlan` says which candidates run and how they are mixed.
public final class MixedEdgeModule: Module {
  /// The IR edge's choice point id (nil when fixed).
  public let choice: String?
  /// Candidate names, in α column order.
  public let names: [String]
  /// The candidate modules.
  public let candidates: [PrimGraphModule]
  /// PC-DARTS K (candidates run on the first C/K channels), or nil.
  public let partialChannels: Int?
  /// Stride of the edge (the bypass of a partial-channel edge is max-pooled when 2).
  public let stride: Int

  /// Builds the candidates.
  public init(choice: String?, candidates: [Candidate], stride: Int, partialChannels: Int?, rng: inout RNG) throws {
    self.choice = choice
    self.names = candidates.map(\.name)
    self.stride = stride
    self.partialChannels = partialChannels.flatMap { $0 > 1 ? $0 : nil }
    var mods = [PrimGraphModule]()
    for c in candidates { mods.append(try PrimGraphModule(c.graph, rng: &rng)) }
    self.candidates = mods
    super.init()
    for (name, m) in zip(names, mods) { register(name, m) }
  }

  /// The indices of candidates that are not the `none` op (a mixture never needs to run those).
  public lazy var nonZero: [Int] = candidates.indices.filter { !candidates[$0].isZero }

  /// Runs the edge on `x` as `plan` says (a fixed edge ignores the plan and runs its only candidate).
  public func callAsFunction(_ x: Tensor, plan: EdgePlan?, context: inout ForwardContext) -> Tensor {
    guard let k = partialChannels else { return mix(x, plan: plan, context: &context) }
    let c = x.shape[1]
    let part = c / k
    let y = mix(x.channels(0..<part), plan: plan, context: &context)
    var rest = x.channels(part..<c)
    if stride == 2 { rest = maxPool2d(rest, Pool2DConfig(kernel: 2, stride: 2)) }
    return concat([y, rest], axis: 1).channelShuffle(groups: k)
  }

  private func mix(_ x: Tensor, plan: EdgePlan?, context: inout ForwardContext) -> Tensor {
    let drop = context.dropPath
    func run(_ i: Int) -> Tensor {
      let y = candidates[i](x, context: &context)
      if drop > 0 && isTraining && !candidates[i].isIdentity {
        return y.dropPath(drop, training: true, rng: &context.rng)
      }
      return y
    }
    switch plan {
    case nil:
      precondition(candidates.count == 1, "edge \(choice ?? "?") has \(candidates.count) candidates but no plan")
      return run(0)
    case .single(let index, let weight)?:
      let y = run(index)
      return weight.map { y.scaled(by: $0) } ?? y
    case .singleWithOthers(let index, let weight, let others)?:
      let y = run(index).scaled(by: weight)
      return y + Tensor.ones(y.shape).scaled(by: others.sum())
    case .mixture(let active, let weights)?:
      precondition(weights.count == active.count, "mixture weights do not match the active candidates")
      if active.count == 1 { return run(active[0]).scaled(by: weights) }
      return weightedSum(active.map(run), weights: weights)
    }
  }
}
