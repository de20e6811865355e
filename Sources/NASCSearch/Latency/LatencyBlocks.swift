import NASCSpace

/// One block a latency table times: a stem, a layer candidate at one width, a fixed block or a
/// head, with the identity shortcut around it when the layer has one.
public struct LatencyBlock: Sendable, Hashable {
  /// The table key: the block's primitives, wiring and input shape (see `PrimGraph.latencyKey`).
  public var key: String
  /// A readable name (`stem`, `layer[3].op = 3x3_MBConv6`, `feature_mix`, `head`).
  public var name: String
  /// The primitives it runs.
  public var graph: PrimGraph
  /// Whether the input is added to its output.
  public var residual: Bool
}

extension PrimGraph {
  /// The latency-table key of this graph run on its input (with the identity shortcut when
  /// `residual`): the input shape, then every primitive as `--dump ir` writes it (batch norms
  /// without their affine flag, which a supernet and a decided network may differ in), with its
  /// inputs where it does not read the previous node, e.g.
  /// `in 16x8x8 | conv 16->48 k1x1 s1 p0 | bn 48 | relu6 | conv 48->48 k3x3 s1 p1 g48 | ... | +skip`.
  public func latencyKey(residual: Bool) -> String {
    var parts = ["in \(input)"]
    for (i, n) in nodes.enumerated() {
      var op: String
      if case .batchNorm(let c, _) = n.op { op = "bn \(c)" } else { op = IRDump.describe(n.op) }
      if n.inputs != [i] { op += " <- " + n.inputs.map { $0 == 0 ? "in" : "%\($0)" }.joined(separator: ",") }
      parts.append(op)
    }
    if output != nodes.count { parts.append("out %\(output)") }
    if residual { parts.append("+skip") }
    return parts.joined(separator: " | ")
  }
}

extension NetworkIR {
  /// Every block a latency table needs for this network: the stem, each layer candidate at every
  /// width it can run at, each fixed block at every input width, each head and stacked-layer
  /// candidate of a route, and the head. `nil` with the reason
  /// when the network has items a table cannot time block by block (cells, memory banks).
  public func latencyBlocks() -> (blocks: [LatencyBlock], unsupported: String?) {
    var blocks = [LatencyBlock]()
    func add(_ name: String, _ g: PrimGraph, residual: Bool = false) {
      let key = g.latencyKey(residual: residual)
      if !blocks.contains(where: { $0.key == key }) {
        blocks.append(LatencyBlock(key: key, name: name, graph: g, residual: residual))
      }
    }
    add("stem", stem)
    for (i, item) in items.enumerated() {
      switch item {
      case .layer(let l):
        let label = l.choice ?? "layer[\(l.layerIndex)]"
        if l.variants.isEmpty {
          for c in l.candidates where !c.graph.isZero {
            add("\(label) = \(c.name)", c.graph, residual: l.residual)
          }
        } else {
          for v in l.variants {
            for (c, g) in zip(l.candidates, v.graphs) where !g.isZero {
              add("\(label) = \(c.name) @\(v.inputChannels)->\(v.outputChannels)", g, residual: v.residual)
            }
          }
        }
      case .fixed(let name, let g):
        if let vs = widthVariants[i] {
          for v in vs { add("\(name) @\(v.inputChannels)", v.graphs[0]) }
        } else {
          add(name, g)
        }
      case .cell: return ([], "cells")
      case .route(let r):
        for e in r.edges {
          for c in e.head.candidates where !c.graph.isZero {
            add("\(e.head.choice ?? "route.edge[\(e.from)→\(e.to)]") = \(c.name)", c.graph, residual: e.head.residual)
          }
        }
        for b in r.blocks {
          for (l, layer) in b.layers.enumerated() {
            for c in layer.candidates where !c.graph.isZero {
              add(
                "\(layer.choice ?? "route.block[\(b.index)].layer[\(l)]") = \(c.name)", c.graph,
                residual: layer.residual)
            }
          }
        }
      case .memory: return ([], "memory-bank blocks")
      }
    }
    if let vs = widthVariants[items.count] {
      for v in vs { add("head @\(v.inputChannels)", v.graphs[0]) }
    } else {
      add("head", head)
    }
    return (blocks, nil)
  }
}
