/// What one search epoch reports: one line of `metrics.jsonl`.
public struct EpochMetrics: Codable, Equatable, Sendable {
  /// The epoch (0-based).
  public var epoch: Int
  /// Weight learning rate used.
  public var lr: Double
  /// Mean training loss of the weight steps.
  public var trainLoss: Double
  /// Training accuracy of the weight steps.
  public var trainAcc: Double
  /// Loss on the architecture half, evaluated at the end of the epoch.
  public var valLoss: Double
  /// Accuracy on the architecture half, evaluated at the end of the epoch.
  public var valAcc: Double
  /// Gumbel temperature (sampling methods).
  public var tau: Double?
  /// Whether architecture steps ran this epoch (false during warm-up).
  public var archSteps: Bool
  /// Per cell template, the mean entropy (nats) of the edges' op distributions.
  public var alphaEntropy: [String: Double]
  /// Per cell template, the entropy of every edge's op distribution, in choice order.
  public var alphaEntropyPerEdge: [String: [Double]]
  /// Per cell template, the mean weight on parameter-free ops (none, pooling, identity): the
  /// skip-connect collapse signal.
  public var parameterFreeShare: [String: Double]
  /// softmax(α) of every op choice point.
  public var alpha: [String: [Double]]
  /// Wall-clock seconds of the epoch (the only field that differs between identical runs).
  public var seconds: Double

  enum CodingKeys: String, CodingKey {
    case epoch, lr, tau, alpha, seconds
    case trainLoss = "train_loss", trainAcc = "train_acc", valLoss = "val_loss", valAcc = "val_acc"
    case archSteps = "arch_steps", alphaEntropy = "alpha_entropy", alphaEntropyPerEdge = "alpha_entropy_per_edge"
    case parameterFreeShare = "parameter_free_share"
  }
}
