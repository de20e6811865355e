import NASCKernelSupport

/// Running statistics of a batch-norm layer (PyTorch semantics: biased variance normalises the batch,
/// the unbiased variance enters the running average).
public final class BatchNormStats {
  /// Running mean per channel.
  public var mean: Tensor
  /// Running (unbiased) variance per channel.
  public var variance: Tensor
  /// How many training batches have updated these statistics.
  public var batchesTracked: Int = 0

  /// Fresh statistics for `channels` channels: mean 0, variance 1.
  public init(channels: Int) {
    mean = .zeros([channels])
    variance = .ones([channels])
  }
}

/// An activation fused into a batch norm's output pass (BN → ReLU6 in every MBConv): the same
/// values and gradients as the two ops, without the pre-activation tensor and its two passes.
public enum BatchNormActivation: Sendable, Equatable {
  /// None: the plain batch norm.
  case identity
  /// max(y, 0).
  case relu
  /// min(max(y, 0), 6).
  case relu6

  /// The kernels' name for it.
  var fused: FusedActivation {
    switch self {
    case .identity: .identity
    case .relu: .relu
    case .relu6: .relu6
    }
  }
}

/// What BN backward needs.
struct BatchNormSaved {
  let x: Tensor
  let mean: [Float]
  let invStd: [Float]
  let weight: Tensor?
  let training: Bool
  /// The shift β and the fused activation (β is needed to recompute its mask).
  var bias: Tensor? = nil
  var activation: BatchNormActivation = .identity
}

/// Batch normalisation over every axis but 1 of an [N, C, …] tensor.
///
/// - In training, normalises with the batch mean and biased variance and, if `stats` is given, updates
///   `stats` with `momentum` (running = (1 − momentum)·running + momentum·batch, unbiased variance).
/// - In evaluation, normalises with `stats` (or with the batch statistics when `stats` is nil).
/// - `weight` / `bias` (shape [C]) are the affine scale and shift; pass nil for `affine=False`.
/// - `activation` is applied to the normalised output in the same pass (and its gradient folded
///   into BN's backward).
public func batchNorm(
  _ x: Tensor, weight: Tensor? = nil, bias: Tensor? = nil, stats: BatchNormStats? = nil,
  training: Bool, momentum: Float = 0.1, eps: Float = 1e-5, activation: BatchNormActivation = .identity
) -> Tensor {
  precondition(x.rank >= 2, "batchNorm needs [N, C, …], got \(x.shape)")
  let n = x.shape[0], c = x.shape[1], inner = x.shape[2...].reduce(1, *)
  let m = n * inner
  if let weight { precondition(weight.shape == [c], "BN weight \(weight.shape) for \(c) channels") }
  if let bias { precondition(bias.shape == [c], "BN bias \(bias.shape) for \(c) channels") }
  if let stats { precondition(stats.mean.count == c, "BN statistics of \(stats.mean.count) channels for \(c)") }
  let useBatch = training || stats == nil
  precondition(!useBatch || m > 1, "batchNorm in training needs more than one value per channel")
  var mean = [Float](repeating: 0, count: c), invStd = [Float](repeating: 0, count: c)
  var batchVar = [Float](repeating: 0, count: c)
  if useBatch {
    mean.withUnsafeMutableBufferPointer { mb in
      batchVar.withUnsafeMutableBufferPointer { vb in
        kernels.batchNormStatistics(
          x.storage.pointer, n: n, c: c, inner: inner, mean: mb.baseAddress!, variance: vb.baseAddress!)
      }
    }
    for ch in 0..<c { invStd[ch] = 1 / (batchVar[ch] + eps).squareRoot() }
    if training, let stats {
      let rm = stats.mean.storage.pointer, rv = stats.variance.storage.pointer
      stats.mean.withUnsafeMutableBufferPointer { rmb in
        for ch in 0..<c { rmb[ch] = (1 - momentum) * rm[ch] + momentum * mean[ch] }
      }
      stats.variance.withUnsafeMutableBufferPointer { rvb in
        for ch in 0..<c {
          rvb[ch] = (1 - momentum) * rv[ch] + momentum * batchVar[ch] * Float(m) / Float(m - 1)
        }
      }
      stats.batchesTracked += 1
    }
  } else if let stats {
    for ch in 0..<c {
      mean[ch] = stats.mean.storage.pointer[ch]
      invStd[ch] = 1 / (stats.variance.storage.pointer[ch] + eps).squareRoot()
    }
  }
  var y = Tensor(uninitializedShape: x.shape)
  mean.withUnsafeBufferPointer { mb in
    invStd.withUnsafeBufferPointer { ib in
      kernels.batchNormForward(
        x.storage.pointer, into: y.storage.pointer, n: n, c: c, inner: inner, mean: mb.baseAddress!,
        invStd: ib.baseAddress!, weight: weight?.storage.pointer, bias: bias?.storage.pointer,
        activation: activation.fused)
    }
  }
  var saved = BatchNormSaved(
    x: x.detached(), mean: mean, invStd: invStd, weight: weight?.detached(), training: useBatch)
  if activation != .identity {
    saved.bias = bias?.detached()
    saved.activation = activation
  }
  var inputs = [x]
  inputs.append(weight ?? Tensor.zeros([0]))
  inputs.append(bias ?? Tensor.zeros([0]))
  y.record(.batchNorm(saved), inputs: inputs)
  return y
}

enum BatchNormGrad {
  static func backward(_ s: BatchNormSaved, _ g: Tensor, needX: Bool, needW: Bool, needB: Bool) -> [Tensor?] {
    let x = s.x
    let n = x.shape[0], c = x.shape[1], inner = x.shape[2...].reduce(1, *)
    var dgamma = [Float](repeating: 0, count: c), dbeta = [Float](repeating: 0, count: c)
    let dx: Tensor? = needX ? Tensor(uninitializedShape: x.shape) : nil
    s.mean.withUnsafeBufferPointer { mb in
      s.invStd.withUnsafeBufferPointer { ib in
        dgamma.withUnsafeMutableBufferPointer { dgb in
          dbeta.withUnsafeMutableBufferPointer { dbb in
            kernels.batchNormBackward(
              x.storage.pointer, g.storage.pointer, dx: dx?.storage.pointer, n: n, c: c, inner: inner,
              mean: mb.baseAddress!, invStd: ib.baseAddress!, weight: s.weight?.storage.pointer,
              bias: s.bias?.storage.pointer, training: s.training, activation: s.activation.fused,
              dgamma: dgb.baseAddress!, dbeta: dbb.baseAddress!)
          }
        }
      }
    }
    return [
      dx, needW ? Tensor(shape: [c], scalars: dgamma) : nil, needB ? Tensor(shape: [c], scalars: dbeta) : nil,
    ]
  }
}
