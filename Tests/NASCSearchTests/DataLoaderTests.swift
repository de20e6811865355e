import NASCSpace
import Foundation
import NASCTensor
import NASCData
import Testing

@testable import NASCSearch

@Suite struct DataLoaderTests {
  @Test func bundledDigitsHaveTheUCISplitSizes() throws {
    let splits = try OptDigits.load()
    #expect(splits.train.count == 3823)
    #expect(splits.test.count == 1797)
    #expect(splits.train.height == 8 && splits.train.width == 8 && splits.train.channels == 1)
    #expect(splits.train.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
    // Every class is present in both splits.
    #expect(Set(splits.train.labels) == Set(0..<10))
    #expect(Set(splits.test.labels) == Set(0..<10))
  }

  @Test func digitsCSVErrorsNameTheLine() throws {
    let bad = Data("0,1,2\n".utf8)
    #expect(throws: RunError.self) { try OptDigits.parse(csv: bad, path: "x.csv") }
    do {
      _ = try OptDigits.parse(
        csv: Data((Array(repeating: "0", count: 64) + ["12"]).joined(separator: ",").utf8), path: "x.csv")
      Issue.record("label 12 must be rejected")
    } catch let e as RunError {
      #expect(e.code == "E202")
      #expect(e.message.contains("x.csv:1"))
    }
  }

