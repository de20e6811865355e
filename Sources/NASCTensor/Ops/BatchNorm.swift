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

  /// Where the activation passes its gradient: 0 < y < upper.
  var upper: Float { self == .relu6 ? 6 : .infinity }
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
  let useBatch = training || stats == nil
  precondition(!useBatch || m > 1, "batchNorm in training needs more than one value per channel")
  var mean = [Float](repeating: 0, count: c), invStd = [Float](repeating: 0, count: c)
  var batchVar = [Float](repeating: 0, count: c)
  let xp = SendablePointer(x.storage.pointer)
  if useBatch {
    mean.withUnsafeMutableBufferPointer { mb in
      batchVar.withUnsafeMutableBufferPointer { vb in
        let mp = SendablePointer(mb.baseAddress!), vp = SendablePointer(vb.baseAddress!)
        parallelFor(c) { ch in
          var s: Double = 0
          for b in 0..<n {
            s += Double(Reduce.sum(xp.p + (b * c + ch) * inner, inner))
          }
          let mu = Float(s / Double(m))
          var q: Double = 0
          for b in 0..<n {
            q += Double(Reduce.sumSquaredDeviation(xp.p + (b * c + ch) * inner, inner, mean: mu))
          }
          mp.p[ch] = mu
          vp.p[ch] = Float(q / Double(m))
        }
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
  let yp = SendablePointer(y.storage.pointer)
  let wp = weight.map { SendablePointer($0.storage.pointer) },
    bp = bias.map { SendablePointer($0.storage.pointer) }
  mean.withUnsafeBufferPointer { mb in
    invStd.withUnsafeBufferPointer { ib in
      let mp = SendablePointer(UnsafeMutablePointer(mutating: mb.baseAddress!))
      let ip = SendablePointer(UnsafeMutablePointer(mutating: ib.baseAddress!))
      parallelFor(n * c) { p in
        let ch = p % c
        let scale = ip.p[ch] * (wp?.p[ch] ?? 1)
        let shift = (bp?.p[ch] ?? 0) - mp.p[ch] * scale
        let src = xp.p + p * inner, dst = yp.p + p * inner
        switch activation {
        case .identity: for i in 0..<inner { dst[i] = src[i] * scale + shift }
        case .relu: for i in 0..<inner { dst[i] = K.Relu()(src[i] * scale + shift) }
        case .relu6: for i in 0..<inner { dst[i] = K.Relu6()(src[i] * scale + shift) }
        }
      }
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
    let n = x.shape[0], c = x.shape[1], inner = x.shape[2...].reduce(1, *), m = Float(n * inner)
    var dgamma = [Float](repeating: 0, count: c), dbeta = [Float](repeating: 0, count: c)
    let xp = SendablePointer(x.storage.pointer), gp = SendablePointer(g.storage.pointer)
    let dx: Tensor? = needX ? Tensor(uninitializedShape: x.shape) : nil
    let dxp = dx.map { SendablePointer($0.storage.pointer) }
    let wp = s.weight.map { SendablePointer($0.storage.pointer) }
    let bp = s.bias.map { SendablePointer($0.storage.pointer) }
    let fused = s.activation != .identity, upper = s.activation.upper
    s.mean.withUnsafeBufferPointer { mb in
      s.invStd.withUnsafeBufferPointer { ib in
        dgamma.withUnsafeMutableBufferPointer { dgb in
          dbeta.withUnsafeMutableBufferPointer { dbb in
            let mp = SendablePointer(UnsafeMutablePointer(mutating: mb.baseAddress!))
            let ip = SendablePointer(UnsafeMutablePointer(mutating: ib.baseAddress!))
            let dgp = SendablePointer(dgb.baseAddress!), dbp = SendablePointer(dbb.baseAddress!)
            parallelFor(c) { ch in
              let mu = mp.p[ch], istd = ip.p[ch]
              // The fused activation's mask: the forward pass's pre-activation, recomputed.
              let scale = istd * (wp?.p[ch] ?? 1), shift = (bp?.p[ch] ?? 0) - mu * scale
              var sg: Double = 0, sgx: Double = 0
              for b in 0..<n {
                let (a, bb) =
                  fused
                  ? Reduce.maskedSumAndCenteredDot(
                    gp.p + (b * c + ch) * inner, xp.p + (b * c + ch) * inner, inner, mean: mu, scale: scale,
                    shift: shift, upper: upper)
                  : Reduce.sumAndCenteredDot(
                    gp.p + (b * c + ch) * inner, xp.p + (b * c + ch) * inner, inner, mean: mu)
                sg += Double(a)
                sgx += Double(bb)
              }
              let dbeta = Float(sg), dgamma = Float(sgx) * istd
              dbp.p[ch] = dbeta
              dgp.p[ch] = dgamma
              guard let dxp else { return }
              let gamma = wp?.p[ch] ?? 1
              let k = gamma * istd
              if s.training {
                let meanG = dbeta / m, meanGX = dgamma / m
                for b in 0..<n {
                  let xr = xp.p + (b * c + ch) * inner, gr = gp.p + (b * c + ch) * inner
                  let dr = dxp.p + (b * c + ch) * inner
                  // k·(g − meanG − (x − μ)·istd·meanGX) = k·g + (c0 + c1·x)
                  let c1 = -k * istd * meanGX, c0 = -k * meanG - c1 * mu
                  if fused {
                    for i in 0..<inner {
                      let pre = xr[i] * scale + shift
                      let gi: Float = pre > 0 && pre < upper ? gr[i] : 0
                      dr[i] = k * gi + (c0 + c1 * xr[i])
                    }
                  } else {
                    for i in 0..<inner { dr[i] = k * gr[i] + (c0 + c1 * xr[i]) }
                  }
                }
              } else {
                for b in 0..<n {
                  let gr = gp.p + (b * c + ch) * inner, dr = dxp.p + (b * c + ch) * inner
                  if fused {
                    let xr = xp.p + (b * c + ch) * inner
                    for i in 0..<inner {
                      let pre = xr[i] * scale + shift
                      dr[i] = pre > 0 && pre < upper ? k * gr[i] : 0
                    }
                  } else {
                    for i in 0..<inner { dr[i] = k * gr[i] }
                  }
                }
              }
            }
          }
        }
      }
    }
    return [
      dx, needW ? Tensor(shape: [c], scalars: dgamma) : nil, needB ? Tensor(shape: [c], scalars: dbeta) : nil,
    ]
  }
}
