import NASCTensor

extension ArchSpace {
  /// `a` with each unit redrawn uniformly (as `sample` draws it) with probability `p`, independently:
  /// SPOS' mutation (a redrawn unit may come out as it was).
  public func resample(_ a: Architecture, probability p: Double, rng: inout RNG) -> Architecture {
    var d = a.decisions
    for u in units where rng.nextDouble() < p {
      let one = ArchSpace(units: [u], cells: [])
      let fresh = one.sample(rng: &rng)
      d[u.key] = fresh.decisions[u.key]
    }
    return Architecture(decisions: d)
  }

  /// The least and the most MACs the decided candidates can add up to (for a node unit, k times its
  /// cheapest and its dearest pair).
  public var macsRange: ClosedRange<Int> {
    var low = 0, high = 0
    for u in units {
      switch u {
      case .op(let o):
        low += o.costs.map(\.macs).min() ?? 0
        high += o.costs.map(\.macs).max() ?? 0
      case .node(let n):
        let all = n.costs.flatMap { $0.map(\.macs) }
        low += n.k * (all.min() ?? 0)
        high += n.k * (all.max() ?? 0)
      }
    }
    return low...high
  }

  init(units: [Unit], cells: [CellLayout]) {
    self.units = units
    self.cells = cells
  }
}
