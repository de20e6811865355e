import BigInt
/// Counts the distinct results of a space's derivation rule (no merging of isomorphic graphs).
enum Cardinality {
  /// C(n, k) for small arguments (saturating).
  static func smallBinomial(_ n: Int, _ k: Int) -> Int {
    if k < 0 || k > n { return 0 }
    var r = 1
    for i in 0..<min(k, n - k) {
      let (p, o) = r.multipliedReportingOverflow(by: n - i)
      if o { return Int.max }
      r = p / (i + 1)
    }
    return r
  }

  /// Elementary symmetric polynomial e_k of `xs` (sum over k-subsets of the products).
  static func elementary(_ xs: [Int], _ k: Int) -> BigUInt {
    var e = [BigUInt](repeating: .zero, count: k + 1)
    e[0] = .one
    for x in xs {
      var j = k
      while j >= 1 {
        e[j] = e[j] + e[j - 1] * BigUInt(UInt64(max(0, x)))
        j -= 1
      }
    }
    return e[k]
  }

  /// One node: keep k of its edges with one derivable op each (top_k_edges), k (input, op) pairs
  /// (top_k_pairs), k independent (input, op) picks (`repeats: true`, ENAS), or every edge.
  static func node(_ n: NodeCountInfo, rule: DeriveRuleKind) -> BigUInt {
    guard let k = n.k else {
      return n.edgeCounts.reduce(BigUInt.one) { $0 * BigUInt(UInt64(max(0, $1))) }
    }
    if n.repeats {
      return BigUInt.power(BigUInt(UInt64(max(0, n.edgeCounts.reduce(0, +)))), k)
    }
    if n.atMost {
      return (1...max(1, k)).reduce(BigUInt.zero) { $0 + elementary(n.edgeCounts, $1) }
    }
    if rule == .topKPairs {
      return BigUInt.binomial(n.edgeCounts.reduce(0, +), k)
    }
    return elementary(n.edgeCounts, k)
  }

  /// The whole space: product over cell templates and choice layers.
  static func count(cells: [String: [NodeCountInfo]], layers: [Int], rule: DeriveRuleKind) -> BigUInt {
    var total = BigUInt.one
    for (_, nodes) in cells.sorted(by: { $0.key < $1.key }) {
      for n in nodes { total = total * node(n, rule: rule) }
    }
    for l in layers { total = total * BigUInt(UInt64(max(0, l))) }
    return total
  }
}
