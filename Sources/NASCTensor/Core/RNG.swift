/// A seedable, splittable pseudo-random generator (SplitMix64).
///
/// The whole engine draws randomness only from values of this type, so a run is reproducible from its
/// seed. `split()` derives an independent stream (for a data loader, a dropout layer, …) without
/// disturbing the parent's sequence beyond one draw.
public struct RNG: Sendable {
  /// The current internal state.
  public private(set) var state: UInt64

  /// A generator seeded with `seed`.
  public init(seed: UInt64) { state = seed }

  /// The next 64 random bits.
  @inline(__always)
  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// An independent generator derived from this one (advances this one by one draw).
  public mutating func split() -> RNG {
    RNG(seed: next() ^ 0x6A09_E667_F3BC_C909)
  }

  /// A uniform float in [0, 1) with 24 random bits.
  @inline(__always)
  public mutating func nextFloat() -> Float {
    Float(next() >> 40) * (1.0 / 16_777_216.0)
  }

  /// A uniform double in [0, 1) with 53 random bits.
  @inline(__always)
  public mutating func nextDouble() -> Double {
    Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
  }

  /// A uniform integer in `0..<bound` (bound > 0), without modulo bias.
  public mutating func nextInt(below bound: Int) -> Int {
    precondition(bound > 0, "nextInt(below:) needs a positive bound")
    let b = UInt64(bound)
    let limit = UInt64.max - UInt64.max % b
    while true {
      let r = next()
      if r < limit { return Int(r % b) }
    }
  }

  /// A standard normal sample (Box–Muller in double precision).
  public mutating func nextNormal() -> Float {
    let u1 = max(nextDouble(), 1e-300)
    let u2 = nextDouble()
    return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
  }

  /// A standard Gumbel sample, −log(E) with E ~ Exponential(1).
  public mutating func nextGumbel() -> Float {
    let u = max(nextDouble(), 1e-300)
    return Float(-_log(-_log(u) + 1e-300))
  }

  /// Shuffles `array` in place (Fisher–Yates).
  public mutating func shuffle<T>(_ array: inout [T]) {
    if array.count < 2 { return }
    for i in stride(from: array.count - 1, to: 0, by: -1) {
      array.swapAt(i, nextInt(below: i + 1))
    }
  }
}
