import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Errors reading or writing checkpoints (I/O failures and corrupt or mismatched files).
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
  /// The file could not be read or written.
  case io(String)
  /// The file is not valid safetensors.
  case corrupt(String)
  /// A tensor has a dtype other than F32.
  case unsupportedDType(String, String)
  /// A tensor the model needs is absent.
  case missingTensor(String)
  /// A tensor's shape differs from the model's.
  case shapeMismatch(String, expected: [Int], found: [Int])

  /// A one-line explanation.
  public var description: String {
    switch self {
    case .io(let m): return "checkpoint I/O error: \(m)"
    case .corrupt(let m): return "corrupt safetensors file: \(m)"
    case .unsupportedDType(let n, let d): return "tensor '\(n)' has dtype \(d); only F32 is supported"
    case .missingTensor(let n): return "checkpoint has no tensor '\(n)'"
    case .shapeMismatch(let n, let e, let f): return "tensor '\(n)' has shape \(f), expected \(e)"
    }
  }
}

/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping names to
/// `{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}` (plus an optional string map under
/// `__metadata__`), then the little-endian data. Python's `safetensors` reads what this writes.
public enum Safetensors {
  /// Serialises `tensors` (sorted by name) and `metadata` to bytes.
  public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> Data {
    let names = tensors.keys.sorted()
    var offset = 0
    var entries: [String] = []
    if !metadata.isEmpty {
      let m = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
      entries.append("\"__metadata__\":{\(m.joined(separator: ","))}")
    }
    for n in names {
      let t = tensors[n]!
      let bytes = t.count * 4
      entries.append(
        "\(jsonString(n)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}"
      )
      offset += bytes
    }
    var header = Array("{\(entries.joined(separator: ","))}".utf8)
    while header.count % 8 != 0 { header.append(0x20) }
    var data = Data(capacity: 8 + header.count + offset)
    var len = UInt64(header.count).littleEndian
    withUnsafeBytes(of: &len) { data.append(contentsOf: $0) }
    data.append(contentsOf: header)
    for n in names {
      let t = tensors[n]!
      t.withUnsafeBufferPointer { b in
        #if _endian(big)
          for v in b {
            var le = v.bitPattern.littleEndian; withUnsafeBytes(of: &le) { data.append(contentsOf: $0) }
          }
        #else
          data.append(
            UnsafeBufferPointer(
              start: UnsafeRawPointer(b.baseAddress!).assumingMemoryBound(to: UInt8.self), count: b.count * 4)
          )
        #endif
      }
    }
    return data
  }

  /// Parses safetensors bytes; throws `CheckpointError` on anything malformed.
  public static func decode(_ data: Data) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    guard data.count >= 8 else { throw CheckpointError.corrupt("file shorter than the 8-byte header length") }
    let len = data.prefix(8).enumerated().reduce(UInt64(0)) {
      $0 | UInt64($1.element) << (8 * UInt64($1.offset))
    }
    guard len <= UInt64(data.count - 8) else {
      throw CheckpointError.corrupt("header length \(len) exceeds file size")
    }
    let headerData = data.subdata(in: 8..<(8 + Int(len)))
    guard let obj = try? JSONSerialization.jsonObject(with: headerData), let header = obj as? [String: Any]
    else {
      throw CheckpointError.corrupt("header is not a JSON object")
    }
    let body = 8 + Int(len)
    let bodySize = data.count - body
    var tensors: [String: Tensor] = [:]
    var metadata: [String: String] = [:]
    for (name, value) in header {
      if name == "__metadata__" {
        guard let m = value as? [String: String] else {
          throw CheckpointError.corrupt("__metadata__ must map strings to strings")
        }
        metadata = m
        continue
      }
      guard let e = value as? [String: Any], let dtype = e["dtype"] as? String,
        let shape = (e["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
        let offs = (e["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), offs.count == 2
      else { throw CheckpointError.corrupt("bad entry for tensor '\(name)'") }
      guard (e["shape"] as? [Any])?.count == shape.count else {
        throw CheckpointError.corrupt("shape of '\(name)' must be a list of integers")
      }
      guard dtype == "F32" else { throw CheckpointError.unsupportedDType(name, dtype) }
      guard shape.allSatisfy({ $0 >= 0 }) else {
        throw CheckpointError.corrupt("negative extent in '\(name)'")
      }
      // The element count, refused before it can overflow (it must fit the file's body anyway).
      var count = 1
      for d in shape {
        let (c, overflow) = count.multipliedReportingOverflow(by: d)
        guard !overflow, c <= bodySize / 4 + 1 else {
          throw CheckpointError.corrupt("shape \(shape) of '\(name)' is larger than the file")
        }
        count = c
      }
      guard offs[0] >= 0, offs[1] >= offs[0], offs[1] <= bodySize, offs[1] - offs[0] == count * 4 else {
        throw CheckpointError.corrupt(
          "data offsets \(offs) of '\(name)' do not fit shape \(shape) in \(bodySize) bytes")
      }
      let t = Tensor(uninitializedShape: shape)
      data.withUnsafeBytes { raw in
        let src = raw.baseAddress! + body + offs[0]
        for i in 0..<count {
          var bits: UInt32 = 0
          memcpy(&bits, src + 4 * i, 4)
          t.storage.pointer[i] = Float(bitPattern: UInt32(littleEndian: bits))
        }
      }
      tensors[name] = t
    }
    return (tensors, metadata)
  }

  /// Writes a safetensors file durably and atomically (`DurableFile`: flushed, then renamed).
  public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to url: URL) throws {
    do { try DurableFile.replace(encode(tensors, metadata: metadata), at: url.path) } catch {
      throw CheckpointError.io("cannot write \(error.path): \(error.reason)")
    }
  }

  /// Reads a safetensors file.
  public static func read(from url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw CheckpointError.io("cannot read \(url.path): \(error.localizedDescription)")
    }
    return try decode(data)
  }

  static func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
      }
    }
    return out + "\""
  }
}
