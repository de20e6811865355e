/// How well one scoring ranks architectures as another does: Kendall's τ-b, Spearman's ρ (both
/// with ties) and the overlap of the two top-k sets.
public struct RankCorrelation: Codable, Equatable, Sendable {
  /// Kendall τ-b: (concordant − discordant) / √((n0 − tiesX)(n0 − tiesY)), n0 = n(n − 1)/2.
  public var kendallTau: Double
  /// Spearman ρ: Pearson correlation of the (tie-averaged) ranks.
  public var spearmanRho: Double
  /// k of the top-k overlap.
  public var k: Int
  /// |top-k by x ∩ top-k by y| / k (higher scores rank first; ties by index).
  public var topKOverlap: Double
  /// Pairs.
  public var count: Int

  /// The correlations of `x` and `y` (same length, at least 2).
  public init(_ x: [Double], _ y: [Double], k: Int) {
    precondition(x.count == y.count && x.count >= 2, "rank correlation needs two equal lists of 2 or more")
    count = x.count
    kendallTau = Self.kendall(x, y)
    spearmanRho = Self.pearson(Self.ranks(x), Self.ranks(y))
    let kk = max(1, min(k, x.count))
    self.k = kk
    let top = { (v: [Double]) in Set(v.indices.sorted { v[$0] != v[$1] ? v[$0] > v[$1] : $0 < $1 }.prefix(kk)) }
    topKOverlap = Double(top(x).intersection(top(y)).count) / Double(kk)
  }

  static func kendall(_ x: [Double], _ y: [Double]) -> Double {
    var concordant = 0.0, discordant = 0.0, tiesX = 0.0, tiesY = 0.0
    for i in x.indices {
      for j in (i + 1)..<x.count {
        let dx = x[i] - x[j], dy = y[i] - y[j]
        if dx == 0 { tiesX += 1 }
        if dy == 0 { tiesY += 1 }
        if dx == 0 || dy == 0 { continue }
        if (dx > 0) == (dy > 0) { concordant += 1 } else { discordant += 1 }
      }
    }
    let n0 = Double(x.count * (x.count - 1) / 2)
    let denominator = ((n0 - tiesX) * (n0 - tiesY)).squareRoot()
    return denominator == 0 ? .nan : (concordant - discordant) / denominator
  }

  /// 1-based ranks, ties sharing the mean of their positions.
  static func ranks(_ v: [Double]) -> [Double] {
    let order = v.indices.sorted { v[$0] < v[$1] }
    var r = [Double](repeating: 0, count: v.count)
    var i = 0
    while i < order.count {
      var j = i
      while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
      for k in i...j { r[order[k]] = Double(i + j) / 2 + 1 }
      i = j + 1
    }
    return r
  }

  static func pearson(_ a: [Double], _ b: [Double]) -> Double {
    let n = Double(a.count)
    let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for (u, v) in zip(a, b) {
      sab += (u - ma) * (v - mb)
      saa += (u - ma) * (u - ma)
      sbb += (v - mb) * (v - mb)
    }
    return saa == 0 || sbb == 0 ? .nan : sab / (saa * sbb).squareRoot()
  }
}
