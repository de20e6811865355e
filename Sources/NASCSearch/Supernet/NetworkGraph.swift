import NASCSpace
import NASCTensor

/// A decided network in evaluation mode as one flat dataflow graph of primitives: what exporters
/// (ONNX, generated code) translate. Value 0 is the network's input (NCHW, any batch size); node
/// `k` produces value `k + 1`. Dropout and drop path are absent (evaluation), as is the
/// auxiliary head.
public struct NetworkGraph: Sendable {
  /// One operation of the flat graph.
  public struct Node: Sendable {
    /// What it computes.
    public var op: Op
    /// The values it reads.
    public var inputs: [Int]
    /// The shape of one image of its output.
    public var shape: Shape
    /// The checkpoint path of its layer (`cells3.node2_edge0_from1.sep_conv_3x3.1_conv`): its
    /// tensors are `PATH.weight`, `PATH.bias`, `PATH.running_mean`, `PATH.running_var`. Empty for
    /// ops without tensors.
    public var layer: String
    /// Where in the network it sits, for names and doc strings (`cells3/node2/sep_conv_3x3`).
    public var scope: String
  }

  /// What a node computes: one IR primitive, or a multiplication by a constant (the mean of a
  /// cell's nodes).
  public enum Op: Sendable {
    /// One IR primitive.
    case primitive(Primitive)
    /// `x · factor`.
    case scale(Float)
  }

  /// The shape of one input image.
  public var input: Shape
  /// The operations, in an order where every input comes first.
  public var nodes: [Node]
  /// The value that is the network's output (the logits).
  public var output: Int
  /// Every tensor the nodes name (weights and batch-norm statistics), by checkpoint name.
  public var tensors: [String: Tensor]
}

extension SupernetModel {
  /// The network as a flat graph of primitives, with its current weights and statistics. Throws
  /// `LoweringError` for a network that is not decided (an edge with several candidates, a
  /// partial-channel edge, a width choice, an undecided route) or has parts no exporter covers
  /// (superkernels, recurrent primitives).
  public func graph() throws -> NetworkGraph {
    var builder = NetworkGraphBuilder(input: network.input)
    let s = try builder.add(stem, input: 0, layer: "stem")
    var outputs = [Int](repeating: 0, count: items.count)
    var previous = s
    for (i, item) in items.enumerated() {
      let y: Int
      switch item {
      case .cell(let c):
        let ins = c.cell.inputs.map { $0.source < 0 ? s : outputs[$0.source] }
        y = try builder.add(c, inputs: ins, layer: "cells\(i)")
      case .layer(let m, let l):
        guard l.variants.isEmpty else { throw LoweringError(description: "layer \(l.layerIndex) has width variants") }
        let (index, cand) = try Self.only(m, where: "layer \(l.layerIndex)")
        if l.residual && cand.isZero {
          y = previous
        } else {
          let out = try builder.add(cand, input: previous, layer: "layers\(i).\(m.registeredName(index))")
          y = l.residual ? builder.append(.primitive(.add), [out, previous], shape: l.shape, scope: "layers\(i)") : out
        }
      case .fixed(let f, let variants):
        guard variants.isEmpty else { throw LoweringError(description: "block \(i) has width variants") }
        y = try builder.add(f, input: previous, layer: "blocks\(i)")
      case .superkernel:
        throw LoweringError(description: "layer \(i) is a superkernel (a search-time module)")
      case .route(let r):
        y = try builder.add(r, input: previous, layer: "route\(i)")
      case .memory:
        throw LoweringError(description: "item \(i) is a memory-bank block, which the exporters do not cover yet")
      }
      outputs[i] = y
      previous = y
    }
    guard network.widthVariants[items.count]?.isEmpty ?? true else {
      throw LoweringError(description: "the head has width variants")
    }
    builder.graph.output = try builder.add(head, input: previous, layer: "head")
    let state = stateDict()
    for node in builder.graph.nodes where !node.layer.isEmpty {
      for leaf in ["weight", "bias", "running_mean", "running_var"] {
        if let t = state["\(node.layer).\(leaf)"] { builder.graph.tensors["\(node.layer).\(leaf)"] = t }
      }
    }
    return builder.graph
  }

  /// The only candidate of a decided edge, with its index.
  static func only(_ m: MixedEdgeModule, where place: String) throws -> (Int, PrimGraphModule) {
    guard m.candidates.count == 1 else {
      throw LoweringError(
        description: "\(place) still has \(m.candidates.count) candidates (\(m.names.joined(separator: ", ")))")
    }
    guard m.partialChannels == nil else {
      throw LoweringError(description: "\(place) is a partial-channel (PC-DARTS search) edge")
    }
    return (0, m.candidates[0])
  }
}

/// Appends the primitives of modules to a `NetworkGraph`.
struct NetworkGraphBuilder {
  var graph: NetworkGraph

  init(input: Shape) { graph = NetworkGraph(input: input, nodes: [], output: 0, tensors: [:]) }

  /// Appends one node; returns its value.
  mutating func append(_ op: NetworkGraph.Op, _ inputs: [Int], shape: Shape, layer: String = "", scope: String) -> Int {
    graph.nodes.append(.init(op: op, inputs: inputs, shape: shape, layer: layer, scope: scope))
    return graph.nodes.count
  }

