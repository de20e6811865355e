/// A DEFLATE (RFC 1951) decoder and gzip (RFC 1952) reader, so gzip-compressed IDX files load with
/// no extra dependency. Corrupt input throws `InflateError`; it never traps.
public enum Inflate {
  /// Why a compressed stream could not be decoded.
  public struct InflateError: Error, CustomStringConvertible, Sendable {
    /// What was wrong with the stream.
    public let description: String
  }

  /// Decompresses every member of a gzip file and checks each member's CRC-32 and length.
  public static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 4)
    var pos = 0
    while pos < bytes.count {
      guard bytes.count - pos >= 18, bytes[pos] == 0x1f, bytes[pos + 1] == 0x8b else {
        if pos > 0 && bytes[pos...].allSatisfy({ $0 == 0 }) { break }  // trailing padding
        throw InflateError(description: "not a gzip stream (bad magic bytes)")
      }
      guard bytes[pos + 2] == 8 else { throw InflateError(description: "unknown gzip compression method") }
      let flags = bytes[pos + 3]
      var p = pos + 10
      func need(_ n: Int) throws {
        if p + n > bytes.count { throw InflateError(description: "truncated gzip header") }
      }
      if flags & 4 != 0 {
        try need(2)
        let xlen = Int(bytes[p]) | Int(bytes[p + 1]) << 8
        p += 2
        try need(xlen)
        p += xlen
      }
      for bit in [UInt8(8), 16] where flags & bit != 0 {
        while true {
          try need(1)
          p += 1
          if bytes[p - 1] == 0 { break }
        }
      }
      if flags & 2 != 0 { p += 2 }
      let start = out.count
      var reader = BitReader(bytes: bytes, position: p)
      try inflate(&reader, into: &out)
      p = reader.alignedPosition
      guard p + 8 <= bytes.count else { throw InflateError(description: "truncated gzip trailer") }
      let crc = UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
      let size =
        UInt32(bytes[p + 4]) | UInt32(bytes[p + 5]) << 8 | UInt32(bytes[p + 6]) << 16 | UInt32(bytes[p + 7]) << 24
      let produced = out.count - start
      guard UInt32(truncatingIfNeeded: produced) == size else {
        throw InflateError(description: "gzip length check failed (file is corrupt)")
      }
      guard CRC32.checksum(out, from: start) == crc else {
        throw InflateError(description: "gzip CRC-32 check failed (file is corrupt)")
      }
      pos = p + 8
    }
    return out
  }

  /// Decodes a raw DEFLATE stream starting at `reader`, appending to `out`.
  static func inflate(_ reader: inout BitReader, into out: inout [UInt8]) throws {
    var last = false
    while !last {
      last = try reader.bits(1) == 1
      switch try reader.bits(2) {
      case 0: try stored(&reader, into: &out)
      case 1: try codes(&reader, into: &out, lit: Huffman.fixedLiteral, dist: Huffman.fixedDistance)
      case 2:
        let (lit, dist) = try dynamicTables(&reader)
        try codes(&reader, into: &out, lit: lit, dist: dist)
      default: throw InflateError(description: "invalid DEFLATE block type")
      }
    }
  }

  private static func stored(_ reader: inout BitReader, into out: inout [UInt8]) throws {
    var p = reader.alignedPosition
    guard p + 4 <= reader.bytes.count else { throw InflateError(description: "truncated stored block") }
    let len = Int(reader.bytes[p]) | Int(reader.bytes[p + 1]) << 8
    let nlen = Int(reader.bytes[p + 2]) | Int(reader.bytes[p + 3]) << 8
    guard len == (~nlen & 0xffff) else { throw InflateError(description: "stored block length check failed") }
    p += 4
    guard p + len <= reader.bytes.count else { throw InflateError(description: "truncated stored block") }
    out.append(contentsOf: reader.bytes[p..<(p + len)])
    reader = BitReader(bytes: reader.bytes, position: p + len)
  }

  private static let lengthBase: [Int] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
  ]
  private static let lengthExtra: [Int] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
  ]
  private static let distBase: [Int] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
    4097, 6145, 8193, 12289, 16385, 24577,
  ]
  private static let distExtra: [Int] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
  ]

  private static func codes(_ reader: inout BitReader, into out: inout [UInt8], lit: Huffman, dist: Huffman) throws {
    while true {
      let symbol = try lit.decode(&reader)
      if symbol < 256 {
        out.append(UInt8(symbol))
      } else if symbol == 256 {
        return
      } else {
        let li = symbol - 257
        guard li < 29 else { throw InflateError(description: "invalid length code") }
        let length = lengthBase[li] + (try reader.bits(lengthExtra[li]))
        let di = try dist.decode(&reader)
        guard di < 30 else { throw InflateError(description: "invalid distance code") }
        let distance = distBase[di] + (try reader.bits(distExtra[di]))
        guard distance <= out.count else { throw InflateError(description: "distance reaches before the start") }
        let from = out.count - distance
        for i in 0..<length { out.append(out[from + i]) }
      }
    }
  }

  private static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

  private static func dynamicTables(_ reader: inout BitReader) throws -> (Huffman, Huffman) {
    let nlen = try reader.bits(5) + 257
    let ndist = try reader.bits(5) + 1
    let ncode = try reader.bits(4) + 4
    guard nlen <= 286, ndist <= 30 else { throw InflateError(description: "too many length or distance codes") }
    var lengths = [Int](repeating: 0, count: 19)
    for i in 0..<ncode { lengths[codeLengthOrder[i]] = try reader.bits(3) }
    let lencode = try Huffman(lengths: lengths)
    var all = [Int]()
    all.reserveCapacity(nlen + ndist)
    while all.count < nlen + ndist {
      let symbol = try lencode.decode(&reader)
      switch symbol {
      case 0..<16: all.append(symbol)
      case 16:
        guard let prev = all.last else { throw InflateError(description: "repeat with no previous length") }
        all.append(contentsOf: repeatElement(prev, count: 3 + (try reader.bits(2))))
      case 17: all.append(contentsOf: repeatElement(0, count: 3 + (try reader.bits(3))))
      default: all.append(contentsOf: repeatElement(0, count: 11 + (try reader.bits(7))))
      }
    }
    guard all.count == nlen + ndist else { throw InflateError(description: "code lengths overrun") }
    guard all[256] != 0 else { throw InflateError(description: "no end-of-block code") }
    return (try Huffman(lengths: Array(all[0..<nlen])), try Huffman(lengths: Array(all[nlen...])))
  }
}

