/// The settings of a run that belong to no method: the seed, threads and data.
public struct RunSettings: Codable, Equatable, Sendable {
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
  /// The tabular benchmark that scores architectures, as given to `--benchmark`, or nil.
  public var benchmark: String?
  /// Cost targets of a multi-objective search (`--target`), as given; nil = none.
  public var targets: [String]?

  /// Creates settings.
  public init(
    seed: UInt64 = 1, threads: Int = 2, data: String = "digits", trainLimit: Int? = nil, downsample: Int? = nil,
    benchmark: String? = nil, targets: [String]? = nil
  ) {
    self.seed = seed
    self.threads = threads
    self.data = data
    self.trainLimit = trainLimit
    self.downsample = downsample
    self.benchmark = benchmark
    self.targets = targets
  }

  /// The parsed targets (the command line checked them).
  public var costTargets: [CostTarget] { (targets ?? []).compactMap { CostTarget(parsing: $0) } }
}
