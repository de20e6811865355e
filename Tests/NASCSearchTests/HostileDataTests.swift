import Foundation
import NASCData
import NASCSearch
import NASCSpace
import Testing

/// Crafted and damaged data files: every one is a coded error, in bounded time and memory.
@Suite struct HostileDataTests {
  func shell(_ script: String) throws { try run("/bin/sh", ["-c", script]) }

  func code(_ body: () throws -> Void) -> String? {
    do { try body() } catch let e as RunError { return e.code } catch { return "\(error)" }
    return nil
  }

  @Test func gzipMembersTruncationAndLimit() throws {
    let dir = try TempDir()
    let a = dir.path + "/a", b = dir.path + "/b"
    try Data("first member\n".utf8).write(to: URL(fileURLWithPath: a))
    try Data(repeating: 9, count: 5000).write(to: URL(fileURLWithPath: b))
    try shell("gzip -c \(a) > \(dir.path)/ab.gz && gzip -c \(b) >> \(dir.path)/ab.gz")
    let gz = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir.path + "/ab.gz")))
    let all = try GzipReader.decompress(gz, limit: 1 << 20)
    #expect(all == Array("first member\n".utf8) + [UInt8](repeating: 9, count: 5000))
    // Trailing zero padding is accepted; trailing garbage is not.
    #expect(try GzipReader.decompress(gz + [0, 0, 0], limit: 1 << 20) == all)
    #expect(throws: GzipError.self) { try GzipReader.decompress(gz + [1, 2, 3], limit: 1 << 20) }
    // Every truncation is an error, never a trap or a hang.
    for cut in stride(from: 1, to: gz.count, by: 7) {
      #expect(throws: GzipError.self) { try GzipReader.decompress(Array(gz.prefix(cut)), limit: 1 << 20) }
    }
    // The limit: exactly the data passes, one byte less is `tooLarge`.
    #expect(try GzipReader.decompress(gz, limit: all.count) == all)
    do {
      _ = try GzipReader.decompress(gz, limit: all.count - 1)
      Issue.record("a stream past its limit must throw")
    } catch let e as GzipError {
      #expect(e.tooLarge)
    }
    // Reading in pieces gives the same bytes.
    let r = try GzipReader(gz, limit: 1 << 20)
    var pieces = [UInt8]()
    while true {
      let p = try r.read(777)
      if p.isEmpty { break }
      pieces += p
    }
    #expect(pieces == all && r.produced == all.count)
  }

  /// A gzip bomb: a valid IDX header, then 100 MB of zeros in ~100 KB. An E213 before it is inflated.
  @Test func gzipBombIsCodedErrorWithBoundedWork() throws {
    let dir = try TempDir()
    try writeIDX(dir: dir.path, prefix: "t10k", count: 3, side: 4)
    let header = "\\0\\0\\010\\003\\0\\0\\352\\140\\0\\0\\0\\034\\0\\0\\0\\034"  // 60000×28×28
    try shell(
      "(printf '\(header)'; head -c 100000000 /dev/zero) | gzip -9 > \(dir.path)/train-images-idx3-ubyte.gz")
    var labels: [UInt8] = [0, 0, 8, 1, 0, 0, 0xea, 0x60]
    labels += [UInt8](repeating: 1, count: 60000)
    try Data(labels).write(to: URL(fileURLWithPath: dir.path + "/train-labels-idx1-ubyte"))
    let size = try #require(
      try FileManager.default.attributesOfItem(atPath: dir.path + "/train-images-idx3-ubyte.gz")[.size] as? Int)
    #expect(size < 1_000_000)
    #expect(code { _ = try IDXLoader.load(directory: dir.path, name: "bomb") } == "E213")
  }

  @Test func idxHeadersThatLieAreErrors() throws {
    let dir = try TempDir()
    try writeIDX(dir: dir.path, prefix: "t10k", count: 3, side: 4)
    try writeIDX(dir: dir.path, prefix: "train", count: 5, side: 4)
    let images = dir.path + "/train-images-idx3-ubyte"
    // count × height × width overflows 64 bits (it wrapped to a small number before).
    var overflow: [UInt8] = [0, 0, 8, 3, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]
    overflow += [UInt8](repeating: 0, count: 16)
    try Data(overflow).write(to: URL(fileURLWithPath: images))
    #expect(code { _ = try IDXLoader.load(directory: dir.path, name: "x") } == "E213")
    // A product that wraps to exactly the payload size: 2^32 · 2^32 · 1 → 0 mod 2^64.
    let wrap: [UInt8] = [0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    try Data(wrap).write(to: URL(fileURLWithPath: images))
    #expect(code { _ = try IDXLoader.load(directory: dir.path, name: "x") } == "E202")
    // More data than the header declares, plain and gzip.
    try writeIDX(dir: dir.path, prefix: "train", count: 5, side: 4)
    var longer = [UInt8](try Data(contentsOf: URL(fileURLWithPath: images)))
    longer += [1, 2, 3]
    try Data(longer).write(to: URL(fileURLWithPath: images))
    #expect(code { _ = try IDXLoader.load(directory: dir.path, name: "x") } == "E202")
    try shell("gzip -f \(images)")
    #expect(code { _ = try IDXLoader.load(directory: dir.path, name: "x") } == "E202")
  }

  @Test func idxTrainLimitReadsOnlyThePrefix() throws {
    let dir = try TempDir()
    try writeIDX(dir: dir.path, prefix: "train", count: 50, side: 4)
    try writeIDX(dir: dir.path, prefix: "t10k", count: 3, side: 4)
    try shell("gzip -f \(dir.path)/train-images-idx3-ubyte")
    let full = try DataSource(parsing: "idx:\(dir.path)").load()
    let some = try DataSource(parsing: "idx:\(dir.path)").load(trainLimit: 7)
    #expect(some.train.count == 7 && full.train.count == 50)
    #expect(some.train.pixels == Array(full.train.pixels.prefix(7 * 16)))
    #expect(some.train.labels == Array(full.train.labels.prefix(7)))
  }

  @Test func idxTrainAndTestOfOtherShapesAreRefused() throws {
    let dir = try TempDir()
    try writeIDX(dir: dir.path, prefix: "train", count: 5, side: 4)
    try writeIDX(dir: dir.path, prefix: "t10k", count: 3, side: 5)
    #expect(code { _ = try IDXLoader.load(directory: dir.path, name: "x") } == "E203")
  }

  /// The real Fashion-MNIST files (Debian's dataset-fashion-mnist), where installed.
  @Test(.enabled(if: FileManager.default.fileExists(atPath: IDXLoader.fashionMNISTDirectory)))
  func realFashionMNIST() throws {
    let s = try DataSource(parsing: "fashion-mnist").load()
    #expect(s.train.count == 60000 && s.test.count == 10000)
    #expect(s.train.height == 28 && s.train.width == 28)
    #expect(Array(s.train.labels.prefix(5)) == [9, 0, 0, 3, 0])  // ankle boot, T-shirt, T-shirt, dress, T-shirt
    #expect(Array(s.test.labels.prefix(3)) == [9, 2, 1])
    let some = try DataSource(parsing: "fashion-mnist").load(trainLimit: 100)
    #expect(some.train.count == 100 && some.train.pixels == Array(s.train.pixels.prefix(100 * 784)))
  }
}