  /// Appends the primitives of `module` reading value `input`; returns its output value. `layer` is
  /// the module's checkpoint path.
  mutating func add(_ module: PrimGraphModule, input: Int, layer: String) throws -> Int {
    let g = module.graph
    var values = [input]
    for (k, node) in g.nodes.enumerated() {
      switch node.op {
      case .embedding, .tiedLinear:
        throw LoweringError(description: "recurrent-cell primitives (\(node.op.name)) are not exported in this version")
      case .dropout, .identity:
        values.append(values[node.inputs[0]])
        continue
      default: break
      }
      let path: String
      switch node.op {
      case .conv: path = "\(layer).\(k)_conv"
      case .batchNorm: path = "\(layer).\(k)_bn"
      case .linear: path = "\(layer).\(k)_linear"
      default: path = ""
      }
      values.append(
        append(
          .primitive(node.op), node.inputs.map { values[$0] }, shape: node.shape, layer: path,
          scope: layer.replacingOccurrences(of: ".", with: "/")))
    }
    return values[g.output]
  }

  /// Appends a decided route (one path through the blocks) reading block 0's value `input`;
  /// returns the final block's value.
  mutating func add(_ route: RouteModule, input: Int, layer: String) throws -> Int {
    if let id = route.route.pathChoice ?? route.route.blocks.compactMap(\.next).first {
      throw LoweringError(description: "the route still chooses its path (\(id))")
    }
    var outputs = [Int?](repeating: nil, count: route.route.blocks.count)
    outputs[0] = input
    for (k, b) in route.route.blocks.enumerated() where k > 0 {
      var outs = [Int]()
      for (e, source) in route.incoming[k] {
        guard let x = outputs[source] else { continue }
        let edge = route.route.edges[e]
        let (index, cand) = try SupernetModel.only(route.heads[e], where: "connection \(edge.from)→\(edge.to)")
        let name = "\(layer).head\(edge.from)_\(edge.to).\(route.heads[e].registeredName(index))"
        outs.append(try add(cand, input: x, layer: name))
      }
      guard !outs.isEmpty else { continue }
      var y =
        outs.count == 1 ? outs[0] : append(.primitive(.add), outs, shape: b.shape, scope: "\(layer)/block\(b.index)")
      for (l, m) in route.stacks[k].enumerated() {
        let (index, cand) = try SupernetModel.only(m, where: "block \(b.index) layer \(l)")
        y = try add(cand, input: y, layer: "\(layer).block\(b.index)_layer\(l).\(m.registeredName(index))")
      }
      outputs[k] = y
    }
    guard let out = outputs[route.route.blocks.count - 1] else {
      throw LoweringError(description: "no connection reaches the final block")
    }
    return out
  }

  /// Appends a decided cell reading `inputs` (one value per cell input); returns its output value.
  mutating func add(_ cell: CellModule, inputs: [Int], layer: String) throws -> Int {
    let c = cell.cell
    var states = [Int](repeating: 0, count: c.inputs.count + c.nodes.count)
    for (i, x) in inputs.enumerated() { states[i] = try add(cell.preprocess[i], input: x, layer: "\(layer).pre\(i)") }
    for (n, node) in c.nodes.enumerated() {
      guard node.inputsChoice == nil else {
        throw LoweringError(description: "node \(node.index) of \(layer) still chooses its inputs")
      }
      var outs = [Int]()
      for (j, edge) in node.edges.enumerated() {
        let m = cell.edges[n][j]
        let place = "\(layer) edge \(edge.from)→\(node.index)"
        let (index, cand) = try SupernetModel.only(m, where: place)
        let name = "\(layer).node\(node.index)_edge\(j)_from\(edge.from).\(m.registeredName(index))"
        outs.append(try add(cand, input: states[edge.from], layer: name))
      }
      guard !outs.isEmpty else { throw LoweringError(description: "node \(node.index) of \(layer) has no edge") }
      let scope = "\(layer)/node\(node.index)"
      var value = outs.count == 1 ? outs[0] : append(.primitive(.add), outs, shape: node.shape, scope: scope)
      if node.combine == .mean && outs.count > 1 {
        value = append(.scale(1 / Float(outs.count)), [value], shape: node.shape, scope: scope)
      }
      states[node.index] = value
    }
    let picked = c.outputNodes.map { states[$0] }
    var combined: Int
    switch c.outputMode {
    case "mean", "mean_loose_ends":
      combined = picked.count == 1 ? picked[0] : append(.primitive(.add), picked, shape: c.shape, scope: layer)
      if picked.count > 1 {
        combined = append(.scale(1 / Float(picked.count)), [combined], shape: c.shape, scope: layer)
      }
    case "last": combined = picked[picked.count - 1]
    default:
      combined = picked.count == 1 ? picked[0] : append(.primitive(.concat), picked, shape: c.shape, scope: layer)
    }
    if let post = cell.postprocess { combined = try add(post, input: combined, layer: "\(layer).post") }
    return combined
  }
}
