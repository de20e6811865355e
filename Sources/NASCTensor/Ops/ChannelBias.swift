import NASCKernelSupport

extension Tensor {
  /// `self[n, c, …] + b[c]`: one bias per channel of an `[N, C, …]` tensor (a convolution's bias).
  /// The gradient flows into both; `b`'s is the sum of the output gradient over all but the
  /// channel axis.
  public func addingChannelBias(_ b: Tensor) -> Tensor {
    precondition(rank >= 2 && b.shape == [shape[1]], "channel bias \(b.shape) for a tensor of shape \(shape)")
    let (n, c) = (shape[0], shape[1])
    let inner = count / max(n * c, 1)
    let out = Tensor(uninitializedShape: shape)
    kernels.addChannelBias(storage.pointer, b.storage.pointer, into: out.storage.pointer, n: n, c: c, inner: inner)
    var result = out
    result.record(.channelBias(channels: c), self, b)
    return result
  }
}

/// The backward rule of `addingChannelBias`.
enum ChannelBiasGrad {
  /// The bias gradient: `g` summed over every axis but the channel axis.
  static func bias(_ g: Tensor, channels c: Int) -> Tensor {
    let n = g.shape[0], inner = g.count / max(g.shape[0] * c, 1)
    let db = Tensor.zeros([c])
    let gp = g.storage.pointer, dp = db.storage.pointer
    for s in 0..<n {
      for ch in 0..<c {
        let base = (s * c + ch) * inner
        var acc: Float = 0
        for i in 0..<inner { acc += gp[base + i] }
        dp[ch] += acc
      }
    }
    return db
  }
}
