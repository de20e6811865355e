import Foundation
import NASCSpace

/// Loads the CIFAR-10 binary version: `data_batch_1.bin` … `data_batch_5.bin` and `test_batch.bin`,
/// each a sequence of records of one label byte followed by 3,072 pixel bytes (R, G, B planes of 32×32).
public enum CIFAR10Loader {
  /// Bytes per record.
  static let recordSize = 1 + 3 * 32 * 32

  /// Loads the train and test splits from `directory` (the `cifar-10-batches-bin` folder).
  public static func load(directory: String) throws -> DatasetSplits {
    var trainFiles = (1...5).map { "data_batch_\($0).bin" }
    let fm = FileManager.default
    trainFiles = trainFiles.filter { fm.fileExists(atPath: (directory as NSString).appendingPathComponent($0)) }
    guard !trainFiles.isEmpty else {
      throw RunError(
        "E201", "no CIFAR-10 training batches (data_batch_N.bin) in \(directory)",
        help: "pass the cifar-10-batches-bin directory of the binary CIFAR-10 release", path: directory)
    }
    let train = try load(files: trainFiles.map { (directory as NSString).appendingPathComponent($0) })
    let test = try load(files: [(directory as NSString).appendingPathComponent("test_batch.bin")])
    return DatasetSplits(name: "cifar10", train: train, test: test)
  }

  /// Loads and concatenates the records of `files`.
  public static func load(files: [String]) throws -> ImageDataset {
    var pixels = [Float]()
    var labels = [Int32]()
    for path in files {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw RunError(
          "E201", "data file not found or unreadable: \(path)",
          help: "pass the cifar-10-batches-bin directory of the binary CIFAR-10 release", path: path)
      }
      guard data.count > 0, data.count % recordSize == 0 else {
        throw RunError(
          "E202", "file size \(data.count) is not a multiple of the CIFAR-10 record size \(recordSize)",
          help: "the file is truncated or not a CIFAR-10 binary batch", path: path)
      }
      let n = data.count / recordSize
      pixels.reserveCapacity(pixels.count + n * (recordSize - 1))
      try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
        for r in 0..<n {
          let base = r * recordSize
          let label = raw[base]
          guard label < 10 else {
            throw RunError(
              "E202", "record \(r) has label \(label), not 0…9", help: "the file is corrupt", path: path)
          }
          labels.append(Int32(label))
          for i in 1..<recordSize { pixels.append(Float(raw[base + i]) / 255) }
        }
      }
    }
    return ImageDataset(channels: 3, height: 32, width: 32, classes: 10, pixels: pixels, labels: labels)
  }
}
