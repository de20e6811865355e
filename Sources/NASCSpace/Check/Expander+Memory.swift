import BigInt
/// Memory-bank blocks (SMASH) → `MemoryBlockIR`.
extension Expander {
  /// The most bank subsets one read or write decision may offer.
  static let maxBankSubsets = 4096

  /// A read or write subset choice: the candidate banks, k, and whether fewer may be kept.
  func subsetChoice(_ node: SyntaxNode?, banks: Int) -> (k: Int, exact: Bool) {
    guard let node else { return (banks, true) }
    return (min(banks, max(1, node["k"]?.int ?? 1)), node["exact"]?.bool ?? true)
  }

  func expandMemory(_ m: SyntaxNode, index: Int, input: Shape, env: Env) -> MemoryBlockIR? {
    guard let banks = m["banks"]?.int, (1...64).contains(banks), let width = int(m["width"], env, what: "width"),
      let count = m["layers"]?.int, (1...1000).contains(count), let opNode = m["op"]
    else { return nil }
    if input.channels != banks * width {
      error(
        .channelMismatch,
        "the memory block's input has \(input.channels) channels but \(banks) banks of \(width) need \(banks * width)",
        m["width"] ?? m, help: "add a transition (e.g. a 1x1 conv) with out: \(banks * width) before the block")
      return nil
    }
    let (rk, rexact) = subsetChoice(m["read"], banks: banks)
    let (wk, wexact) = subsetChoice(m["write"], banks: banks)
    func subsets(_ k: Int, _ exact: Bool) -> BigUInt {
      exact ? BigUInt.binomial(banks, k) : (1...k).reduce(BigUInt.zero) { $0 + BigUInt.binomial(banks, $1) }
    }
    // Every subset a read or write can pick is one candidate of its decision (arch files name
    // it): more than a few thousand is no decision a search can draw from.
    for (key, k, exact) in [("read", rk, rexact), ("write", wk, wexact)] where m[key] != nil {
      let n = subsets(k, exact)
      if n > BigUInt(Self.maxBankSubsets) {
        error(
          .tooLarge,
          "a memory layer's \(key) picks one of \(n) bank subsets; at most \(Self.maxBankSubsets) are supported",
          m[key] ?? m, help: "lower k (or the number of banks), or set exact: true")
        return nil
      }
    }
    var total = BigUInt.one
    var layers: [MemoryLayer] = []
    for l in 0..<count {
      let base = "memory[\(index)].layer[\(l)]"
      var reads = Array(0..<banks), writes = Array(0..<banks)
      var readChoice: String? = nil, writeChoice: String? = nil
      for (key, isRead) in [("read", true), ("write", false)] {
        let id = "\(base).\(key)"
        allChoiceIds.insert(id)
        guard let node = m[key] else { continue }
        if let d = decisions {
          guard let v = d.subsets[id] else {
            diags.append(Diagnostic(.archIncomplete, "the architecture does not decide '\(id)'", at: d.location))
            return nil
          }
          usedDecisions.insert(id)
          let (k, exact) = isRead ? (rk, rexact) : (wk, wexact)
          let ok =
            !v.isEmpty && Set(v).count == v.count && v.allSatisfy { (0..<banks).contains($0) }
            && (exact ? v.count == k : v.count <= k)
          if !ok {
            diags.append(
              Diagnostic(
                .archMismatch,
                "\(id) must name \(exact ? "" : "at most ")\(k) distinct banks of 0..\(banks - 1), got \(v)",
                at: d.location(of: id)))
            return nil
          }
          if isRead { reads = v.sorted() } else { writes = v.sorted() }
        } else {
          register(
            ChoicePoint(
              id: id, kind: .inputs, candidates: (0..<banks).map(String.init), k: isRead ? rk : wk,
              location: node.location))
          if isRead { readChoice = id } else { writeChoice = id }
        }
      }
      let inShape = Shape(reads.count * width, input.height, input.width)
      guard
        let layer = buildLayer(
          opNode, id: "\(base).op", index: l, input: inShape, out: width, stride: 1, env: env,
          residualNode: nil, counted: false, defaultResidual: false)
      else { return nil }
      if layer.shape.height != input.height || layer.shape.width != input.width {
        error(
          .resolutionMismatch,
          "a memory layer's op must keep the \(input.height)x\(input.width) resolution, it gives \(layer.shape)", opNode
        )
        return nil
      }
      if decisions == nil {
        var n = BigUInt(UInt64(layer.candidates.count))
        if m["read"] != nil { n = n * subsets(rk, rexact) }
        if m["write"] != nil { n = n * subsets(wk, wexact) }
        total = total * n
      }
      layers.append(
        MemoryLayer(readChoice: readChoice, writeChoice: writeChoice, reads: reads, writes: writes, layer: layer))
    }
    if decisions == nil { routeCounts.append(total) }
    return MemoryBlockIR(
      banks: banks, width: width, layers: layers, inputShape: input, shape: input, readK: rk, readExact: rexact,
      writeK: wk, writeExact: wexact)
  }
}
