import Foundation
import NASCSpace
import NASCTensor

/// One edge of a cell (or one layer of a layer-wise space): its candidate ops and, for PC-DARTS, the
/// partial-channel split. A relaxation's `EdgePlan` says which candidates run and how they are mixed.
public final class MixedEdgeModule: Module {
  /// The IR edge's choice point id (nil when fixed).
  public let choice: String?
  /// Candidate names, in α column order.
  public let names: [String]
  /// The candidate modules (candidates of one weight-shared width family are the same module).
  public let candidates: [PrimGraphModule]
  /// Per candidate, its own graph when it runs as a narrower slice of a shared module, else nil.
  let narrower: [PrimGraph?]
  /// PC-DARTS K (candidates run on the first C/K channels), or nil.
  public let partialChannels: Int?
  /// Stride of the edge (the bypass of a partial-channel edge is max-pooled when 2).
  public let stride: Int
  /// Per candidate, the name its module is registered under (its checkpoint path segment).
  let registeredNames: [String]

  /// Builds the candidates.
  public init(choice: String?, candidates: [Candidate], stride: Int, partialChannels: Int?, rng: inout RNG) throws {
    self.choice = choice
    self.names = candidates.map(\.name)
    self.stride = stride
    self.partialChannels = partialChannels.flatMap { $0 > 1 ? $0 : nil }
    // Candidates expanded from one entry by value choices whose graphs differ only in widths share
    // one module at the largest widths (registered under the first one's name).
    var mods = [PrimGraphModule?](repeating: nil, count: candidates.count)
    var narrower = [PrimGraph?](repeating: nil, count: candidates.count)
    var registered = [(String, PrimGraphModule)]()
    var names = [String](repeating: "", count: candidates.count)
    for group in Candidate.sharingGroups(candidates) {
      let m = try PrimGraphModule(group.widest, rng: &rng)
      // Module names have no dots: a value such as `scale0.2` becomes `scale0p2`.
      let name = candidates[group.members[0]].name.replacingOccurrences(of: ".", with: "p")
      for i in group.members {
        mods[i] = m
        names[i] = name
        if candidates[i].graph != group.widest { narrower[i] = candidates[i].graph }
      }
      registered.append((name, m))
    }
    self.candidates = mods.map { $0! }
    self.narrower = narrower
    registeredNames = names
    super.init()
    for (name, m) in registered { register(name, m) }
  }

  /// The name candidate `i`'s module is registered under: its checkpoint path segment.
  public func registeredName(_ i: Int) -> String { registeredNames[i] }

  /// The indices of candidates that are not the `none` op (a mixture never needs to run those).
  public lazy var nonZero: [Int] = candidates.indices.filter { !candidates[$0].isZero }

  /// Whether `plan` runs only the `none` op here, unweighted: the edge's output is zeros, and a
  /// residual layer is its shortcut alone (ProxylessNAS' Zero removes the layer).
  public func runsOnlyZero(_ plan: EdgePlan?) -> Bool {
    guard partialChannels == nil else { return false }
    switch plan {
    case nil: return candidates.count == 1 && candidates[0].isZero
    case .single(let i, nil)?: return candidates[i].isZero
    default: return false
    }
  }

  /// Runs the edge on `x` as `plan` says (a fixed edge ignores the plan and runs its only candidate).
  /// `widths`, for a layer after or with a width choice, holds each candidate's graph at the widths
  /// this pass runs (a `WidthVariant`'s graphs): they run on slices of the shared weights.
  public func callAsFunction(
    _ x: Tensor, plan: EdgePlan?, context: inout ForwardContext, widths: [PrimGraph]? = nil
  ) -> Tensor {
    guard let k = partialChannels else { return mix(x, plan: plan, context: &context, widths: widths) }
    let c = x.shape[1]
    let part = c / k
    let y = mix(x.channels(0..<part), plan: plan, context: &context, widths: widths)
    var rest = x.channels(part..<c)
    if stride == 2 { rest = maxPool2d(rest, Pool2DConfig(kernel: 2, stride: 2)) }
    return concat([y, rest], axis: 1).channelShuffle(groups: k)
  }

  /// Whether mixtures and sampled ops run as a recomputed block (see `recomputed`): the forward
  /// pass keeps none of the candidates' activations, only the edge input, and backward runs the
  /// edge again. Trades one more forward pass of the edge for most of the search's memory. Only
  /// used when the edge draws no random numbers (no dropout, no drop path).
  public var recompute = false

