import NASCTensor

/// Per-forward-pass state that is not a weight: the generator for dropout, drop path and sampling,
/// and the drop-path probability of the current epoch.
public struct ForwardContext {
  /// Draws for dropout and drop path.
  public var rng: RNG
  /// Drop-path probability applied to cell op outputs (evaluation networks; 0 in search).
  public var dropPath: Float
  /// Dropout probability after every identity candidate of a mixed edge (P-DARTS' skip-connect
  /// dropout); 0 = none.
  public var skipDropout: Float

  /// Creates a context.
  public init(rng: RNG, dropPath: Float = 0, skipDropout: Float = 0) {
    self.rng = rng
    self.dropPath = dropPath
    self.skipDropout = skipDropout
  }
}

/// How one op choice point mixes its candidates in one forward pass: what a relaxation decides.
public enum EdgePlan {
  /// `Σ_i weights[i] · candidates[active[i]](x)` — a softmax mixture (DARTS) or any weighted subset.
  case mixture(active: [Int], weights: Tensor)
  /// `weight · candidates[index](x)`, only that candidate executed (GDAS, single-path methods).
  /// `weight` is a one-element tensor (value 1 with a straight-through gradient) or nil for plain 1.
  case single(index: Int, weight: Tensor?)
  /// `weight · candidates[index](x) + Σ others` where `others` holds the other candidates' hard
  /// weights (0 in value): GDAS on NAS-Bench-201, where every α receives a gradient.
  case singleWithOthers(index: Int, weight: Tensor, others: Tensor)
  /// Nothing runs and the edge adds nothing to its node (an input the architecture does not read,
  /// or one whose every op path dropout dropped); its weights get no gradient at all.
  case off
}

/// How one routing block feeds the blocks it connects to in one forward pass.
public enum PathPlan {
  /// Every connection runs, connection i weighted by `weights[i]` (softmax(β/T) in DenseNAS, in
  /// the block's `targets` order).
  case weights(Tensor)
  /// Only the connection to block `target` runs, with weight 1 (one path of the supernet).
  case single(target: Int)
}

/// Everything a relaxation decided for one forward pass, keyed by choice point id.
public struct ForwardPlan {
  /// Op choices.
  public var ops: [String: EdgePlan] = [:]
  /// Per-node edge weights for inputs choices (PC-DARTS edge normalisation), one entry per
  /// incoming edge in the node's edge order. Nodes without an entry sum their edges.
  public var inputs: [String: Tensor] = [:]
  /// Width decisions: per decision id, the index of the chosen value (the widest when absent).
  public var widths: [String: Int] = [:]
  /// Path weights of routing blocks (DenseNAS), per β choice id (`route.block[k].next`).
  /// A block without an entry weights each outgoing connection 1.
  public var paths: [String: PathPlan] = [:]
  /// Dropout after identity candidates (P-DARTS), copied into the forward context.
  public var skipDropout: Float = 0
  /// Memory-bank decisions (SMASH): per read or write choice id (`memory[0].layer[2].read`), the
  /// banks, ascending. A layer without an entry reads (writes) the banks its IR lists.
  public var banks: [String: [Int]] = [:]
  /// Generated weights (SMASH's hypernetwork): per memory layer key (`memory[0].layer[2]`), the
  /// `[out, reads × width, 1, 1]` weight of the layer's reading 1×1 conv, used instead of the
  /// layer's own free weight.
  public var generatedWeights: [String: Tensor] = [:]

  /// An empty plan (every fixed edge runs its only candidate).
  public init() {}
}

/// Why an IR could not be lowered to engine modules.
public struct LoweringError: Error, CustomStringConvertible, Sendable {
  /// What is unsupported.
  public let description: String
}
