/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TFRecord framing checks records.
enum CRC32C {
  private static let table: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 == 1 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
    return c
  }

  /// The checksum of `bytes`.
  static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
    var c: UInt32 = 0xFFFF_FFFF
    for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
    return c ^ 0xFFFF_FFFF
  }

  /// TFRecord's masked form: rotated right by 15 bits plus a constant.
  static func masked<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
    let c = checksum(bytes)
    return ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
  }
}
