/// A labelled image classification dataset held in memory as NCHW float32 pixels.
///
/// Pixels are stored contiguously, image after image; `labels[i]` is the class of image `i`.
public struct ImageDataset: Sendable {
  /// Channels per image (1 for grey, 3 for RGB).
  public let channels: Int
  /// Image height in pixels.
  public let height: Int
  /// Image width in pixels.
  public let width: Int
  /// Number of classes; every label is in `0..<classes`.
  public let classes: Int
  /// Pixels of all images, `count × channels × height × width` values.
  public private(set) var pixels: [Float]
  /// One label per image.
  public let labels: [Int32]

  /// Values per image (`channels × height × width`).
  public var imageSize: Int { channels * height * width }
  /// Number of images.
  public var count: Int { labels.count }

  /// Creates a dataset; `pixels.count` must equal `labels.count × channels × height × width`.
  public init(channels: Int, height: Int, width: Int, classes: Int, pixels: [Float], labels: [Int32]) {
    precondition(pixels.count == labels.count * channels * height * width, "pixel count does not match labels")
    self.channels = channels
    self.height = height
    self.width = width
    self.classes = classes
    self.pixels = pixels
    self.labels = labels
  }

  /// The images at `indices`, in that order.
  public func subset(_ indices: some Collection<Int>) -> ImageDataset {
    let size = imageSize
    var out = [Float]()
    out.reserveCapacity(indices.count * size)
    var outLabels = [Int32]()
    outLabels.reserveCapacity(indices.count)
    pixels.withUnsafeBufferPointer { src in
      for i in indices {
        out.append(contentsOf: src[(i * size)..<((i + 1) * size)])
        outLabels.append(labels[i])
      }
    }
    return ImageDataset(
      channels: channels, height: height, width: width, classes: classes, pixels: out, labels: outLabels)
  }

  /// The first `count` images.
  public func prefix(_ count: Int) -> ImageDataset { subset(0..<min(count, self.count)) }

  /// Splits by index as the DARTS papers do: the first `portion` of the images and the rest.
  public func split(portion: Double) -> (first: ImageDataset, second: ImageDataset) {
    let cut = portion.isFinite ? min(max(Int((Double(count) * portion).rounded(.down)), 0), count) : 0
    return (subset(0..<cut), subset(cut..<count))
  }

  /// Per-channel mean and standard deviation over all pixels (population statistics).
  public func channelStatistics() -> (mean: [Float], std: [Float]) {
    var sum = [Double](repeating: 0, count: channels)
    var sumSq = [Double](repeating: 0, count: channels)
    let plane = height * width
    pixels.withUnsafeBufferPointer { p in
      for n in 0..<count {
        for c in 0..<channels {
          let base = (n * channels + c) * plane
          var s = 0.0
          var s2 = 0.0
          for i in 0..<plane {
            let v = Double(p[base + i])
            s += v
            s2 += v * v
          }
          sum[c] += s
          sumSq[c] += s2
        }
      }
    }
    let total = Double(count * plane)
    let mean = sum.map { $0 / max(total, 1) }
    let std = zip(sumSq, mean).map { (s2, m) in (max(s2 / max(total, 1) - m * m, 0)).squareRoot() }
    return (mean.map(Float.init), std.map { Float(max($0, 1e-6)) })
  }

  /// Normalises each channel in place: `(x − mean[c]) / std[c]`.
  public mutating func normalize(mean: [Float], std: [Float]) {
    precondition(mean.count == channels && std.count == channels)
    let plane = height * width
    let channels = self.channels
    let n = count
    pixels.withUnsafeMutableBufferPointer { p in
      for i in 0..<n {
        for c in 0..<channels {
          let base = (i * channels + c) * plane
          let m = mean[c]
          let inv = 1 / std[c]
          for j in 0..<plane { p[base + j] = (p[base + j] - m) * inv }
        }
      }
    }
  }

  /// Reduces resolution by averaging non-overlapping `factor × factor` windows (e.g. 28×28 → 14×14).
  public func averagePooled(factor: Int) -> ImageDataset {
    precondition(factor >= 1 && height % factor == 0 && width % factor == 0)
    if factor == 1 { return self }
    let oh = height / factor
    let ow = width / factor
    var out = [Float](repeating: 0, count: count * channels * oh * ow)
    let scale = 1 / Float(factor * factor)
    pixels.withUnsafeBufferPointer { p in
      out.withUnsafeMutableBufferPointer { o in
        for plane in 0..<(count * channels) {
          let src = plane * height * width
          let dst = plane * oh * ow
          for y in 0..<oh {
            for x in 0..<ow {
              var s: Float = 0
              for dy in 0..<factor {
                for dx in 0..<factor { s += p[src + (y * factor + dy) * width + x * factor + dx] }
              }
              o[dst + y * ow + x] = s * scale
            }
          }
        }
      }
    }
    return ImageDataset(channels: channels, height: oh, width: ow, classes: classes, pixels: out, labels: labels)
  }
}

/// A train/test pair as shipped by a dataset's authors.
public struct DatasetSplits: Sendable {
  /// Human-readable name, e.g. `digits` or `fashion-mnist`.
  public let name: String
  /// The training split (the search divides it further into weight and architecture halves).
  public var train: ImageDataset
  /// The held-out test split.
  public var test: ImageDataset
  /// Creates a pair.
  public init(name: String, train: ImageDataset, test: ImageDataset) {
    self.name = name
    self.train = train
    self.test = test
  }
}
