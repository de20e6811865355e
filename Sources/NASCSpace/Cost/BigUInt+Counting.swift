import BigInt
import Foundation

/// Exact architecture counts use attaswift/BigInt's `BigUInt`; these are the counting helpers.
extension BigUInt {
  /// Zero.
  public static let zero = BigUInt(0)
  /// One.
  public static let one = BigUInt(1)

  /// `base^exp`.
  public static func power(_ base: BigUInt, _ exp: Int) -> BigUInt { base.power(exp) }

  /// The binomial coefficient C(n, k) (0 outside 0 ≤ k ≤ n).
  public static func binomial(_ n: Int, _ k: Int) -> BigUInt {
    if k < 0 || k > n { return .zero }
    let k = Swift.min(k, n - k)
    var r = BigUInt.one
    for i in 0..<k { r = r * BigUInt(n - i) / BigUInt(i + 1) }
    return r
  }

  /// log10 of the value (-inf for zero), to double precision at any size.
  public var log10: Double {
    if isZero { return -Double.infinity }
    let shift = Swift.max(0, bitWidth - leadingZeroBitCount - 64)
    return Foundation.log10(Double(self >> shift)) + Double(shift) * 0.30102999566398119521
  }
}
