import NASCSpace
/// Which data set a search or training run uses, as written after `--data`.
///
/// Images: `digits` (the bundled default), `fashion-mnist` or `fashion-mnist:DIR`, `cifar10:DIR`,
/// `idx:DIR`. Text corpora for token-sequence spaces: `kjv` (the bundled default) and `ptb:DIR`.
public enum DataSource: Equatable, Sendable, CustomStringConvertible {
  /// The bundled UCI optdigits (8×8 grey).
  case digits
  /// Fashion-MNIST IDX files (28×28 grey) in a directory.
  case fashionMNIST(directory: String)
  /// CIFAR-10 binary batches (32×32 RGB) in a directory.
  case cifar10(directory: String)
  /// Any 10-class IDX data set (train-/t10k- files) in a directory.
  case idx(directory: String)
  /// The bundled text corpus (the King James Version New Testament, PTB-style tokens).
  case kjv
  /// A Penn Treebank directory (`ptb.train.txt`, `ptb.valid.txt`, `ptb.test.txt`).
  case ptb(directory: String)

  /// Parses a `--data` value; throws `E204` with the accepted forms otherwise.
  public init(parsing text: String) throws {
    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
    let kind = parts.first ?? ""
    let dir = parts.count > 1 ? parts[1] : nil
    switch (kind, dir) {
    case ("digits", nil): self = .digits
    case ("fashion-mnist", nil): self = .fashionMNIST(directory: IDXLoader.fashionMNISTDirectory)
    case ("fashion-mnist", let d?) where !d.isEmpty: self = .fashionMNIST(directory: d)
    case ("cifar10", let d?) where !d.isEmpty: self = .cifar10(directory: d)
    case ("idx", let d?) where !d.isEmpty: self = .idx(directory: d)
    case ("kjv", nil): self = .kjv
    case ("ptb", let d?) where !d.isEmpty: self = .ptb(directory: d)
    default:
      throw RunError(
        "E204", "unknown data set '\(text)'",
        help: "use digits, fashion-mnist, fashion-mnist:DIR, cifar10:DIR or idx:DIR (images); kjv or ptb:DIR (text)")
    }
  }

  /// The canonical spelling, as accepted by `init(parsing:)`.
  public var description: String {
    switch self {
    case .digits: return "digits"
    case .fashionMNIST(let d): return d == IDXLoader.fashionMNISTDirectory ? "fashion-mnist" : "fashion-mnist:\(d)"
    case .cifar10(let d): return "cifar10:\(d)"
    case .idx(let d): return "idx:\(d)"
    case .kjv: return "kjv"
    case .ptb(let d): return "ptb:\(d)"
    }
  }

  /// Whether it is a text corpus (for token-sequence spaces) rather than images.
  public var isText: Bool {
    switch self {
    case .kjv, .ptb: true
    default: false
    }
  }

  /// The default data of a space: the bundled corpus for token-sequence spaces, else digits.
  public static func defaultFor(tokens: Bool) -> DataSource { tokens ? .kjv : .digits }

  /// Loads the text corpus; `E214` for an image data set.
  public func loadCorpus() throws -> TokenCorpus {
    switch self {
    case .kjv: return try BundledCorpus.load()
    case .ptb(let d): return try TokenCorpus.loadPTB(directory: d)
    default:
      throw RunError(
        "E214", "\(description) is an image data set, but the space reads token sequences",
        help: "pass a text corpus: --data kjv (bundled) or --data ptb:DIR")
    }
  }

  /// Loads the train and test splits; with `trainLimit`, only the first that many training images
  /// (IDX files are read no further than those need).
  public func load(trainLimit: Int? = nil) throws -> DatasetSplits {
    var splits: DatasetSplits
    switch self {
    case .digits: splits = try OptDigits.load()
    case .fashionMNIST(let d): splits = try IDXLoader.load(directory: d, name: "fashion-mnist", trainLimit: trainLimit)
    case .cifar10(let d): splits = try CIFAR10Loader.load(directory: d)
    case .idx(let d): splits = try IDXLoader.load(directory: d, name: "idx", trainLimit: trainLimit)
    case .kjv, .ptb:
      throw RunError(
        "E214", "\(description) is a text corpus, but the space reads images",
        help: "pass image data (--data digits, fashion-mnist, cifar10:DIR or idx:DIR), or search a token-sequence space"
      )
    }
    if let trainLimit { splits.train = splits.train.prefix(trainLimit) }
    return splits
  }
}