  /// Whether some candidate draws random numbers (dropout), which a recomputed edge cannot repeat.
  public private(set) lazy var isStochastic: Bool = candidates.contains { c in
    c.graph.nodes.contains { if case .dropout = $0.op { true } else { false } }
  }

  /// The running statistics of every batch norm of the candidates.
  private lazy var allStats: [BatchNormStats] = namedStats().map(\.stats)

  private func mix(_ x: Tensor, plan: EdgePlan?, context: inout ForwardContext, widths: [PrimGraph]?) -> Tensor {
    if recompute, plan != nil, context.dropPath == 0, context.skipDropout == 0, !isStochastic, x.count >= recomputeFrom
    {
      return recomputedMix(x, plan: plan!, widths: widths)
    }
    return directMix(x, plan: plan, context: &context, widths: widths)
  }

  /// Recomputed edges whose input has fewer elements than this run on one thread (waking a second
  /// thread for every small kernel costs more than it saves). `NASC_SERIAL_BELOW` overrides it.
  static let serialBelow: Int = {
    if let s = ProcessInfo.processInfo.environment["NASC_SERIAL_BELOW"], let v = Int(s) { return v }
    return 1 << 18
  }()

  /// With `recompute`, edges whose input has fewer elements than this still keep their
  /// activations: they hold little memory, and their many small kernels are mostly overhead to rerun.
  public var recomputeFrom = 0

  /// The `recomputeFrom` a search uses: 2^16 elements (256 KB, e.g. 64 × 16 × 8 × 8);
  /// `NASC_RECOMPUTE_FROM` overrides it.
  public static let defaultRecomputeFrom: Int = {
    if let s = ProcessInfo.processInfo.environment["NASC_RECOMPUTE_FROM"], let v = Int(s) { return v }
    return 1 << 16
  }()

  /// `directMix` as a recomputed block; the second run leaves the BN running statistics as the
  /// first one set them.
  private func recomputedMix(_ x: Tensor, plan: EdgePlan, widths: [PrimGraph]?) -> Tensor {
    var inputs = [x]
    switch plan {
    case .mixture(_, let w): inputs.append(w)
    case .single(_, let w?): inputs.append(w)
    case .single(_, nil): break
    case .singleWithOthers(_, let w, let o): inputs += [w, o]
    case .off: preconditionFailure("an edge that is off is not run")
    }
    return recomputed(inputs, serial: x.count < Self.serialBelow) { [unowned self] ins, again in
      var p = plan
      switch plan {
      case .mixture(let active, _): p = .mixture(active: active, weights: ins[1])
      case .single(let index, let w): p = .single(index: index, weight: w == nil ? nil : ins[1])
      case .singleWithOthers(let index, _, _): p = .singleWithOthers(index: index, weight: ins[1], others: ins[2])
      case .off: break
      }
      var ctx = ForwardContext(rng: RNG(seed: 0))
      guard again else { return self.directMix(ins[0], plan: p, context: &ctx, widths: widths) }
      let saved = self.allStats.map { ($0.mean, $0.variance, $0.batchesTracked) }
      defer {
        for (s, v) in zip(self.allStats, saved) { (s.mean, s.variance, s.batchesTracked) = v }
      }
      return self.directMix(ins[0], plan: p, context: &ctx, widths: widths)
    }
  }

  private func directMix(_ x: Tensor, plan: EdgePlan?, context: inout ForwardContext, widths: [PrimGraph]?) -> Tensor {
    let drop = context.dropPath
    var shared: Tensor?
    func run(_ i: Int) -> Tensor {
      let y = candidates[i](
        x, context: &context, inputReLU: candidates[i].readsInputReLU ? shared : nil,
        narrower: widths.map { $0[i] } ?? narrower[i])
      if drop > 0 && isTraining && !candidates[i].isIdentity {
        return y.dropPath(drop, training: true, rng: &context.rng)
      }
      if context.skipDropout > 0 && isTraining && candidates[i].isIdentity {
        return y.dropout(context.skipDropout, training: true, rng: &context.rng)
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
    case .off?:
      preconditionFailure("edge \(choice ?? "?") is off: its node skips it")
    case .mixture(let active, let weights)?:
      precondition(weights.count == active.count, "mixture weights do not match the active candidates")
      if active.count == 1 { return run(active[0]).scaled(by: weights) }
      // The candidates that start with ReLU of the edge input share one.
      if active.count(where: { candidates[$0].readsInputReLU }) > 1 { shared = x.relu() }
      return weightedSum(active.map(run), weights: weights)
    }
  }
}
