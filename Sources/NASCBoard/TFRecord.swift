import Foundation

/// TFRecord framing, the container of TensorBoard event files: per record its length (uint64,
/// little-endian), the masked CRC-32C of those 8 bytes, the bytes, and their masked CRC-32C.
enum TFRecord {
  /// Appends one framed record to `out`.
  static func append(_ record: Data, to out: inout Data) {
    var length = Data()
    withUnsafeBytes(of: UInt64(record.count).littleEndian) { length.append(contentsOf: $0) }
    out.append(length)
    withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { out.append(contentsOf: $0) }
    out.append(record)
    withUnsafeBytes(of: CRC32C.masked(record).littleEndian) { out.append(contentsOf: $0) }
  }
}
