import NASCData
import NASCSpace
import NASCTensor

/// A corpus's training and validation splits cut into `columns` parallel streams and read in
/// windows of `bptt` steps: what both recurrent searches (DARTS' bilevel one and ENAS' shared
/// child) train and score on.
struct LanguageModelSplits {
  let train: TokenStreams
  let valid: TokenStreams
  let trainStarts: [Int]
  let validStarts: [Int]

  /// The splits of `corpus`; `E202` when either is too short for `columns` streams.
  init(_ corpus: TokenCorpus, columns: Int, bptt: Int) throws {
    guard let train = TokenStreams(corpus.train, columns: columns),
      let valid = TokenStreams(corpus.valid, columns: columns)
    else {
      throw RunError(
        "E202", "\(corpus.name) is too short for \(columns) streams in both its training and validation split",
        help: "lower batch_size (--batch-size), or use a larger corpus")
    }
    self.train = train
    self.valid = valid
    trainStarts = train.windowStarts(steps: bptt)
    validStarts = valid.windowStarts(steps: bptt)
  }
}

extension Tensor {
  /// The scalars' bit patterns (a carried hidden state in a checkpoint's JSON, exactly).
  var bitPatterns: [UInt32] { scalars.map(\.bitPattern) }

  /// A tensor of `shape` from bit patterns written by `bitPatterns`.
  init(shape: [Int], bitPatterns: [UInt32]) {
    self.init(shape: shape, scalars: bitPatterns.map(Float.init(bitPattern:)))
  }
}