/// Reads a byte array least-significant bit first, as DEFLATE stores it.
struct BitReader {
  let bytes: [UInt8]
  private var position: Int
  private var buffer: UInt64 = 0
  private var count = 0

  init(bytes: [UInt8], position: Int) {
    self.bytes = bytes
    self.position = position
  }

  /// The next byte boundary after the bits consumed so far.
  var alignedPosition: Int { position - count / 8 }

  mutating func bits(_ n: Int) throws -> Int {
    if n == 0 { return 0 }
    while count < n {
      guard position < bytes.count else { throw Inflate.InflateError(description: "unexpected end of compressed data") }
      buffer |= UInt64(bytes[position]) << UInt64(count)
      position += 1
      count += 8
    }
    let v = Int(buffer & ((1 << UInt64(n)) - 1))
    buffer >>= UInt64(n)
    count -= n
    return v
  }

  /// Peeks up to `n` bits without consuming them; fewer if the stream ends (the rest read as zeros).
  mutating func peek(_ n: Int) -> Int {
    while count < n && position < bytes.count {
      buffer |= UInt64(bytes[position]) << UInt64(count)
      position += 1
      count += 8
    }
    return Int(buffer & ((1 << UInt64(n)) - 1))
  }

  mutating func skip(_ n: Int) throws {
    guard n <= count else { throw Inflate.InflateError(description: "unexpected end of compressed data") }
    buffer >>= UInt64(n)
    count -= n
  }
}

/// A canonical Huffman code decoded through one lookup table of `maxBits` bits.
struct Huffman: Sendable {
  /// For each `maxBits`-bit pattern (bit-reversed code prefix): symbol << 4 | code length; 0 = invalid.
  private let table: [Int32]
  private let maxBits: Int

  init(lengths: [Int]) throws {
    let maxBits = max(lengths.max() ?? 0, 1)
    guard maxBits <= 15 else { throw Inflate.InflateError(description: "code length over 15") }
    var counts = [Int](repeating: 0, count: 16)
    for l in lengths where l > 0 { counts[l] += 1 }
    var next = [Int](repeating: 0, count: 16)
    var code = 0
    for bits in 1...15 {
      code = (code + counts[bits - 1]) << 1
      next[bits] = code
      if bits <= maxBits && counts[bits] > (1 << bits) {
        throw Inflate.InflateError(description: "over-subscribed code")
      }
    }
    var table = [Int32](repeating: 0, count: 1 << maxBits)
    for (symbol, len) in lengths.enumerated() where len > 0 {
      let c = next[len]
      next[len] += 1
      guard c < (1 << len) else { throw Inflate.InflateError(description: "over-subscribed code") }
      var reversed = 0
      for i in 0..<len where c & (1 << i) != 0 { reversed |= 1 << (len - 1 - i) }
      var fill = reversed
      while fill < (1 << maxBits) {
        table[fill] = Int32(symbol << 4 | len)
        fill += 1 << len
      }
    }
    self.table = table
    self.maxBits = maxBits
  }

  func decode(_ reader: inout BitReader) throws -> Int {
    let entry = Int(table[reader.peek(maxBits)])
    guard entry != 0 else { throw Inflate.InflateError(description: "invalid Huffman code") }
    try reader.skip(entry & 15)
    return entry >> 4
  }

  /// A code from lengths known to be valid (the RFC's fixed codes).
  private init(fixed lengths: [Int]) {
    do { try self.init(lengths: lengths) } catch { preconditionFailure("the fixed DEFLATE codes are valid") }
  }

  static let fixedLiteral: Huffman = {
    var l = [Int](repeating: 8, count: 288)
    for i in 144..<256 { l[i] = 9 }
    for i in 256..<280 { l[i] = 7 }
    return Huffman(fixed: l)
  }()

  static let fixedDistance = Huffman(fixed: [Int](repeating: 5, count: 30))
}

/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as gzip uses.
enum CRC32 {
  static let table: [UInt32] = (0..<256).map { n -> UInt32 in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  static func checksum(_ bytes: [UInt8], from start: Int = 0) -> UInt32 {
    var c: UInt32 = 0xffff_ffff
    bytes.withUnsafeBufferPointer { p in
      table.withUnsafeBufferPointer { t in
        for i in start..<p.count { c = t[Int((c ^ UInt32(p[i])) & 0xff)] ^ (c >> 8) }
      }
    }
    return c ^ 0xffff_ffff
  }
}
