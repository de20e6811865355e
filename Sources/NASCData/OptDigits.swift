import Foundation
import NASCSpace

/// The UCI optical-recognition handwritten digits (8×8 grey, 10 classes), bundled with nasc.
///
/// 3,823 training and 1,797 test images; pixel values 0…16 are scaled to 0…1. CC BY 4.0,
/// Alpaydin & Kaynak (see `Resources/optdigits/ATTRIBUTION.md`).
public enum OptDigits {
  /// Loads the bundled train and test splits.
  public static func load() throws -> DatasetSplits {
    let train = try parse(resource: "optdigits-train")
    let test = try parse(resource: "optdigits-test")
    return DatasetSplits(name: "digits", train: train, test: test)
  }

  static func parse(resource: String) throws -> ImageDataset {
    guard let url = Bundle.module.url(forResource: resource, withExtension: "csv", subdirectory: "optdigits")
    else {
      throw RunError(
        "E201", "the bundled digits data set (\(resource).csv) is missing from the nasc build",
        help: "rebuild nasc with `swift build`; the file lives in Sources/NASCSearch/Resources/optdigits/")
    }
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw RunError(
        "E201", "cannot read \(url.path): \(error.localizedDescription)",
        help: "check the nasc installation", path: url.path)
    }
    return try parse(csv: data, path: url.path)
  }

  /// Parses optdigits rows: 64 integers 0…16 then the label 0…9, comma separated.
  public static func parse(csv data: Data, path: String) throws -> ImageDataset {
    var pixels = [Float]()
    var labels = [Int32]()
    pixels.reserveCapacity(data.count / 2)
    var line = 1
    var field = 0
    var value = 0
    var digits = 0
    func fail(_ why: String) -> RunError {
      RunError(
        "E202", "\(path):\(line): \(why)", help: "each row must hold 64 pixel values 0…16 and a label 0…9", path: path)
    }
    func endField() throws {
      guard digits > 0 else { throw fail("empty field \(field + 1)") }
      if field < 64 {
        guard value <= 16 else { throw fail("pixel value \(value) is out of range 0…16") }
        pixels.append(Float(value) / 16)
      } else if field == 64 {
        guard value <= 9 else { throw fail("label \(value) is out of range 0…9") }
        labels.append(Int32(value))
      } else {
        throw fail("more than 65 fields")
      }
      field += 1
      value = 0
      digits = 0
    }
    for byte in data {
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"):
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
        digits += 1
        if digits > 6 { throw fail("number too long") }
      case UInt8(ascii: ","):
        try endField()
      case UInt8(ascii: "\n"):
        if field == 0 && digits == 0 { line += 1; continue }
        try endField()
        guard field == 65 else { throw fail("expected 65 fields, found \(field)") }
        field = 0
        line += 1
      case UInt8(ascii: "\r"), UInt8(ascii: " "):
        continue
      default:
        throw fail("unexpected byte 0x\(String(byte, radix: 16))")
      }
    }
    if field > 0 || digits > 0 {
      try endField()
      guard field == 65 else { throw fail("expected 65 fields, found \(field)") }
    }
    guard !labels.isEmpty else { throw fail("no rows") }
    return ImageDataset(channels: 1, height: 8, width: 8, classes: 10, pixels: pixels, labels: labels)
  }
}
