/// Multi-objective ranking (Deb et al., NSGA-II, 2002): non-dominated sorting and crowding
/// distance over points whose every coordinate is to be minimised.
public enum Pareto {
  /// Whether `a` dominates `b`: no worse in every objective and better in one.
  public static func dominates(_ a: [Double], _ b: [Double]) -> Bool {
    var better = false
    for (x, y) in zip(a, b) {
      if x > y { return false }
      if x < y { better = true }
    }
    return better
  }

  /// The indices of the points that no other point dominates (the first front), ascending; one
  /// pass over the pairs without storing who dominates whom.
  public static func nonDominated(_ points: [[Double]]) -> [Int] {
    points.indices.filter { i in !points.indices.contains { j in j != i && dominates(points[j], points[i]) } }
  }

  /// The fronts of `points` as indices: the first holds the points nothing dominates, the next
  /// those only the first dominates, and so on. Within a front, indices ascend.
  public static func fronts(_ points: [[Double]]) -> [[Int]] {
    let n = points.count
    var dominatedBy = [Int](repeating: 0, count: n)
    var dominates = [[Int]](repeating: [], count: n)
    for i in 0..<n {
      for j in (i + 1)..<n {
        if Self.dominates(points[i], points[j]) {
          dominates[i].append(j)
          dominatedBy[j] += 1
        } else if Self.dominates(points[j], points[i]) {
          dominates[j].append(i)
          dominatedBy[i] += 1
        }
      }
    }
    var fronts = [[Int]]()
    var current = (0..<n).filter { dominatedBy[$0] == 0 }
    while !current.isEmpty {
      fronts.append(current)
      var next = [Int]()
      for i in current {
        for j in dominates[i] {
          dominatedBy[j] -= 1
          if dominatedBy[j] == 0 { next.append(j) }
        }
      }
      current = next.sorted()
    }
    return fronts
  }

  /// The crowding distance of each point of `front` (aligned with it): per objective, the gap
  /// between its two neighbours divided by the objective's range, summed; the extremes of any
  /// objective get infinity.
  public static func crowding(_ points: [[Double]], front: [Int]) -> [Double] {
    var distance = [Double](repeating: 0, count: front.count)
    guard let dims = front.first.map({ points[$0].count }), front.count > 2 else {
      return [Double](repeating: .infinity, count: front.count)
    }
    for d in 0..<dims {
      let order = front.indices.sorted { points[front[$0]][d] < points[front[$1]][d] }
      let low = points[front[order[0]]][d], high = points[front[order[order.count - 1]]][d]
      distance[order[0]] = .infinity
      distance[order[order.count - 1]] = .infinity
      guard high > low else { continue }
      for k in 1..<(order.count - 1) {
        distance[order[k]] += (points[front[order[k + 1]]][d] - points[front[order[k - 1]]][d]) / (high - low)
      }
    }
    return distance
  }

  /// The `count` best of `points` by NSGA-II's order: whole fronts first, the last front cut by
  /// descending crowding distance (ties by index). Returns indices.
  public static func select(_ points: [[Double]], count: Int) -> [Int] {
    var chosen = [Int]()
    for front in fronts(points) {
      if chosen.count + front.count <= count {
        chosen += front
        continue
      }
      let c = crowding(points, front: front)
      let order = front.indices.sorted { c[$0] != c[$1] ? c[$0] > c[$1] : front[$0] < front[$1] }
      chosen += order.prefix(count - chosen.count).map { front[$0] }
      break
    }
    return chosen
  }
}
