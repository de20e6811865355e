/// Suggests the closest known name for a misspelt one (Damerau-free Levenshtein distance).
public enum DidYouMean {
  /// The closest candidate within a distance of about a third of the name's length, or nil.
  public static func suggest(_ name: String, in candidates: [String]) -> String? {
    let a = Array(name.lowercased())
    var best: (String, Int, Int)? = nil
    for c in candidates.sorted() {
      let b = Array(c.lowercased())
      let d = distance(a, b)
      let prefix = zip(a, b).prefix { $0 == $1 }.count
      if best == nil || d < best!.1 || (d == best!.1 && prefix > best!.2) { best = (c, d, prefix) }
    }
    guard let (c, d, _) = best else { return nil }
    let limit = max(2, a.count / 3)
    return d <= limit && d < a.count ? c : nil
  }

  static func distance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
      cur[0] = i
      for j in 1...b.count {
        cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      swap(&prev, &cur)
    }
    return prev[b.count]
  }

  /// `did you mean 'x'?` or nil.
  public static func help(_ name: String, in candidates: [String]) -> String? {
    suggest(name, in: candidates).map { "did you mean '\($0)'?" }
  }
}
