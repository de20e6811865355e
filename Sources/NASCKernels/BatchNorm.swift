import NASCKernelSupport

/// Batch normalisation over every axis but 1 of an [N, C, inner] tensor: statistics, the normalising
/// pass with its fused activation, and the backward pass.
enum BatchNorm {
  /// The batch mean and biased variance of every channel (per-plane 8-lane float sums, combined in
  /// batch order in double precision).
  static func statistics(
    _ x: UnsafePointer<Float>, n: Int, c: Int, inner: Int, mean: UnsafeMutablePointer<Float>,
    variance: UnsafeMutablePointer<Float>
  ) {
    let m = n * inner
    let xp = SendablePointer(x), mp = SendablePointer(mean), vp = SendablePointer(variance)
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

  /// y = act(x · scale + shift) per channel, scale = invStd·γ, shift = β − μ·scale (γ = 1 and β = 0
  /// when absent).
  static func forward(
    _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, n: Int, c: Int, inner: Int,
    mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
    bias: UnsafePointer<Float>?, activation: FusedActivation
  ) {
    let xp = SendablePointer(x), yp = SendablePointer(y)
    let mp = SendablePointer(mean), ip = SendablePointer(invStd)
    let wp = weight.map { SendablePointer($0) }, bp = bias.map { SendablePointer($0) }
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

  /// dβ and dγ per channel and, when `dx` is given, the data gradient (through the batch statistics
  /// when `training`, else through fixed ones); a fused activation's mask is recomputed from x.
  static func backward(
    _ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?, n: Int, c: Int,
    inner: Int, mean: UnsafePointer<Float>, invStd: UnsafePointer<Float>, weight: UnsafePointer<Float>?,
    bias: UnsafePointer<Float>?, training: Bool, activation: FusedActivation,
    dgamma: UnsafeMutablePointer<Float>, dbeta: UnsafeMutablePointer<Float>
  ) {
    let m = Float(n * inner)
    let xp = SendablePointer(x), gp = SendablePointer(g)
    let dxp = dx.map { SendablePointer($0) }
    let wp = weight.map { SendablePointer($0) }, bp = bias.map { SendablePointer($0) }
    let mp = SendablePointer(mean), ip = SendablePointer(invStd)
    let dgp = SendablePointer(dgamma), dbp = SendablePointer(dbeta)
    let fused = activation != .identity, upper = activation.upper
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
      if training {
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
