/// One minibatch: NCHW pixels and labels.
public struct Batch: Sendable {
  /// `count × channels × height × width` values.
  public var pixels: [Float]
  /// One label per image.
  public var labels: [Int32]
  /// Images in the batch.
  public var count: Int { labels.count }
}

/// Draws shuffled minibatches from a dataset epoch after epoch, augmenting each image.
///
/// The sampler's whole state is its generator state and position, so a resumed run that restores
/// them draws exactly the batches an uninterrupted run would.
public struct BatchSampler<G: RandomNumberGenerator> {
  /// The images drawn from.
  public let dataset: ImageDataset
  /// Images per batch (the last batch of an epoch is dropped if smaller, as `drop_last`).
  public let batchSize: Int
  /// Augmentation applied to every drawn image.
  public let augmentation: Augmentation
  /// The generator for shuffling and augmentation.
  public var rng: G
  private var order: [Int] = []
  private var cursor = 0

  /// Creates a sampler; `batchSize` is clamped to the dataset size.
  public init(dataset: ImageDataset, batchSize: Int, augmentation: Augmentation = .none, rng: G) {
    self.dataset = dataset
    self.batchSize = max(1, min(batchSize, dataset.count))
    self.augmentation = augmentation
    self.rng = rng
  }

  /// Full batches per epoch.
  public var batchesPerEpoch: Int { dataset.count / batchSize }

  /// The next batch; reshuffles when the current permutation is used up.
  public mutating func next() -> Batch {
    if order.isEmpty || cursor + batchSize > order.count {
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
    return Batch(pixels: Array(pixels[(range.lowerBound * size)..<(range.upperBound * size)]), labels: Array(labels[range]))
  }
}
