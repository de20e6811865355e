import CZlib

/// Why a gzip stream could not be decompressed.
public struct GzipError: Error, CustomStringConvertible, Sendable {
  /// What was wrong with the stream.
  public let description: String
  /// Whether the stream would inflate past the reader's limit (a gzip bomb, or data too large).
  public let tooLarge: Bool

  init(_ description: String, tooLarge: Bool = false) {
    self.description = description
    self.tooLarge = tooLarge
  }
}

/// Streams the decompressed bytes of a gzip file (RFC 1952, one or more members) through zlib,
/// which checks every member's CRC-32 and length. Output past `limit` bytes is an error, so a
/// crafted file cannot exhaust memory: callers read what they need and stop.
public final class GzipReader {
  /// The most bytes this reader inflates.
  public let limit: Int
  /// Bytes inflated so far.
  public private(set) var produced = 0
  private let input: [UInt8]
  private var consumed = 0
  private var stream = z_stream()
  private var finished = false

  /// A reader of `bytes` that inflates at most `limit` bytes.
  public init(_ bytes: [UInt8], limit: Int) throws {
    self.input = bytes
    self.limit = limit
    guard bytes.count >= 2, bytes[0] == 0x1f, bytes[1] == 0x8b else {
      throw GzipError("not a gzip stream (bad magic bytes)")
    }
    // windowBits 15 + 16: a gzip wrapper only (no zlib header, no raw deflate).
    let rc = inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard rc == Z_OK else { throw GzipError("zlib could not start (\(rc))") }
  }

  deinit { inflateEnd(&stream) }

  /// Up to `count` more bytes; fewer only at the end of the data. Throws a `tooLarge` error when the
  /// data holds more than `limit` bytes in all and this read would pass it.
  public func read(_ count: Int) throws -> [UInt8] {
    precondition(count >= 0, "negative read")
    // Inflated straight into the result's storage (no per-byte work outside zlib).
    let allowed = min(count, max(0, limit - produced))
    let out = try [UInt8](unsafeUninitializedCapacity: allowed) { buffer, initialized in
      initialized = 0
      guard let base = buffer.baseAddress, allowed > 0 else { return }
      initialized = try inflateSome(into: base, count: allowed)
    }
    produced += out.count
    if out.count < count && !finished {
      // At the limit: any further byte of data passes it.
      var probe: UInt8 = 0
      if try inflateSome(into: &probe, count: 1) > 0 {
        throw GzipError("inflates to more than \(limit) bytes", tooLarge: true)
      }
    }
    return out
  }

  /// Every remaining byte, or a `tooLarge` error past the limit.
  public func readToEnd() throws -> [UInt8] {
    var out = [UInt8]()
    while !finished { out += try read(1 << 22) }
    return out
  }

  /// Whether no data is left; reads ahead one byte, which is lost to later reads.
  public func isAtEnd() throws -> Bool { try read(1).isEmpty }

  /// Inflates into `dst` until it holds `count` bytes or the data ends (the only case in which it
  /// returns fewer); returns the bytes written.
  private func inflateSome(into dst: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
    var written = 0
    try input.withUnsafeBufferPointer { src in
      while written < count && !finished {
        stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress! + consumed)
        stream.avail_in = UInt32(min(input.count - consumed, Int(UInt32.max)))
        stream.next_out = dst + written
        stream.avail_out = UInt32(count - written)
        let before = (stream.avail_in, stream.avail_out)
        let rc = inflate(&stream, Z_NO_FLUSH)
        consumed += Int(before.0 - stream.avail_in)
        written += Int(before.1 - stream.avail_out)
        switch rc {
        case Z_STREAM_END:
          // Another member may follow; trailing zero padding ends the file.
          if input[consumed...].allSatisfy({ $0 == 0 }) {
            finished = true
          } else {
            guard input.count - consumed >= 2, input[consumed] == 0x1f, input[consumed + 1] == 0x8b else {
              throw GzipError("data after the end of the gzip stream")
            }
            inflateReset(&stream)
          }
        case Z_OK:
          continue
        case Z_BUF_ERROR:
          if stream.avail_in == 0 { throw GzipError("truncated gzip stream") }
          if stream.avail_out == 0 { return }
          throw GzipError("corrupt gzip stream")
        case Z_DATA_ERROR:
          let m = stream.msg.map { String(cString: $0) } ?? "corrupt data"
          throw GzipError("corrupt gzip stream: \(m)")
        case Z_MEM_ERROR:
          throw GzipError("zlib ran out of memory")
        default:
          throw GzipError("corrupt gzip stream (zlib \(rc))")
        }
      }
    }
    return written
  }
}

extension GzipReader {
  /// Decompresses a whole gzip file; more than `limit` inflated bytes is a `tooLarge` error.
  public static func decompress(_ bytes: [UInt8], limit: Int) throws -> [UInt8] {
    try GzipReader(bytes, limit: limit).readToEnd()
  }
}
