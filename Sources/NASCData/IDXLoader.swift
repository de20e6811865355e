import Foundation
import NASCSpace

/// Loads image classification data stored as IDX files (the MNIST / Fashion-MNIST format), plain or
/// gzip-compressed.
///
/// A directory is expected to hold `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
/// `t10k-images-idx3-ubyte` and `t10k-labels-idx1-ubyte`, each optionally with a `.gz` suffix.
/// Pixels 0…255 are scaled to 0…1.
public enum IDXLoader {
  /// Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST.
  public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"

  /// Loads the train and test splits from `directory`.
  public static func load(directory: String, name: String, classes: Int = 10) throws -> DatasetSplits {
    let train = try loadPair(directory: directory, prefix: "train", classes: classes)
    let test = try loadPair(directory: directory, prefix: "t10k", classes: classes)
    return DatasetSplits(name: name, train: train, test: test)
  }

  static func loadPair(directory: String, prefix: String, classes: Int) throws -> ImageDataset {
    let (imagesPath, imageBytes) = try readMaybeGzip(directory: directory, base: "\(prefix)-images-idx3-ubyte")
    let (labelsPath, labelBytes) = try readMaybeGzip(directory: directory, base: "\(prefix)-labels-idx1-ubyte")
    let images = try parse(imageBytes, path: imagesPath)
    let labels = try parse(labelBytes, path: labelsPath)
    guard images.dims.count == 3 else {
      throw RunError(
        "E203", "expected a 3-dimensional image file (N×H×W), found \(images.dims.count) dimensions",
        help: "pass the images file of an IDX data set", path: imagesPath)
    }
    guard labels.dims.count == 1 else {
      throw RunError(
        "E203", "expected a 1-dimensional label file, found \(labels.dims.count) dimensions",
        help: "pass the labels file of an IDX data set", path: labelsPath)
    }
    guard images.dims[0] == labels.dims[0] else {
      throw RunError(
        "E203", "\(images.dims[0]) images but \(labels.dims[0]) labels",
        help: "the images and labels files must come from the same split", path: labelsPath)
    }
    var labelValues = [Int32]()
    labelValues.reserveCapacity(labels.dims[0])
    for (i, b) in labels.payload.enumerated() {
      guard Int(b) < classes else {
        throw RunError(
          "E203", "label \(b) of item \(i) is not below the class count \(classes)",
          help: "check that this is a \(classes)-class data set", path: labelsPath)
      }
      labelValues.append(Int32(b))
    }
    let pixels = images.payload.map { Float($0) / 255 }
    return ImageDataset(
      channels: 1, height: images.dims[1], width: images.dims[2], classes: classes, pixels: pixels,
      labels: labelValues)
  }

  static func readMaybeGzip(directory: String, base: String) throws -> (String, [UInt8]) {
    let fm = FileManager.default
    let plain = (directory as NSString).appendingPathComponent(base)
    let gz = plain + ".gz"
    let path: String
    if fm.fileExists(atPath: plain) {
      path = plain
    } else if fm.fileExists(atPath: gz) {
      path = gz
    } else {
      let hint =
        directory == fashionMNISTDirectory
        ? "install it with `apt-get install dataset-fashion-mnist`, or pass fashion-mnist:DIR"
        : "the directory must hold \(base) or \(base).gz"
      throw RunError("E201", "data file not found: \(plain)[.gz]", help: hint, path: plain)
    }
    guard let data = fm.contents(atPath: path) else {
      throw RunError("E201", "cannot read \(path)", help: "check the file's permissions", path: path)
    }
    var bytes = [UInt8](data)
    if path.hasSuffix(".gz") {
      do { bytes = try Inflate.gunzip(bytes) } catch {
        throw RunError(
          "E202", "cannot decompress: \(error)", help: "the file is corrupt; reinstall or re-download it", path: path)
      }
    }
    return (path, bytes)
  }

  /// Parses an IDX file of unsigned bytes: magic `00 00 08 D`, then D big-endian dimension sizes, then data.
  static func parse(_ bytes: [UInt8], path: String) throws -> (dims: [Int], payload: ArraySlice<UInt8>) {
    guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
      throw RunError(
        "E202", "not an IDX file (bad magic number)", help: "pass an IDX file such as train-images-idx3-ubyte",
        path: path)
    }
    guard bytes[2] == 0x08 else {
      throw RunError(
        "E202", "IDX element type 0x\(String(bytes[2], radix: 16)) is not unsigned byte",
        help: "only unsigned-byte IDX files (type 0x08) are supported", path: path)
    }
    let d = Int(bytes[3])
    guard d >= 1, d <= 4, bytes.count >= 4 + 4 * d else {
      throw RunError(
        "E202", "IDX header is truncated or has \(d) dimensions", help: "the file is corrupt", path: path)
    }
    var dims = [Int]()
    var total = 1
    for i in 0..<d {
      let o = 4 + 4 * i
      let v = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
      dims.append(v)
      total = total.multipliedReportingOverflow(by: max(v, 1)).partialValue
    }
    let start = 4 + 4 * d
    guard dims.allSatisfy({ $0 > 0 }), bytes.count - start == total else {
      throw RunError(
        "E202",
        "IDX payload has \(bytes.count - start) bytes, header says \(dims.map(String.init).joined(separator: "×"))",
        help: "the file is truncated or corrupt", path: path)
    }
    return (dims, bytes[start...])
  }
}
