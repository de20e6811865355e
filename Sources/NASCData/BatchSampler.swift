import NASCTensor

/// One minibatch: NCHW pixels and labels.
public struct Batch: Sendable {
  /// `count × channels × height × width` values.
  public var pixels: [Float]
  /// One label per image.
  public var labels: [Int32]
  /// Images in the batch.
  public var count: Int { labels.count }

  /// A batch of `labels.count` images.
  public init(pixels: [Float], labels: [Int32]) {
    self.pixels = pixels
    self.labels = labels
  }

  /// Images `range` of the batch (a ghost batch).
  public func slice(_ range: Range<Int>) -> Batch {
    let plane = count == 0 ? 0 : pixels.count / count
    return Batch(
      pixels: Array(pixels[(range.lowerBound * plane)..<(range.upperBound * plane)]), labels: Array(labels[range]))
  }
}

/// Where a `BatchSampler` stands: enough to continue with exactly the batches an uninterrupted run
/// would draw.
public struct SamplerState: Codable, Equatable, Sendable {
  /// The generator state now.
  public var rng: UInt64
  /// The generator state the current permutation was drawn from (nil before the first batch).
  public var permutationFrom: UInt64?
  /// Images of the current permutation already used.
  public var cursor: Int
}

/// Draws shuffled minibatches from a dataset epoch after epoch, augmenting each image.
///
/// The sampler's whole state is a `SamplerState`, so a resumed run that restores it draws exactly
/// the batches an uninterrupted run would.
public struct BatchSampler {
  /// The images drawn from.
  public let dataset: ImageDataset
  /// Images per batch (the last batch of an epoch is dropped if smaller, as `drop_last`).
  public let batchSize: Int
  /// Augmentation applied to every drawn image.
  public let augmentation: Augmentation
  /// The generator for shuffling and augmentation.
  private var rng: SeededGenerator
  private var permutationFrom: UInt64?
  private var order: [Int] = []
  private var cursor = 0

  /// Creates a sampler; `batchSize` is clamped to the dataset size.
  public init(dataset: ImageDataset, batchSize: Int, augmentation: Augmentation = .none, rng: RNG) {
    self.dataset = dataset
    self.batchSize = max(1, min(batchSize, dataset.count))
    self.augmentation = augmentation
    self.rng = SeededGenerator(rng)
  }

  /// The current state, for checkpoints.
  public var state: SamplerState { SamplerState(rng: rng.rng.state, permutationFrom: permutationFrom, cursor: cursor) }

  /// Continues from a saved state.
  public mutating func restore(_ s: SamplerState) {
    if let from = s.permutationFrom {
      var g = SeededGenerator(RNG(seed: from))
      order = Array(0..<dataset.count)
      order.shuffle(using: &g)
    } else {
      order = []
    }
    permutationFrom = s.permutationFrom
    // A cursor outside the data (a damaged checkpoint) starts a new epoch instead of trapping.
    cursor = (0...dataset.count).contains(s.cursor) ? s.cursor : dataset.count
    rng = SeededGenerator(RNG(seed: s.rng))
  }

  /// Full batches per epoch.
  public var batchesPerEpoch: Int { dataset.count / batchSize }

  /// The next batch; reshuffles when the current permutation is used up.
  public mutating func next() -> Batch {
    if order.isEmpty || cursor + batchSize > order.count {
      permutationFrom = rng.rng.state
      order = Array(0..<dataset.count)
      order.shuffle(using: &rng)
      cursor = 0
    }
    let indices = order[cursor..<(cursor + batchSize)]
    cursor += batchSize
    return makeBatch(indices)
  }

  private mutating func makeBatch(_ indices: ArraySlice<Int>) -> Batch {
    let size = dataset.imageSize
    var pixels = [Float](repeating: 0, count: indices.count * size)
    var labels = [Int32]()
    labels.reserveCapacity(indices.count)
    var scratch = [Float](repeating: 0, count: size)
    let aug = augmentation
    let (c, h, w) = (dataset.channels, dataset.height, dataset.width)
    dataset.pixels.withUnsafeBufferPointer { src in
      pixels.withUnsafeMutableBufferPointer { dst in
        scratch.withUnsafeMutableBufferPointer { tmp in
          for (slot, i) in indices.enumerated() {
            let out = UnsafeMutableBufferPointer(rebasing: dst[(slot * size)..<((slot + 1) * size)])
            for j in 0..<size { out[j] = src[i * size + j] }
            if !aug.isIdentity { aug.apply(to: out, scratch: tmp, channels: c, height: h, width: w, using: &rng) }
          }
        }
      }
    }
    for i in indices { labels.append(dataset.labels[i]) }
    return Batch(pixels: pixels, labels: labels)
  }

  /// Batches covering the dataset once in order, without augmentation (for evaluation).
  public static func sequential(_ dataset: ImageDataset, batchSize: Int) -> [Range<Int>] {
    stride(from: 0, to: dataset.count, by: max(batchSize, 1)).map { $0..<min($0 + batchSize, dataset.count) }
  }
}

extension ImageDataset {
  /// The images in `range` as one batch, unaugmented.
  public func batch(_ range: Range<Int>) -> Batch {
    let size = imageSize
    return Batch(
      pixels: Array(pixels[(range.lowerBound * size)..<(range.upperBound * size)]), labels: Array(labels[range]))
  }
}

/// The engine's seedable generator as a Swift `RandomNumberGenerator`.
public struct SeededGenerator: RandomNumberGenerator {
  /// The wrapped generator.
  public var rng: RNG
  /// Wraps `rng`.
  public init(_ rng: RNG) { self.rng = rng }
  /// The next 64 random bits.
  public mutating func next() -> UInt64 { rng.next() }
}
