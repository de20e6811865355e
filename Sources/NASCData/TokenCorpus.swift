import Foundation
import NASCSpace

/// A word-level language-modelling corpus in the Penn Treebank layout: three splits of token ids
/// over one vocabulary built from the training split.
///
/// Tokenisation is PTB's: each line is split at whitespace and ends with `<eos>`. Words of the
/// validation and test splits that the training split never uses become `<unk>` (added to the
/// vocabulary if the training split has none); `unknownInValid` and `unknownInTest` count them.
public struct TokenCorpus: Sendable, Equatable {
  /// The name of the corpus (`kjv`, `ptb`).
  public var name: String
  /// The words, in order of first appearance in the training split (id = index).
  public var vocabulary: [String]
  /// Training token ids.
  public var train: [Int32]
  /// Validation token ids.
  public var valid: [Int32]
  /// Test token ids.
  public var test: [Int32]
  /// Validation words that were not in the training vocabulary (now `<unk>`).
  public var unknownInValid = 0
  /// Test words that were not in the training vocabulary (now `<unk>`).
  public var unknownInTest = 0

  /// The end-of-line token.
  public static let endOfSentence = "<eos>"
  /// The out-of-vocabulary token.
  public static let unknown = "<unk>"

  /// The file names of the three splits in a PTB directory.
  public static let ptbFiles = ["ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"]

  /// Builds a corpus from the texts of the three splits (`paths` name them in errors).
  public init(name: String, train: String, valid: String, test: String, paths: [String]) throws {
    self.name = name
    var ids = [String: Int32]()
    var vocabulary = [String]()
    func add(_ w: String) -> Int32 {
      if let i = ids[w] { return i }
      let i = Int32(vocabulary.count)
      ids[w] = i
      vocabulary.append(w)
      return i
    }
    var trainIDs = [Int32]()
    Self.forEachToken(train) { trainIDs.append(add($0)) }
    guard trainIDs.count > vocabulary.count(where: { $0 == Self.endOfSentence }) else {
      throw RunError(
        "E202", "the training split has no words", help: "pass a text file with one sentence per line",
        path: paths[0])
    }
    var unknown = [0, 0]
    var split = [[Int32](), [Int32]()]
    for (k, text) in [valid, test].enumerated() {
      Self.forEachToken(text) { w in
        if let i = ids[w] {
          split[k].append(i)
        } else {
          unknown[k] += 1
          split[k].append(add(Self.unknown))
        }
      }
      guard !split[k].isEmpty else {
        throw RunError(
          "E202", "the \(k == 0 ? "validation" : "test") split has no words",
          help: "pass a text file with one sentence per line", path: paths[k + 1])
      }
    }
    self.vocabulary = vocabulary
    self.train = trainIDs
    self.valid = split[0]
    self.test = split[1]
    unknownInValid = unknown[0]
    unknownInTest = unknown[1]
  }

  /// Calls `body` with every token of `text`: each line's words, then `<eos>`; blank lines give none.
  static func forEachToken(_ text: String, _ body: (String) -> Void) {
    for line in text.split(whereSeparator: \.isNewline) {
      var any = false
      for w in line.split(whereSeparator: \.isWhitespace) {
        body(String(w))
        any = true
      }
      if any { body(endOfSentence) }
    }
  }

  /// The number of distinct tokens.
  public var vocabularySize: Int { vocabulary.count }

  /// Per-token cross-entropy (nats) and perplexity on `ids` of the unigram model fitted to the
  /// training split with add-one smoothing: the baseline any language model must beat.
  public func unigramCrossEntropy(on ids: [Int32]) -> (crossEntropy: Double, perplexity: Double) {
    var counts = [Double](repeating: 1, count: vocabularySize)
    for t in train { counts[Int(t)] += 1 }
    let total = counts.reduce(0, +)
    var sum = 0.0
    for t in ids { sum -= Foundation.log(counts[Int(t)] / total) }
    let ce = sum / Double(max(ids.count, 1))
    return (ce, Foundation.exp(ce))
  }

  /// What loading changed, for the run's log: unknown words mapped to `<unk>`.
  public var notes: [String] {
    guard unknownInValid + unknownInTest > 0 else { return [] }
    return [
      "\(unknownInValid) validation and \(unknownInTest) test words are not in the training vocabulary: read as \(Self.unknown)"
    ]
  }
}

extension TokenCorpus {
  /// Loads `ptb.train.txt`, `ptb.valid.txt` and `ptb.test.txt` (each optionally `.gz`) from `directory`.
  public static func loadPTB(directory: String, name: String = "ptb") throws -> TokenCorpus {
    var texts = [String]()
    var paths = [String]()
    for file in ptbFiles {
      let (path, text) = try readText(directory: directory, file: file)
      texts.append(text)
      paths.append(path)
    }
    return try TokenCorpus(name: name, train: texts[0], valid: texts[1], test: texts[2], paths: paths)
  }

  /// Reads `file` or `file.gz` in `directory` as UTF-8 text.
  static func readText(directory: String, file: String) throws -> (path: String, text: String) {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
      throw RunError(
        "E201", "corpus directory not found: \(directory)",
        help: "pass ptb:DIR with the directory holding \(ptbFiles.joined(separator: ", "))", path: directory)
    }
    let plain = (directory as NSString).appendingPathComponent(file)
    let path = fm.fileExists(atPath: plain) ? plain : plain + ".gz"
    guard fm.fileExists(atPath: path) else {
      throw RunError(
        "E201", "the corpus has no \(file) (nor \(file).gz) in \(directory)",
        help: "a PTB directory holds \(ptbFiles.joined(separator: ", ")): one sentence per line", path: plain)
    }
    guard fm.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue, let data = fm.contents(atPath: path)
    else { throw RunError("E201", "cannot read \(path)", help: "check that it is a file you may read", path: path) }
    return (path, try decode(data, path: path))
  }

  /// Decodes plain or gzip-compressed UTF-8 text (E202 for other bytes, E213 past the inflate limit).
  static func decode(_ data: Data, path: String) throws -> String {
    var bytes = [UInt8](data)
    if path.hasSuffix(".gz") {
      let limit = IDXLoader.inflateLimit(compressedBytes: bytes.count)
      do {
        bytes = try GzipReader(bytes, limit: limit).readToEnd()
      } catch let e as GzipError {
        if e.tooLarge {
          throw RunError(
            "E213", "the text inflates to more than the \(limit) bytes nasc reads from this file",
            help: IDXLoader.bombHelp, path: path)
        }
        throw RunError(
          "E202", "cannot decompress: \(e)", help: "the file is corrupt; reinstall or re-download it", path: path)
      }
    } else if bytes.count > IDXLoader.maxPayloadBytes {
      throw RunError(
        "E213", "the file has \(bytes.count) bytes, more than the \(IDXLoader.maxPayloadBytes) nasc reads",
        help: "split the corpus or pass a smaller one", path: path)
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw RunError(
        "E202", "the file is not UTF-8 text", help: "a corpus is plain text, one sentence per line",
        path: path)
    }
    return text
  }
}
