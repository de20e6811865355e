import Foundation
import NASCSpace

/// The text corpus bundled with nasc: the King James Version New Testament (public domain),
/// tokenised like the Penn Treebank with a vocabulary of 3,000 (see
/// `Resources/kjv-nt/ATTRIBUTION.md`; built by `scripts/make-text-corpus`).
public enum BundledCorpus {
  /// Loads the three splits.
  public static func load() throws -> TokenCorpus {
    var texts = [String]()
    var paths = [String]()
    for split in ["train", "valid", "test"] {
      guard let url = Bundle.module.url(forResource: "kjv.\(split).txt", withExtension: "gz", subdirectory: "kjv-nt")
      else {
        throw RunError(
          "E201", "the bundled corpus (kjv.\(split).txt.gz) is missing from the nasc build",
          help: "rebuild nasc with `swift build`; the file lives in Sources/NASCData/Resources/kjv-nt/")
      }
      let (path, text) = try TokenCorpus.readText(
        directory: url.deletingLastPathComponent().path, file: "kjv.\(split).txt")
      texts.append(text)
      paths.append(path)
    }
    return try TokenCorpus(name: "kjv", train: texts[0], valid: texts[1], test: texts[2], paths: paths)
  }
}
