/// Routing graphs (DenseNAS) → `RouteIR`.
extension Expander {
  struct BlockSpec {
    var shape: Shape
    var stage: Int
    var layers: Int
    var node: SyntaxNode
  }

  func expandRoute(_ r: SyntaxNode, input: Shape, networkInput: Shape, env: Env) -> RouteIR? {
    guard let blockNodes = r["blocks"]?.items, !blockNodes.isEmpty else { return nil }
    let fanOut = max(1, r["fan_out"]?.int ?? 4)
    let maxStep = max(0, r["max_stage_step"]?.int ?? 1)
    var blocks = [BlockSpec(shape: input, stage: 0, layers: 0, node: r)]
    for b in blockNodes {
      guard let out = int(b["out"], env, what: "out"), let scale = b["scale"]?.int, scale >= 1,
        let stage = b["stage"]?.int
      else { return nil }
      let h = networkInput.height / scale, w = networkInput.width / scale
      if h < 1 || w < 1 {
        error(
          .resolutionTooSmall, "a \(networkInput.height)x\(networkInput.width) input downsampled by \(scale) is empty",
          b["scale"] ?? b)
        return nil
      }
      let layers = b["layers"]?.int ?? 0
      if layers > 1000 {
        error(.tooLarge, "\(layers) stacked layers in one block; at most 1000 are supported", b["layers"] ?? b)
        return nil
      }
      blocks.append(BlockSpec(shape: Shape(out, h, w), stage: stage, layers: max(0, layers), node: b))
    }
    let final = blocks.count - 1
    // The connection rule.
    var conns: [(from: Int, to: Int, stride: Int)] = []
    for i in 0..<final {
      var n = 0
      for j in (i + 1)...final where n < fanOut {
        let (a, b) = (blocks[i], blocks[j])
        guard b.stage >= a.stage, b.stage <= a.stage + maxStep else { continue }
        guard b.shape.height > 0, a.shape.height % b.shape.height == 0 else { continue }
        let ratio = a.shape.height / b.shape.height
        guard ratio == 1 || ratio == 2 else { continue }
        conns.append((i, j, ratio))
        n += 1
      }
    }
    // Reachability: forward from block 0, backward from the final block.
    var fwd = Array(repeating: false, count: blocks.count)
    fwd[0] = true
    for (i, j, _) in conns where fwd[i] { fwd[j] = true }
    if !fwd[final] {
      error(
        .noRoute, "no route reaches the final block from the input", r["blocks"] ?? r,
        help:
          "check the blocks' stages and scales: a connection advances at most \(maxStep) stage(s) and halves the resolution at most once"
      )
      return nil
    }
    var bwd = Array(repeating: false, count: blocks.count)
    bwd[final] = true
    for (i, j, _) in conns.reversed() where bwd[j] { bwd[i] = true }
    for (k, b) in blocks.enumerated() where k > 0 && !(fwd[k] && bwd[k]) {
      warn(.unusedNode, "block \(k) lies on no route from the input to the final block", b.node)
    }
    conns = conns.filter { fwd[$0.from] && bwd[$0.to] && bwd[$0.from] }
    // A decided path.
    let pathId = "route.path"
    allChoiceIds.insert(pathId)
    var onPath: Set<Int>? = nil
    if let d = decisions {
      guard let path = d.paths[pathId] else {
        diags.append(Diagnostic(.archIncomplete, "the architecture does not decide '\(pathId)'", at: d.location))
        return nil
      }
      usedDecisions.insert(pathId)
      let ok =
        path.first == 0 && path.last == final
        && zip(path, path.dropFirst()).allSatisfy { p in conns.contains { $0.from == p.0 && $0.to == p.1 } }
      if !ok {
        diags.append(
          Diagnostic(
            .archMismatch, "route.path \(path) is not a route from block 0 to block \(final)",
            at: d.location(of: pathId),
            help: "consecutive blocks must be connected by the connection rule"))
        return nil
      }
      onPath = Set(path)
      conns = zip(path, path.dropFirst()).compactMap { p in conns.first { $0.from == p.0 && $0.to == p.1 } }
    } else {
      // One β vector per block over its outgoing connections.
      for k in 0..<final {
        let targets = conns.filter { $0.from == k }.map { String($0.to) }
        guard !targets.isEmpty else { continue }
        register(
          ChoicePoint(
            id: "route.block[\(k)].next", kind: .path, candidates: targets, k: 1,
            location: k == 0 ? r.location : blocks[k].node.location))
      }
    }
    // Heads and stacked layers.
    var edges: [RouteEdge] = []
    var headCounts: [Int] = []
    for (i, j, s) in conns {
      let isFinal = j == final
      guard let refNode = isFinal ? (r["final"] ?? r["head"]) : r["head"] else {
        error(.missingKey, "the route needs a '\(isFinal ? "final" : "head")' op", r)
        return nil
      }
      guard
        let head = buildLayer(
          refNode, id: "route.edge[\(i)→\(j)].op", index: j, input: blocks[i].shape,
          out: blocks[j].shape.channels, stride: s, env: env, residualNode: nil, counted: false, defaultResidual: false)
      else { return nil }
      if head.shape.height != blocks[j].shape.height {
        error(
          .resolutionMismatch, "the head op from block \(i) gives \(head.shape), block \(j) is \(blocks[j].shape)",
          refNode)
        return nil
      }
      edges.append(RouteEdge(from: i, to: j, stride: s, head: head))
      headCounts.append(head.choice == nil ? 1 : head.candidates.filter { !deriveExclude.contains($0.name) }.count)
    }
    var outBlocks: [RouteBlock] = []
    var stackCounts = Array(repeating: BigUInt.one, count: blocks.count)
    for (k, b) in blocks.enumerated() where onPath?.contains(k) ?? (fwd[k] && bwd[k]) {
      var layers: [LayerIR] = []
      if b.layers > 0 {
        guard let stack = r["stack"] else {
          error(.missingKey, "block \(k) has stacked layers but the route has no 'stack' op", b.node)
          return nil
        }
        for l in 0..<b.layers {
          guard
            let layer = buildLayer(
              stack, id: "route.block[\(k)].layer[\(l)].op", index: l, input: b.shape, out: b.shape.channels,
              stride: 1, env: env, residualNode: nil, counted: false, defaultResidual: false)
          else { return nil }
          layers.append(layer)
          if layer.choice != nil {
            stackCounts[k] =
              stackCounts[k] * BigUInt(UInt64(layer.candidates.filter { !deriveExclude.contains($0.name) }.count))
          }
        }
      }
      let targets = conns.filter { $0.from == k }.map(\.to)
      outBlocks.append(
        RouteBlock(
          index: k, shape: b.shape, stage: b.stage, layers: layers,
          next: decisions == nil && !targets.isEmpty ? "route.block[\(k)].next" : nil, targets: targets))
    }
    if decisions == nil {
      // Paths counted by dynamic programming over the DAG (blocks are in topological order).
      var ways = Array(repeating: BigUInt.zero, count: blocks.count)
      ways[0] = .one
      for j in 1...final {
        for (e, h) in zip(edges, headCounts) where e.to == j {
          ways[j] = ways[j] + ways[e.from] * BigUInt(UInt64(h)) * stackCounts[j]
        }
      }
      routeCounts.append(ways[final])
    }
    return RouteIR(
      pathChoice: decisions == nil ? pathId : nil, blocks: outBlocks, edges: edges, inputShape: input,
      shape: blocks[final].shape)
  }
}
