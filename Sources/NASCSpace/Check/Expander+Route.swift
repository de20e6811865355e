import BigInt
/// Routing graphs (DenseNAS) → `RouteIR`.
extension Expander {
  struct BlockSpec {
    var shape: Shape
    var stage: Int
    var layers: Int
    var node: SyntaxNode
  }

  /// The connection rule, in words, for hints.
  static func connectionRule(fanOut: Int, maxStep: Int) -> String {
    "block i connects to a later block j when stage(i) <= stage(j) <= stage(i) + \(maxStep) (max_stage_step) and "
      + "j's resolution is the same as i's or half of it (a head layer has stride 1 or 2); "
      + "each block connects to at most its first \(fanOut) (fan_out) such blocks"
  }

  func expandRoute(_ r: SyntaxNode, input: Shape, networkInput: Shape, env: Env) -> RouteIR? {
    guard let blockNodes = r["blocks"]?.items, !blockNodes.isEmpty else { return nil }
    // Ranges and types the schema check reports (E011/E013) stop the expansion without a second report,
    // rather than being clamped into a different graph.
    var ok = true
    func setting(_ key: String, default def: Int, min lo: Int, in node: SyntaxNode) -> Int? {
      guard let n = node[key] else { return def }
      guard let v = n.int, v >= lo else { return nil }
      return v
    }
    guard let fanOut = setting("fan_out", default: 4, min: 1, in: r),
      let maxStep = setting("max_stage_step", default: 1, min: 0, in: r)
    else { return nil }
    var blocks = [BlockSpec(shape: input, stage: 0, layers: 0, node: r)]
    // Each block's scale (block 0's where the stem's downsampling is whole) and whether it is valid.
    var scales: [Int?] = [
      input.height > 0 && networkInput.height % input.height == 0 ? networkInput.height / input.height : nil
    ]
    var valid = [true]
    for (index, b) in blockNodes.enumerated() {
      let k = index + 1
      blocks.append(BlockSpec(shape: input, stage: 0, layers: 0, node: b))
      scales.append(nil)
      valid.append(false)
      guard b["scale"] != nil, b["stage"] != nil, let scale = setting("scale", default: 1, min: 1, in: b),
        let stage = setting("stage", default: 0, min: 0, in: b),
        let layers = setting("layers", default: 0, min: 0, in: b)
      else {
        ok = false
        continue
      }
      guard let out = int(b["out"], env, what: "out", min: Int.min) else {
        ok = false
        continue
      }
      if out < 1 {
        error(
          .badValue, "out must be at least 1, got \(out)", b["out"] ?? b,
          help: "out is block \(k)'s width, the channels its head layer produces")
        ok = false
        continue
      }
      let h = networkInput.height / scale, w = networkInput.width / scale
      if h < 1 || w < 1 {
        error(
          .resolutionTooSmall, "a \(networkInput.height)x\(networkInput.width) input downsampled by \(scale) is empty",
          b["scale"] ?? b)
        ok = false
        continue
      }
      if layers > 1000 {
        error(.tooLarge, "\(layers) stacked layers in one block; at most 1000 are supported", b["layers"] ?? b)
        ok = false
        continue
      }
      blocks[k] = BlockSpec(shape: Shape(out, h, w), stage: stage, layers: layers, node: b)
      scales[k] = scale
      valid[k] = true
      // Stages and scales never decrease along the blocks.
      guard valid[k - 1] else { continue }
      let prev = blocks[k - 1]
      if let sn = b["stage"], stage < prev.stage {
        error(
          .outOfRange, "block \(k)'s stage \(stage) is below block \(k - 1)'s stage \(prev.stage)", sn,
          help:
            "stages never decrease along the blocks: give block \(k) stage \(prev.stage) or more, or list the blocks in stage order"
        )
        ok = false
      }
      if let sn = b["scale"] {
        if k > 1, let ps = scales[k - 1], scale < ps {
          error(
            .outOfRange, "block \(k)'s scale \(scale) is below block \(k - 1)'s scale \(ps)", sn,
            help:
              "the blocks run from high to low resolution (a connection never upsamples): give block \(k) scale \(ps) or more, or list the blocks in scale order"
          )
          ok = false
        } else if k == 1, h > input.height {
          error(
            .outOfRange,
            "block 1 (\(h)x\(w), scale \(scale)) is larger than the route's input (\(input.height)x\(input.width))", sn,
            help:
              "a connection never upsamples: "
              + (scales[0].map {
                "give block 1 scale \($0) or more (the layers before the route downsample the \(networkInput.height)x\(networkInput.width) input by \($0))"
              } ?? "give block 1 a scale that keeps it at most \(input.height)x\(input.width)")
          )
          ok = false
        }
      }
    }
    guard ok else { return nil }
    let final = blocks.count - 1
    func allowed(_ a: BlockSpec, _ b: BlockSpec) -> Int? {
      guard b.stage >= a.stage, b.stage <= a.stage + maxStep else { return nil }
      guard b.shape.height > 0, a.shape.height % b.shape.height == 0 else { return nil }
      let ratio = a.shape.height / b.shape.height
      return ratio == 1 || ratio == 2 ? ratio : nil
    }
    // Every block needs an earlier block that may connect to it (fan_out aside); stages and scales being
    // ordered, a block without one cuts every later block, the final one included, off the input.
    // Only the first of a run of such blocks is reported: one whose candidate feeders are all unfed
    // itself follows from an earlier report.
    var fed = Array(repeating: true, count: blocks.count)
    for k in 1...final {
      let b = blocks[k]
      guard !(0..<k).reversed().contains(where: { allowed(blocks[$0], b) != nil }) else { continue }
      fed[k] = false
      ok = false
      let feeders = (0..<k).filter { b.stage >= blocks[$0].stage && b.stage <= blocks[$0].stage + maxStep }
      guard feeders.isEmpty ? fed[k - 1] : feeders.contains(where: { fed[$0] }) else { continue }
      let rule = Self.connectionRule(fanOut: fanOut, maxStep: maxStep)
      guard let nearest = feeders.last(where: { fed[$0] }) else {
        let p = blocks[k - 1], skip = b.stage - p.stage
        let prevName = k == 1 ? "the route's input (stage 0)" : "block \(k - 1)'s stage \(p.stage)"
        var fix =
          maxStep == 0
          ? "give block \(k) stage \(p.stage)" : "give block \(k) a stage from \(p.stage) to \(p.stage + maxStep)"
        if maxStep > 0 {
          let between = Array(stride(from: p.stage + maxStep, to: b.stage, by: maxStep))
          fix +=
            between.count == 1
            ? ", add a block of stage \(between[0]) before it"
            : ", add blocks of stages \(between.map(String.init).joined(separator: ", ")) before it"
        }
        error(
          .noRoute,
          "block \(k)'s stage \(b.stage) is \(skip) stage\(skip == 1 ? "" : "s") after \(prevName); a connection advances at most \(maxStep) stage\(maxStep == 1 ? "" : "s") (max_stage_step), so no block can connect to block \(k)",
          b.node["stage"] ?? b.node, help: "\(fix), or set max_stage_step: \(skip); \(rule)")
        continue
      }
      let n = blocks[nearest]
      let ratio = n.shape.height % b.shape.height == 0 ? n.shape.height / b.shape.height : nil
      let size = "\(b.shape.height)x\(b.shape.width)", nsize = "\(n.shape.height)x\(n.shape.width)"
      let what =
        if let ratio {
          "block \(k) is \(ratio)x smaller than every block that could feed it; a head layer has stride 1 or 2"
        } else {
          "block \(k) (\(size)) is neither the size nor half the size of any block that could feed it; a head layer has stride 1 or 2"
        }
      let nearestName = nearest == 0 ? "block 0 (the route's input)" : "block \(nearest)"
      var fix = "the nearest block that could feed block \(k) is \(nearestName), \(nsize), and block \(k) is \(size)"
      if let ns = scales[nearest] {
        fix += ": give block \(k) scale \(ns) or \(2 * ns)"
        if let ratio, ratio > 2, ratio & (ratio - 1) == 0 {
          let steps = sequence(first: 2 * ns) { $0 * 2 }.prefix { $0 < ns * ratio }.map(String.init)
          fix += ", or add block\(steps.count > 1 ? "s" : "") of scale \(steps.joined(separator: ", ")) before it"
        }
      }
      error(.noRoute, what, b.node["scale"] ?? b.node, help: "\(fix); \(rule)")
    }
    guard ok else { return nil }
    // The connection rule.
    var conns: [(from: Int, to: Int, stride: Int)] = []
    for i in 0..<final {
      var n = 0
      for j in (i + 1)...final where n < fanOut {
        guard let ratio = allowed(blocks[i], blocks[j]) else { continue }
        conns.append((i, j, ratio))
        n += 1
      }
    }
    // Reachability: forward from block 0, backward from the final block. With every block fed above,
    // block j - 1 always connects to block j, so these are safety nets.
    var fwd = Array(repeating: false, count: blocks.count)
    fwd[0] = true
    for (i, j, _) in conns where fwd[i] { fwd[j] = true }
    if !fwd[final] {
      let first = (1...final).first { !fwd[$0] } ?? final
      error(
        .noRoute, "no route reaches the final block from the input: no connection reaches block \(first)",
        blocks[first].node,
        help: Self.connectionRule(fanOut: fanOut, maxStep: maxStep))
      return nil
    }
    var bwd = Array(repeating: false, count: blocks.count)
    bwd[final] = true
    for (i, j, _) in conns.reversed() where bwd[j] { bwd[i] = true }
    for (k, b) in blocks.enumerated() where k > 0 && !(fwd[k] && bwd[k]) {
      warn(
        .unusedNode, "block \(k) lies on no route from the input to the final block", b.node,
        help: fwd[k]
          ? "no connection leads from block \(k) towards the final block; \(Self.connectionRule(fanOut: fanOut, maxStep: maxStep))"
          : "no connection reaches block \(k) from the input; \(Self.connectionRule(fanOut: fanOut, maxStep: maxStep))")
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
      // Decisions of heads and stacked layers off the path are ignored, with a warning.
      var offPath = conns.filter { c in !zip(path, path.dropFirst()).contains { $0 == (c.from, c.to) } }.map {
        "route.edge[\($0.from)→\($0.to)].op"
      }
      for (k, b) in blocks.enumerated() where !path.contains(k) {
        offPath += (0..<b.layers).map { "route.block[\(k)].layer[\($0)].op" }
      }
      for id in offPath where d.ops[id] != nil {
        allChoiceIds.insert(id)
        usedDecisions.insert(id)
        diags.append(
          Diagnostic(
            .suspicious, "'\(id)' is not on route.path \(path): the decision is ignored", at: d.location(of: id),
            help: "remove it, or change route.path to run through it", severity: .warning))
      }
      conns = zip(path, path.dropFirst()).compactMap { p in conns.first { $0.from == p.0 && $0.to == p.1 } }
    } else {
      // One β vector per block over its outgoing connections (where it has a choice).
      for k in 0..<final {
        let targets = conns.filter { $0.from == k }.map { String($0.to) }
        guard targets.count >= 2 else { continue }
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
      headCounts.append(head.choice == nil ? 1 : head.candidates.filter { !deriveExclude.contains($0.opName) }.count)
    }
    var outBlocks: [RouteBlock] = []
    var stackCounts = Array(repeating: BigUInt.one, count: blocks.count)
    for (k, b) in blocks.enumerated() where onPath?.contains(k) ?? (fwd[k] && bwd[k]) {
      var layers: [LayerIR] = []
      if b.layers > 0 {
        guard let stack = r["stack"] else {
          error(
            .missingKey, "block \(k) has stacked layers but the route has no 'stack' op", b.node,
            help: "add 'stack:' (an op or a choice) to the route, or remove block \(k)'s 'layers'")
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
              stackCounts[k] * BigUInt(UInt64(layer.candidates.filter { !deriveExclude.contains($0.opName) }.count))
          }
        }
      }
      let targets = conns.filter { $0.from == k }.map(\.to)
      outBlocks.append(
        RouteBlock(
          index: k, shape: b.shape, stage: b.stage, layers: layers,
          next: decisions == nil && targets.count >= 2 ? "route.block[\(k)].next" : nil, targets: targets))
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
