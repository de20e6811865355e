import Foundation
import Testing

@testable import NASCBoard
@testable import NASCSearch

/// Where the TensorBoard cross-check runs: wherever the `tensorboard` package is installed
/// (scripts/setup --tests installs it), and always in CI.
let tensorboardCrossCheck = pythonHas("tensorboard") || ProcessInfo.processInfo.environment["CI"] != nil

@Suite("TensorBoard events") struct TensorBoardTests {
  @Test func crc32cAndTFRecordFraming() throws {
    // The CRC-32C check value (RFC 3720 / iSCSI) and TFRecord's masking.
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    var out = Data()
    TFRecord.append(Data([1, 2, 3]), to: &out)
    #expect(out.count == 8 + 4 + 3 + 4)
    #expect(Array(out[0..<8]) == [3, 0, 0, 0, 0, 0, 0, 0])
    let c = CRC32C.checksum(out[0..<8])
    let masked = ((c >> 15) | (c << 17)) &+ 0xA282_EAD8
    #expect(out[8..<12].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) } == masked.littleEndian)
    #expect(Array(out[12..<15]) == [1, 2, 3])
  }

  @Test func metricLinesBecomeScalarsAndHistograms() {
    let line: Metrics = [
      "epoch": .int(0), "train_loss": .number(1.5), "collapsed": .bool(true), "method": .text("darts"),
      "alpha": .map(["e1": .numbers([0.25, 0.75])]), "entropy": .map(["normal": .number(2)]),
    ]
    let leaves = MetricsBoard.leaves(line)
    #expect(leaves.map(\.0) == ["alpha/e1", "collapsed", "entropy/normal", "train_loss"])
    #expect(leaves[1].1 == .number(1) && leaves[3].1 == .number(1.5) && leaves[0].1 == .numbers([0.25, 0.75]))
  }

  /// A search and a training run each write `tb/`; TensorBoard's own reader finds every scalar of
  /// metrics.jsonl with one value per line, equal to it, and softmax(α) histograms.
  @Test(.enabled(if: tensorboardCrossCheck, "python3 with tensorboard"))
  func tensorboardReadsSearchAndTrainRuns() throws {
    let dir = try TempDir()
    let tiny = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml"
    let search = try runNasc(["search", tiny, "--epochs", "2", "--limit", "100", "--out", dir.path + "/s"])
    #expect(search.status == 0, "\(search.stderr)")
    let train = try runNasc([
      "train", tiny, "--arch", "DARTS_V2", "--epochs", "2", "--limit", "32", "--batch-size", "16", "--out",
      dir.path + "/t",
    ])
    #expect(train.status == 0, "\(train.stderr)")
    for (run, histograms) in [("s", true), ("t", false)] {
      let (status, text) = try runPython([repoRoot + "/scripts/check-tensorboard", dir.path + "/" + run])
      #expect(status == 0, "\(run): \(text)")
      #expect(text.contains("\"lines\": 2"), "\(text)")
      #expect(text.contains("\"histogram_tags\": 0") != histograms, "\(text)")
    }
  }
}
