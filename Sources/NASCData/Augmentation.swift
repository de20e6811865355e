/// Training-time image augmentation as in the DARTS code: random crop with zero padding, horizontal
/// flip and cutout, applied per image in a batch.
public struct Augmentation: Equatable, Sendable, Codable {
  /// Zero padding on each side before a random crop back to the original size (0 = no crop).
  public var cropPadding: Int
  /// Flip each image left–right with probability ½.
  public var horizontalFlip: Bool
  /// Side of the square cutout hole (0 = no cutout), applied after normalisation.
  public var cutoutLength: Int

  /// Creates an augmentation; the default does nothing.
  public init(cropPadding: Int = 0, horizontalFlip: Bool = false, cutoutLength: Int = 0) {
    self.cropPadding = cropPadding
    self.horizontalFlip = horizontalFlip
    self.cutoutLength = cutoutLength
  }

  /// No augmentation.
  public static let none = Augmentation()

  /// Whether the augmentation changes anything.
  public var isIdentity: Bool { cropPadding == 0 && !horizontalFlip && cutoutLength == 0 }

  /// Augments one image of `channels × height × width` values in place; `scratch` must hold as many.
  public func apply<G: RandomNumberGenerator>(
    to image: UnsafeMutableBufferPointer<Float>, scratch: UnsafeMutableBufferPointer<Float>,
    channels: Int, height: Int, width: Int, using rng: inout G
  ) {
    if cropPadding > 0 {
      let dy = Int.random(in: -cropPadding...cropPadding, using: &rng)
      let dx = Int.random(in: -cropPadding...cropPadding, using: &rng)
      if dy != 0 || dx != 0 {
        for i in 0..<(channels * height * width) { scratch[i] = image[i] }
        for c in 0..<channels {
          let base = c * height * width
          for y in 0..<height {
            let sy = y + dy
            for x in 0..<width {
              let sx = x + dx
              image[base + y * width + x] =
                (sy >= 0 && sy < height && sx >= 0 && sx < width) ? scratch[base + sy * width + sx] : 0
            }
          }
        }
      }
    }
    if horizontalFlip && Bool.random(using: &rng) {
      for c in 0..<channels {
        for y in 0..<height {
          let row = c * height * width + y * width
          var l = 0
          var r = width - 1
          while l < r {
            image.swapAt(row + l, row + r)
            l += 1
            r -= 1
          }
        }
      }
    }
    if cutoutLength > 0 {
      let cy = Int.random(in: 0..<height, using: &rng)
      let cx = Int.random(in: 0..<width, using: &rng)
      let y0 = max(cy - cutoutLength / 2, 0)
      let y1 = min(cy + cutoutLength / 2, height)
      let x0 = max(cx - cutoutLength / 2, 0)
      let x1 = min(cx + cutoutLength / 2, width)
      for c in 0..<channels {
        for y in y0..<y1 {
          for x in x0..<x1 { image[c * height * width + y * width + x] = 0 }
        }
      }
    }
  }
}
