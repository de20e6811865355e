import Testing

@testable import NASCTensor

/// Deterministic test inputs.
func randn(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
  var rng = RNG(seed: seed)
  return Tensor.randn(shape, std: scale, rng: &rng)
}

/// Values bounded away from zero (|x| ≥ 0.2), so kinks at 0 stay outside the finite-difference step.
func awayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
  let t = randn(shape, seed: seed)
  return Tensor(shape: shape, scalars: t.scalars.map { ($0 < 0 ? -1 : 1) * (0.2 + abs($0)) })
}

/// Distinct values spaced 0.05 apart in random order (no near-ties for max pooling).
func distinct(_ shape: [Int], seed: UInt64) -> Tensor {
  var rng = RNG(seed: seed)
  var v = (0..<shape.reduce(1, *)).map { Float($0) * 0.05 - 1 }
  rng.shuffle(&v)
  return Tensor(shape: shape, scalars: v)
}

/// Checks the tape's gradients of L = Σ f(inputs) ⊙ R (R fixed random) against central differences.
///
/// For each input, every coordinate is checked when there are at most `maxCoords`, otherwise a fixed
/// random sample. A coordinate passes when |analytic − numeric| ≤ tol · (max |analytic| over that input)
/// + tol · |numeric|: a wrong index produces an error of the order of the gradient itself.
func checkGradients(
  _ inputs: [Tensor], step h: Float = 1e-2, tolerance tol: Float = 1e-2, maxCoords: Int = 48,
  sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor
) {
  let params = inputs.map { Parameter($0) }
  let y0 = f(params.map(\.value))
  let r = randn(y0.shape, seed: 999)
  (y0 * r).sum().backward()
  let rs = r.scalars
  func loss(_ xs: [Tensor]) -> Double {
    let y = withNoGrad { f(xs) }
    var s: Double = 0
    for (a, b) in zip(y.scalars, rs) { s += Double(a) * Double(b) }
    return s
  }
  var rng = RNG(seed: 4242)
  for (i, p) in params.enumerated() {
    guard let g = p.grad else {
      Issue.record("input \(i) received no gradient", sourceLocation: sourceLocation)
      continue
    }
    #expect(g.shape == inputs[i].shape, sourceLocation: sourceLocation)
    let analytic = g.scalars
    let scale = analytic.map(abs).max() ?? 0
    var coords = Array(0..<inputs[i].count)
    if coords.count > maxCoords {
      rng.shuffle(&coords)
      coords = Array(coords.prefix(maxCoords))
    }
    var worst: (Int, Float, Float) = (-1, 0, 0)
    var worstExcess: Float = -.infinity
    for j in coords {
      var xs = inputs
      var plus = inputs[i].scalars, minus = plus
      plus[j] += h
      minus[j] -= h
      xs[i] = Tensor(shape: inputs[i].shape, scalars: plus)
      let lp = loss(xs)
      xs[i] = Tensor(shape: inputs[i].shape, scalars: minus)
      let lm = loss(xs)
      let numeric = Float((lp - lm) / Double(2 * h))
      let excess = abs(analytic[j] - numeric) - (tol * scale + tol * abs(numeric) + 1e-4)
      if excess > worstExcess {
        worstExcess = excess
        worst = (j, analytic[j], numeric)
      }
    }
    #expect(
      worstExcess <= 0,
      "input \(i) \(inputs[i].shape): coordinate \(worst.0) analytic \(worst.1) vs numeric \(worst.2) (scale \(scale))",
      sourceLocation: sourceLocation)
  }
}