  @Test func gunzipMatchesSystemGzip() throws {
    let dir = try TempDir()
    // Compressible and incompressible parts, several kilobytes, so both block types appear.
    var rng = SystemRandomNumberGenerator()
    var payload = [UInt8]()
    for i in 0..<20_000 { payload.append(UInt8(i % 251)) }
    for _ in 0..<5_000 { payload.append(UInt8.random(in: 0...255, using: &rng)) }
    payload.append(contentsOf: repeatElement(7, count: 3000))
    let path = dir.path + "/p.bin"
    FileManager.default.createFile(atPath: path, contents: Data(payload))
    for level in ["-1", "-9"] {
      try run("/bin/gzip", ["-k", "-f", level, path])
      let gz = try #require(FileManager.default.contents(atPath: path + ".gz"))
      #expect(try GzipReader.decompress([UInt8](gz), limit: 1 << 20) == payload)
    }
    // A flipped byte in the middle is caught (Huffman error, length or CRC check).
    var gz = [UInt8](try #require(FileManager.default.contents(atPath: path + ".gz")))
    gz[gz.count / 2] ^= 0x5a
    #expect(throws: GzipError.self) { try GzipReader.decompress(gz, limit: 1 << 20) }
    #expect(throws: GzipError.self) { try GzipReader.decompress([1, 2, 3], limit: 1 << 20) }
  }

  @Test func idxRoundTripPlainAndGzip() throws {
    let dir = try TempDir()
    try writeIDX(dir: dir.path, prefix: "train", count: 5, side: 4)
    try writeIDX(dir: dir.path, prefix: "t10k", count: 3, side: 4)
    try run("/bin/gzip", ["-f", dir.path + "/train-images-idx3-ubyte"])
    let splits = try DataSource(parsing: "idx:\(dir.path)").load()
    #expect(splits.train.count == 5 && splits.test.count == 3)
    #expect(splits.train.height == 4)
    #expect(splits.train.labels == [0, 1, 2, 3, 4])
    #expect(splits.train.pixels[1] == Float(1) / 255)
  }

  @Test func idxMissingAndCorruptFilesAreClearErrors() throws {
    let dir = try TempDir()
    do {
      _ = try IDXLoader.load(directory: dir.path, name: "x")
      Issue.record("missing files must throw")
    } catch let e as RunError {
      #expect(e.code == "E201")
    }
    try writeIDX(dir: dir.path, prefix: "train", count: 5, side: 4)
    try writeIDX(dir: dir.path, prefix: "t10k", count: 3, side: 4)
    // Truncate the test images.
    let p = dir.path + "/t10k-images-idx3-ubyte"
    let d = try #require(FileManager.default.contents(atPath: p))
    FileManager.default.createFile(atPath: p, contents: d.prefix(d.count - 3))
    do {
      _ = try IDXLoader.load(directory: dir.path, name: "x")
      Issue.record("truncated file must throw")
    } catch let e as RunError {
      #expect(e.code == "E202")
      #expect(e.path == p)
    }
  }

  @Test func cifarBinaryBatches() throws {
    let dir = try TempDir()
    func record(_ label: UInt8, _ fill: UInt8) -> [UInt8] { [label] + [UInt8](repeating: fill, count: 3072) }
    FileManager.default.createFile(
      atPath: dir.path + "/data_batch_1.bin", contents: Data(record(3, 255) + record(9, 0)))
    FileManager.default.createFile(atPath: dir.path + "/test_batch.bin", contents: Data(record(1, 51)))
    let s = try CIFAR10Loader.load(directory: dir.path)
    #expect(s.train.count == 2 && s.test.count == 1)
    #expect(s.train.labels == [3, 9])
    #expect(s.train.pixels[0] == 1 && s.train.pixels[3072] == 0)
    #expect(abs(s.test.pixels[100] - 0.2) < 1e-6)
    FileManager.default.createFile(atPath: dir.path + "/test_batch.bin", contents: Data(record(1, 0).dropLast()))
    #expect(throws: RunError.self) { try CIFAR10Loader.load(directory: dir.path) }
  }

  @Test func dataSourceSpellings() throws {
    #expect(try DataSource(parsing: "digits") == .digits)
    #expect(try DataSource(parsing: "fashion-mnist") == .fashionMNIST(directory: IDXLoader.fashionMNISTDirectory))
    #expect(try DataSource(parsing: "cifar10:/d") == .cifar10(directory: "/d"))
    #expect(throws: RunError.self) { try DataSource(parsing: "mnist") }
    #expect(throws: RunError.self) { try DataSource(parsing: "cifar10") }
  }

  @Test func samplerIsReproducibleAndAugmentationKeepsShape() throws {
    let digits = try OptDigits.load().train.prefix(100)
    let aug = Augmentation(cropPadding: 1, horizontalFlip: true, cutoutLength: 2)
    var a = BatchSampler(dataset: digits, batchSize: 16, augmentation: aug, rng: RNG(seed: 7))
    var b = BatchSampler(dataset: digits, batchSize: 16, augmentation: aug, rng: RNG(seed: 7))
    for _ in 0..<10 {
      let x = a.next()
      let y = b.next()
      #expect(x.pixels == y.pixels && x.labels == y.labels)
      #expect(x.pixels.count == 16 * 64)
    }
    var c = BatchSampler(dataset: digits, batchSize: 16, augmentation: aug, rng: RNG(seed: 8))
    #expect(c.next().pixels != a.next().pixels)
    // A restored sampler continues with the same batches, across a reshuffle.
    let saved = a.state
    var d = BatchSampler(dataset: digits, batchSize: 16, augmentation: aug, rng: RNG(seed: 99))
    d.restore(saved)
    for _ in 0..<8 { #expect(d.next().pixels == a.next().pixels) }
    // A damaged state (a cursor outside the data) starts a new epoch instead of trapping.
    for cursor in [-5, 10_000, Int.max] {
      var bad = saved
      bad.cursor = cursor
      var e = BatchSampler(dataset: digits, batchSize: 16, augmentation: aug, rng: RNG(seed: 99))
      e.restore(bad)
      #expect(e.next().pixels.count == 16 * 64)
    }
  }

  @Test func splitAndPoolingAndNormalisation() throws {
    var d = ImageDataset(
      channels: 1, height: 2, width: 2, classes: 2, pixels: [0, 1, 2, 3, 4, 5, 6, 7], labels: [0, 1])
    let (a, b) = d.split(portion: 0.5)
    #expect(a.labels == [0] && b.labels == [1])
    #expect(d.averagePooled(factor: 2).pixels == [1.5, 5.5])
    let stats = d.channelStatistics()
    #expect(abs(stats.mean[0] - 3.5) < 1e-6)
    d.normalize(mean: stats.mean, std: stats.std)
    let after = d.channelStatistics()
    #expect(abs(after.mean[0]) < 1e-5 && abs(after.std[0] - 1) < 1e-5)
  }
}

/// A temporary directory removed when the value is released.
final class TempDir {
  let path: String
  init() throws {
    path = NSTemporaryDirectory() + "nasc-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }
  deinit { try? FileManager.default.removeItem(atPath: path) }
}

func run(_ exe: String, _ args: [String]) throws {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: exe)
  p.arguments = args
  try p.run()
  p.waitUntilExit()
  #expect(p.terminationStatus == 0)
}

func writeIDX(dir: String, prefix: String, count: Int, side: Int) throws {
  var images: [UInt8] = [0, 0, 8, 3]
  for v in [count, side, side] { images += [0, 0, UInt8(v >> 8), UInt8(v & 255)] }
  for i in 0..<(count * side * side) { images.append(UInt8(i % 256)) }
  var labels: [UInt8] = [0, 0, 8, 1, 0, 0, 0, UInt8(count)]
  for i in 0..<count { labels.append(UInt8(i % 10)) }
  FileManager.default.createFile(atPath: dir + "/\(prefix)-images-idx3-ubyte", contents: Data(images))
  FileManager.default.createFile(atPath: dir + "/\(prefix)-labels-idx1-ubyte", contents: Data(labels))
}
