import Foundation

/// An arbitrary-precision unsigned integer, just enough for counting architectures exactly.
public struct BigUInt: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
  /// Little-endian base-2^32 limbs, no trailing zeros (zero is `[]`).
  public private(set) var limbs: [UInt32]

  /// Creates a value from a machine integer.
  public init(_ v: UInt64) {
    limbs = [UInt32(truncatingIfNeeded: v), UInt32(truncatingIfNeeded: v >> 32)]
    normalise()
  }

  /// Creates a value from an integer literal.
  public init(integerLiteral v: UInt64) { self.init(v) }

  private mutating func normalise() { while limbs.last == 0 { limbs.removeLast() } }

  /// Zero.
  public static let zero = BigUInt(0)
  /// One.
  public static let one = BigUInt(1)

  /// Whether the value is zero.
  public var isZero: Bool { limbs.isEmpty }

  /// Sum.
  public static func + (a: BigUInt, b: BigUInt) -> BigUInt {
    var r = BigUInt(0)
    var carry: UInt64 = 0
    for i in 0..<max(a.limbs.count, b.limbs.count) {
      let s = UInt64(i < a.limbs.count ? a.limbs[i] : 0) + UInt64(i < b.limbs.count ? b.limbs[i] : 0) + carry
      r.limbs.append(UInt32(truncatingIfNeeded: s))
      carry = s >> 32
    }
    if carry > 0 { r.limbs.append(UInt32(carry)) }
    r.normalise()
    return r
  }

  /// Product.
  public static func * (a: BigUInt, b: BigUInt) -> BigUInt {
    if a.isZero || b.isZero { return .zero }
    var out = [UInt32](repeating: 0, count: a.limbs.count + b.limbs.count)
    for i in 0..<a.limbs.count {
      var carry: UInt64 = 0
      for j in 0..<b.limbs.count {
        let t = UInt64(a.limbs[i]) * UInt64(b.limbs[j]) + UInt64(out[i + j]) + carry
        out[i + j] = UInt32(truncatingIfNeeded: t)
        carry = t >> 32
      }
      var k = i + b.limbs.count
      while carry > 0 {
        let t = UInt64(out[k]) + carry
        out[k] = UInt32(truncatingIfNeeded: t)
        carry = t >> 32
        k += 1
      }
    }
    var r = BigUInt(0)
    r.limbs = out
    r.normalise()
    return r
  }

  /// Division by a small divisor with remainder.
  public func divided(by d: UInt32) -> (quotient: BigUInt, remainder: UInt32) {
    precondition(d != 0, "division by zero")
    var q = [UInt32](repeating: 0, count: limbs.count)
    var rem: UInt64 = 0
    for i in stride(from: limbs.count - 1, through: 0, by: -1) {
      let cur = (rem << 32) | UInt64(limbs[i])
      q[i] = UInt32(cur / UInt64(d))
      rem = cur % UInt64(d)
    }
    var r = BigUInt(0)
    r.limbs = q
    r.normalise()
    return (r, UInt32(rem))
  }

  /// `base^exp`.
  public static func power(_ base: BigUInt, _ exp: Int) -> BigUInt {
    var result = BigUInt.one
    var b = base
    var e = exp
    while e > 0 {
      if e & 1 == 1 { result = result * b }
      b = b * b
      e >>= 1
    }
    return result
  }

  /// The binomial coefficient C(n, k).
  public static func binomial(_ n: Int, _ k: Int) -> BigUInt {
    if k < 0 || k > n { return .zero }
    let k = min(k, n - k)
    var r = BigUInt.one
    for i in 0..<k {
      r = r * BigUInt(UInt64(n - i))
      r = r.divided(by: UInt32(i + 1)).quotient
    }
    return r
  }

  /// Decimal digits.
  public var description: String {
    if isZero { return "0" }
    var parts: [String] = []
    var v = self
    while !v.isZero {
      let (q, r) = v.divided(by: 1_000_000_000)
      parts.append(String(r))
      v = q
    }
    var out = parts.last!
    for p in parts.dropLast().reversed() { out += String(repeating: "0", count: 9 - p.count) + p }
    return out
  }

  /// log10 of the value (-inf for zero), accurate to double precision.
  public var log10: Double {
    if isZero { return -Double.infinity }
    let top = limbs.count
    var mant = 0.0
    for i in stride(from: top - 1, through: max(0, top - 3), by: -1) { mant = mant * 4294967296.0 + Double(limbs[i]) }
    let shift = max(0, top - 3) * 32
    return Foundation.log10(mant) + Double(shift) * 0.30102999566398119521
  }

  /// Ordering.
  public static func < (a: BigUInt, b: BigUInt) -> Bool {
    if a.limbs.count != b.limbs.count { return a.limbs.count < b.limbs.count }
    for i in stride(from: a.limbs.count - 1, through: 0, by: -1) where a.limbs[i] != b.limbs[i] {
      return a.limbs[i] < b.limbs[i]
    }
    return false
  }
}
