import Foundation
import NASCFuzzTargets
import Testing

/// Every input of the committed fuzz corpus (`fuzz/corpus/TARGET/`, grown and minimised by
/// scripts/fuzz) and every fixed crash reproducer (`fuzz/regressions/TARGET/`) runs through its
/// target in the test suite, so what fuzzing found stays found and fixed.
@Suite struct FuzzCorpusTests {
  static func inputs(_ folder: String, _ target: String) -> [String] {
    let dir = repoRoot + "/fuzz/\(folder)/\(target)"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    return names.sorted().map { dir + "/" + $0 }
  }

  @Test(arguments: FuzzTargets.names)
  func corpusReplays(_ target: String) throws {
    let files = Self.inputs("corpus", target) + Self.inputs("regressions", target)
    #expect(files.count >= 2, "fuzz/corpus/\(target) holds no seeds")
    for f in files {
      let data = try #require(FileManager.default.contents(atPath: f))
      #expect(FuzzTargets.run(target, [UInt8](data)))
    }
  }
}
