/// Weight sharing across widths: graphs that differ only in channel counts (the combinations of a
/// width value choice such as SPOS' channel scales) run as slices of one graph at the largest widths.
extension PrimGraph {
  /// The graph with every channel count a weight-shared slice may change erased: input and output
  /// channels of dense (`groups: 1`) and depthwise convolutions, batch-norm and linear widths, the
  /// channels of zero fills and of every value's shape. Graphs with the same signature have the same
  /// primitives wired the same way, so the narrower one runs on the leading channels of the wider
  /// one's weights. Grouped (not depthwise) convolutions keep their widths: their channel-to-group
  /// map changes with the width, so they are never sliced.
  public var widthSignature: String {
    var out = "in\(input.height)x\(input.width)"
    for n in nodes {
      let op: String
      switch n.op {
      case .conv(var c):
        if c.groups == 1 || (c.groups == c.cin && c.groups == c.cout) {
          let depthwise = c.groups > 1
          (c.cin, c.cout, c.groups) = (0, 0, depthwise ? -1 : 1)
        }
        op = "\(c)"
      case .batchNorm(_, let affine): op = "bn(\(affine))"
      case .linear(_, _, let bias): op = "linear(\(bias))"
      default: op = "\(n.op)"
      }
      out += ";\(op)<-\(n.inputs)@\(n.shape.height)x\(n.shape.width)"
    }
    return out + "->\(output)"
  }

  /// The graph whose every width is the largest among `graphs` (which share one `widthSignature`):
  /// the shape a weight-shared module is built at.
  public static func widest(_ graphs: [PrimGraph]) -> PrimGraph {
    precondition(!graphs.isEmpty && graphs.allSatisfy { $0.widthSignature == graphs[0].widthSignature })
    var g = graphs[0]
    g.input.channels = graphs.map(\.input.channels).max()!
    for k in g.nodes.indices {
      let all = graphs.map { $0.nodes[k] }
      g.nodes[k].shape.channels = all.map(\.shape.channels).max()!
      switch g.nodes[k].op {
      case .conv(var c):
        let convs = all.compactMap { if case .conv(let c) = $0.op { return c } else { return nil } }
        let depthwise = c.groups > 1 && c.groups == c.cin
        c.cin = convs.map(\.cin).max()!
        c.cout = convs.map(\.cout).max()!
        if depthwise { c.groups = c.cin }
        g.nodes[k].op = .conv(c)
      case .batchNorm(_, let affine):
        let widths = all.compactMap { if case .batchNorm(let ch, _) = $0.op { return ch } else { return nil } }
        g.nodes[k].op = .batchNorm(channels: widths.max()!, affine: affine)
      case .linear(_, _, let bias):
        let io = all.compactMap { if case .linear(let i, let o, _) = $0.op { return (i, o) } else { return nil } }
        g.nodes[k].op = .linear(inFeatures: io.map(\.0).max()!, outFeatures: io.map(\.1).max()!, bias: bias)
      default: break
      }
    }
    return g
  }
}

extension Candidate {
  /// The weight-sharing groups of a choice's candidates, in order of first member: candidates of one
  /// family (expanded from one entry by value choices) with one `widthSignature` form a group run by
  /// one module at the group's widest graph; every other candidate is a group of its own.
  public static func sharingGroups(_ candidates: [Candidate]) -> [(widest: PrimGraph, members: [Int])] {
    var index = [String: Int]()
    var groups = [(widest: PrimGraph, members: [Int])]()
    for (i, c) in candidates.enumerated() {
      guard let family = c.family else {
        groups.append((c.graph, [i]))
        continue
      }
      let key = "\(family)|\(c.graph.widthSignature)"
      if let g = index[key] {
        groups[g].members.append(i)
      } else {
        index[key] = groups.count
        groups.append((c.graph, [i]))
      }
    }
    for g in groups.indices where groups[g].members.count > 1 {
      groups[g].widest = PrimGraph.widest(groups[g].members.map { candidates[$0].graph })
    }
    return groups
  }
}
