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

  init(units: [Unit], cells: [CellLayout]) {
    self.units = units
    self.cells = cells
  }
}
