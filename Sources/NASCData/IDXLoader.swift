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

  /// Loads the train and test splits from `directory`; with `trainLimit`, only the first that many
  /// training images are read (and inflated).
  public static func load(directory: String, name: String, classes: Int = 10, trainLimit: Int? = nil) throws
    -> DatasetSplits
  {
    let train = try loadPair(directory: directory, prefix: "train", classes: classes, maxItems: trainLimit)
    let test = try loadPair(directory: directory, prefix: "t10k", classes: classes)
    guard test.height == train.height, test.width == train.width else {
      throw RunError(
        "E203",
        "the test images are \(test.height)x\(test.width) but the training images \(train.height)x\(train.width)",
        help: "the train- and t10k- files must come from the same data set",
        path: (directory as NSString).appendingPathComponent("t10k-images-idx3-ubyte"))
    }
    return DatasetSplits(name: name, train: train, test: test)
  }

  static func loadPair(directory: String, prefix: String, classes: Int, maxItems: Int? = nil) throws -> ImageDataset {
    let images = try read(directory: directory, base: "\(prefix)-images-idx3-ubyte", maxItems: maxItems)
    let labels = try read(directory: directory, base: "\(prefix)-labels-idx1-ubyte", maxItems: maxItems)
    let (imagesPath, labelsPath) = (images.path, labels.path)
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
    labelValues.reserveCapacity(labels.payload.count)
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

  /// The most payload bytes an IDX header may declare (2 GiB; EMNIST's largest file is 0.55 GB).
  public static let maxPayloadBytes = 1 << 31

  /// The most bytes a gzip data file of `compressedBytes` may inflate to: 100× its size (the IDX
  /// files of MNIST and Fashion-MNIST inflate 2–5×; DEFLATE reaches 1032×), at least 16 MiB.
  public static func inflateLimit(compressedBytes: Int) -> Int {
    min(maxPayloadBytes + 64, max(16 << 20, compressedBytes.multipliedReportingOverflow(by: 100).partialValue))
  }

  /// Reads `base` or `base.gz` in `directory`: its dimensions and the bytes of its first `maxItems`
  /// items (all without a limit). A gzip file is inflated only as far as those items need.
  static func read(directory: String, base: String, maxItems: Int? = nil) throws -> (
    path: String, dims: [Int], payload: ArraySlice<UInt8>
  ) {
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
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue, let data = fm.contents(atPath: path)
    else {
      throw RunError("E201", "cannot read \(path)", help: "check that it is a file you may read", path: path)
    }
    let bytes = [UInt8](data)
    if !path.hasSuffix(".gz") {
      let h = try header(bytes, path: path)
      let payload = bytes[h.size...]
      guard payload.count == h.total else { throw sizeMismatch(payload.count, h.dims, path: path) }
      return (path, h.dims, payload.prefix(itemBytes(h, maxItems)))
    }
    let limit = inflateLimit(compressedBytes: bytes.count)
    do {
      let reader = try GzipReader(bytes, limit: limit)
      var head = try reader.read(4)
      if head.count == 4, head[0] == 0, head[1] == 0, head[2] == 0x08, (1...4).contains(Int(head[3])) {
        head += try reader.read(4 * Int(head[3]))
      }
      let h = try header(head, path: path)
      let wanted = itemBytes(h, maxItems)
      // A header that declares more than the limit allows is answered before inflating anything.
      if h.size + wanted > limit {
        throw RunError(
          "E213",
          "the header declares \(h.size + wanted) bytes, more than the \(limit) nasc inflates from a gzip file of \(bytes.count) bytes",
          help: bombHelp,
          path: path)
      }
      let payload = try reader.read(wanted)
      guard payload.count == wanted else { throw sizeMismatch(payload.count, h.dims, path: path) }
      if wanted == h.total, !(try reader.isAtEnd()) {
        throw RunError(
          "E202",
          "the file holds more data than its header declares (\(h.dims.map(String.init).joined(separator: "×")))",
          help: "the file is corrupt; reinstall or re-download it", path: path)
      }
      return (path, h.dims, payload[...])
    } catch let e as GzipError {
      if e.tooLarge {
        throw RunError(
          "E213", "the gzip file (\(bytes.count) bytes) inflates to more than \(limit) bytes",
          help: bombHelp,
          path: path)
      }
      throw RunError(
        "E202", "cannot decompress: \(e)", help: "the file is corrupt; reinstall or re-download it", path: path)
    }
  }

  /// The hint of both E213s: a gzip file whose header or data passes the inflate limit.
  static let bombHelp =
    "a crafted file (a gzip bomb) or not this data set; a real one can be decompressed with gunzip and passed plain"

  /// The header of an IDX file of unsigned bytes: magic `00 00 08 D`, then D big-endian sizes.
  static func header(_ bytes: [UInt8], path: String) throws -> (dims: [Int], size: Int, total: Int) {
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
    var overflow = false
    for i in 0..<d {
      let o = 4 + 4 * i
      let v = Int(bytes[o]) << 24 | Int(bytes[o + 1]) << 16 | Int(bytes[o + 2]) << 8 | Int(bytes[o + 3])
      dims.append(v)
      let (t, o2) = total.multipliedReportingOverflow(by: v)
      total = t
      overflow = overflow || o2
    }
    let shape = dims.map(String.init).joined(separator: "×")
    guard dims.allSatisfy({ $0 > 0 }) else {
      throw RunError(
        "E202", "IDX header declares an empty dimension (\(shape))", help: "the file is corrupt", path: path)
    }
    guard !overflow, total <= maxPayloadBytes else {
      throw RunError(
        "E213", "IDX header declares \(shape) bytes, more than the \(maxPayloadBytes >> 30) GiB nasc reads",
        help: "the file is corrupt, or split the data set into smaller files", path: path)
    }
    return (dims, 4 + 4 * d, total)
  }

  /// The payload bytes of the first `maxItems` items (axis 0), all of them without a limit.
  static func itemBytes(_ h: (dims: [Int], size: Int, total: Int), _ maxItems: Int?) -> Int {
    guard let maxItems else { return h.total }
    return min(h.dims[0], max(0, maxItems)) * (h.total / h.dims[0])
  }

  static func sizeMismatch(_ got: Int, _ dims: [Int], path: String) -> RunError {
    RunError(
      "E202", "IDX payload has \(got) bytes, header says \(dims.map(String.init).joined(separator: "×"))",
      help: "the file is truncated or corrupt", path: path)
  }
}
