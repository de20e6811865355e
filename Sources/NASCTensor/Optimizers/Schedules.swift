#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A learning-rate schedule: the rate for a given epoch (or step) index, starting at 0.
public protocol LearningRateSchedule: Sendable {
  /// The learning rate at `epoch`.
  func learningRate(at epoch: Int) -> Float
}

/// torch `CosineAnnealingLR`: η_min + (η₀ − η_min)·(1 + cos(π·t/T))/2.
public struct CosineAnnealing: LearningRateSchedule {
  /// Initial rate η₀.
  public var base: Float
  /// Period T (epochs).
  public var totalEpochs: Int
  /// Floor η_min.
  public var minimum: Float
  /// A cosine schedule from `base` to `minimum` over `totalEpochs`.
  public init(base: Float, totalEpochs: Int, minimum: Float = 0) {
    precondition(totalEpochs > 0, "cosine schedule needs a positive period")
    self.base = base; self.totalEpochs = totalEpochs; self.minimum = minimum
  }
  /// The rate at `epoch`.
  public func learningRate(at epoch: Int) -> Float { learningRate(atEpochs: Double(epoch)) }

  /// The rate after `epochs` epochs, a fraction of one included (a schedule stepped per iteration).
  public func learningRate(atEpochs epochs: Double) -> Float {
    let t = epochs / Double(totalEpochs)
    return minimum + (base - minimum) * Float((1 + cos(Double.pi * t)) / 2)
  }
}

/// torch `StepLR`: η₀·γ^⌊t/stepSize⌋.
public struct StepDecay: LearningRateSchedule {
  /// Initial rate.
  public var base: Float
  /// Epochs between decays.
  public var stepSize: Int
  /// Decay factor.
  public var gamma: Float
  /// A step schedule.
  public init(base: Float, stepSize: Int, gamma: Float) {
    precondition(stepSize > 0, "step size must be positive")
    self.base = base; self.stepSize = stepSize; self.gamma = gamma
  }
  /// The rate at `epoch`.
  public func learningRate(at epoch: Int) -> Float { base * powf(gamma, Float(epoch / stepSize)) }
}

/// torch `ExponentialLR`: η₀·γ^t.
public struct ExponentialDecay: LearningRateSchedule {
  /// Initial rate.
  public var base: Float
  /// Decay per epoch.
  public var gamma: Float
  /// An exponential schedule.
  public init(base: Float, gamma: Float) { self.base = base; self.gamma = gamma }
  /// The rate at `epoch`.
  public func learningRate(at epoch: Int) -> Float { base * powf(gamma, Float(epoch)) }
}

/// torch `LinearLR`: η₀·(s + (e − s)·min(t, T)/T), for start factor s and end factor e.
public struct LinearSchedule: LearningRateSchedule {
  /// Base rate η₀.
  public var base: Float
  /// Factor at t = 0.
  public var startFactor: Float
  /// Factor from t = T on.
  public var endFactor: Float
  /// T.
  public var totalEpochs: Int
  /// A linear ramp of the factor.
  public init(base: Float, startFactor: Float, endFactor: Float, totalEpochs: Int) {
    precondition(totalEpochs > 0, "linear schedule needs a positive length")
    self.base = base; self.startFactor = startFactor; self.endFactor = endFactor;
    self.totalEpochs = totalEpochs
  }
  /// The rate at `epoch`.
  public func learningRate(at epoch: Int) -> Float {
    let f = startFactor + (endFactor - startFactor) * Float(min(epoch, totalEpochs)) / Float(totalEpochs)
    return base * f
  }
}
