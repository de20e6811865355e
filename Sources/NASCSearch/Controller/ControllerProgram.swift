import NASCSpace

/// The decisions an ENAS controller makes, read off a space's `ArchSpace`: per searched cell
/// template, its inputs and, node by node, the input and op picks. A node that selects its inputs
/// (`select: {k: 2, repeats: true}` in the micro cell) makes k input picks then k op picks; a node
/// whose edges are fixed (the recurrent cell's first node) makes one op pick per searched edge.
public struct ControllerProgram: Sendable {
  /// One node's decisions.
  public struct Node: Sendable {
    /// The node index within its cell.
    public var index: Int
    /// The node unit's key (`normal.node2`) when the node picks inputs; nil for fixed edges.
    public var unitKey: String?
    /// The sources it may read (node indices within the cell), for input picks.
    public var inputs: [Int]
    /// Input/op pairs it picks (node units), or 0.
    public var k: Int
    /// Whether its picked inputs are distinct.
    public var distinct: Bool
    /// Its candidate ops as indices into `ControllerProgram.ops` (node units).
    public var ops: [Int]
    /// Per searched fixed edge: the op unit's key and its candidates' indices into `ops`.
    public var edgeOps: [(key: String, ops: [Int])]
  }

  /// One searched cell template.
  public struct Cell: Sendable {
    /// The template name.
    public var template: String
    /// Number of cell inputs (their anchors are zeros).
    public var inputs: Int
    /// The intermediate nodes in order.
    public var nodes: [Node]
  }

  /// The cells in the order the controller samples them (ENAS: normal, then reduction).
  public var cells: [Cell]
  /// Every op name any node can pick, first-seen order (the rows of the op embedding and softmax).
  public var ops: [String]
  /// Per op, whether it has weights of its own (ENAS initialises those ops' logit bias high).
  public var opHasWeights: [Bool]

  /// Reads `space`; `E310` when it decides anything outside searched cells (layers, routes), which
  /// the ENAS controller does not sample.
  public init(_ space: ArchSpace, method: String) throws {
    var ops = [String](), weighted = [Bool]()
    func index(_ name: String, weights: Bool) -> Int {
      if let i = ops.firstIndex(of: name) {
        weighted[i] = weighted[i] || weights
        return i
      }
      ops.append(name)
      weighted.append(weights)
      return ops.count - 1
    }
    var onCells = Set<String>()
    var cells = [Cell]()
    for layout in space.cells {
      var nodes = [Node]()
      for n in layout.nodes {
        var node = Node(index: n, unitKey: nil, inputs: [], k: 0, distinct: true, ops: [], edgeOps: [])
        for u in space.units {
          switch u {
          case .node(let v) where v.template == layout.template && v.node == n:
            node.unitKey = v.key
            node.inputs = v.inputs
            node.k = v.k
            node.distinct = v.distinct
            node.ops = v.ops.enumerated().map { i, name in
              index(name, weights: v.costs.contains { $0.indices.contains(i) && $0[i].params > 0 })
            }
            onCells.insert(v.key)
          case .op(let o):
            guard let e = space.edgeOf[o.key], e.template == layout.template, e.to == n else { continue }
            node.edgeOps.append(
              (o.key, o.candidates.enumerated().map { i, name in index(name, weights: o.costs[i].params > 0) }))
            onCells.insert(o.key)
          default: continue
          }
        }
        nodes.append(node)
      }
      cells.append(Cell(template: layout.template, inputs: layout.inputs, nodes: nodes))
    }
    if let outside = space.units.first(where: { !onCells.contains($0.key) }) {
      throw RunError(
        "E310", "\(method) samples cells, but this space also decides \(outside.key) outside a searched cell",
        help: "search a cell space such as spaces/enas-micro-digits.yaml, or use spos for layer-wise spaces")
    }
    guard !cells.isEmpty else {
      throw RunError("E310", "\(method) needs a space with a searched cell", help: "e.g. spaces/enas-micro-digits.yaml")
    }
    self.cells = cells
    self.ops = ops
    opHasWeights = weighted
  }

  /// Decisions one sample makes (input picks with more than one source, op picks).
  public var decisionCount: Int {
    cells.reduce(0) { total, c in
      total
        + c.nodes.reduce(0) { t, n in
          var pool = n.inputs.count
          var picks = 0
          for _ in 0..<n.k {
            if pool > 1 { picks += 1 }
            if n.distinct { pool -= 1 }
          }
          return t + picks + n.k + n.edgeOps.count
        }
    }
  }
}
