import NASCSpace

/// The resolved settings of one search run: the method's hyperparameters (paper defaults, the
/// space's `search:` block, then command-line flags) and the run's own settings.
public struct SearchSettings: Codable, Equatable, Sendable {
  /// Method name (`darts`, `gdas`, `pc-darts`).
  public var method: String
  /// Search epochs.
  public var epochs: Int
  /// Minibatch size for both weight and architecture steps.
  public var batchSize: Int
  /// Fraction of the training split that trains weights; the rest trains the architecture.
  public var trainPortion: Double
  /// Weight SGD learning rate (cosine annealed to `weightLRMin`).
  public var weightLR: Double
  /// Final weight learning rate.
  public var weightLRMin: Double
  /// Weight SGD momentum.
  public var weightMomentum: Double
  /// Nesterov momentum for the weights (GDAS).
  public var nesterov: Bool
  /// Weight decay of the weights.
  public var weightDecay: Double
  /// Gradient-norm clip of the weights.
  public var gradClip: Double
  /// Architecture Adam learning rate.
  public var archLR: Double
  /// Architecture Adam betas.
  public var archBetas: [Double]
  /// Architecture Adam weight decay.
  public var archWeightDecay: Double
  /// α (and β) initialisation scale.
  public var alphaInit: Double
  /// `first` or `second` order architecture gradient (DARTS).
  public var order: String
  /// Initial and final Gumbel temperature (GDAS).
  public var tauMax: Double
  /// Final Gumbel temperature (GDAS).
  public var tauMin: Double
  /// Weight-only epochs before architecture steps start (PC-DARTS), already shortened for short runs.
  public var warmupEpochs: Int
  /// Whether the architecture step precedes the weight step in each iteration (DARTS) or follows it (GDAS).
  public var archStepFirst: Bool
  /// The seed of every random draw.
  public var seed: UInt64
  /// Worker threads of the engine.
  public var threads: Int
  /// The data set, as given to `--data`.
  public var data: String
  /// Use only the first this many training images (nil = all).
  public var trainLimit: Int?
  /// Average-pool images by this factor before use (2: 28×28 → 14×14); nil or 1 = none.
  public var downsample: Int?

  /// Reads a method config; `epochs`/`seed`/... arguments override it.
  public init(
    config: MethodConfig, epochs: Int?, batchSize: Int?, seed: UInt64, threads: Int, data: String, trainLimit: Int?,
    downsample: Int? = nil
  ) {
    func num(_ k: String, _ d: Double) -> Double {
      switch config[k] {
      case .int(let i)?: return Double(i)
      case .real(let r)?: return r
      default: return d
      }
    }
    func word(_ k: String, _ d: String) -> String {
      if case .string(let s)? = config[k] { return s }
      return d
    }
    method = config.name
    self.epochs = max(1, epochs ?? Int(num("epochs", 50)))
    self.batchSize = max(2, batchSize ?? Int(num("batch_size", 64)))
    trainPortion = num("train_portion", 0.5)
    weightLR = num("w_lr", 0.025)
    weightLRMin = num("w_lr_min", 0.001)
    weightMomentum = num("w_momentum", 0.9)
    nesterov = config.name == "gdas"
    weightDecay = num("w_weight_decay", 3e-4)
    gradClip = num("grad_clip", 5)
    archLR = num("arch_lr", 3e-4)
    if case .list(let b)? = config["arch_betas"], b.count == 2 { archBetas = b } else { archBetas = [0.5, 0.999] }
    archWeightDecay = num("arch_weight_decay", 1e-3)
    alphaInit = num("alpha_init", 1e-3)
    order = word("order", "first")
    tauMax = num("tau_max", 10)
    tauMin = num("tau_min", 0.1)
    // Short runs keep architecture steps for most epochs: min(paper value, ⌊0.3 · epochs⌋).
    let warm = Int(num("warmup_epochs", 0))
    warmupEpochs = min(warm, Int(0.3 * Double(self.epochs)))
    archStepFirst = config.name != "gdas"
    self.seed = seed
    self.threads = threads
    self.data = data
    self.trainLimit = trainLimit
    self.downsample = downsample
  }
}
