import Foundation
import NASCSpace

/// The JSON description of a cell supernet that the PyTorch runtime (`nasc_supernet.py`) builds
/// its modules from: every primitive graph with its attributes, every cell with its inputs, nodes
/// and edges, module names as nasc's checkpoints name them.
enum SupernetJSON {
  /// One primitive graph: `input`, `output`, `zero`, and per node `op`, `inputs`, `shape` and the
  /// primitive's attributes.
  static func graph(_ g: PrimGraph) throws -> [String: Any] {
    var nodes = [[String: Any]]()
    for n in g.nodes {
      var d: [String: Any] = ["op": n.op.name, "inputs": n.inputs, "shape": shape(n.shape)]
      switch n.op {
      case .conv(let c):
        d.merge(
          [
            "cin": c.cin, "cout": c.cout, "kh": c.kh, "kw": c.kw, "sh": c.sh, "sw": c.sw, "ph": c.ph, "pw": c.pw,
            "dh": c.dh, "dw": c.dw, "groups": c.groups, "bias": c.bias,
          ]
        ) { $1 }
      case .batchNorm(let channels, let affine): d.merge(["channels": channels, "affine": affine]) { $1 }
      case .linear(let i, let o, let bias): d.merge(["in": i, "out": o, "bias": bias]) { $1 }
      case .maxPool(let p), .avgPool(let p):
        d.merge(
          [
            "kh": p.kh, "kw": p.kw, "sh": p.sh, "sw": p.sw, "ph": p.ph, "pw": p.pw,
            "count_include_pad": p.countIncludePad,
          ]
        ) { $1 }
      case .zero(let stride): d["stride"] = stride
      case .dropout(let p): d["p"] = p
      case .channelShuffle(let groups): d["groups"] = groups
      case .slice(let start, let count, let step): d.merge(["start": start, "count": count, "step": step]) { $1 }
      case .embedding, .tiedLinear:
        throw RunError(
          "E330", "the op \(n.op.name) (recurrent cells) has no PyTorch export in this version",
          help: PyTorchSearchExport.coverage)
      default: break
      }
      nodes.append(d)
    }
    return ["input": shape(g.input), "output": g.output, "zero": g.isZero, "nodes": nodes]
  }

  static func shape(_ s: Shape) -> [Int] { [s.channels, s.height, s.width] }

  /// One cell instance.
  static func cell(_ c: CellInstance) throws -> [String: Any] {
    var nodes = [[String: Any]]()
    for n in c.nodes {
      var edges = [[String: Any]]()
      for e in n.edges {
        var candidates = [[String: Any]]()
        for group in Candidate.sharingGroups(e.candidates) {
          guard group.members.count == 1 else {
            throw RunError(
              "E330", "the candidates \(group.members.map { e.candidates[$0].name }) share weights at several widths",
              help: PyTorchSearchExport.coverage)
          }
        }
        for cand in e.candidates {
          candidates.append([
            "name": cand.name, "module": cand.name.replacingOccurrences(of: ".", with: "p"),
            "graph": try graph(cand.graph),
          ])
        }
        var edge: [String: Any] = ["from": e.from, "choice": e.choice ?? NSNull(), "stride": e.stride]
        edge["candidates"] = candidates
        if let k = e.partialChannels, k > 1 { edge["partial_channels"] = k }
        edges.append(edge)
      }
      nodes.append([
        "index": n.index, "combine": n.combine == .mean ? "mean" : "sum", "inputs_choice": n.inputsChoice ?? NSNull(),
        "edges": edges,
      ])
    }
    return [
      "template": c.template,
      "inputs": try c.inputs.map { ["source": $0.source, "preprocess": try graph($0.preprocess)] },
      "nodes": nodes, "output_nodes": c.outputNodes, "output_mode": c.outputMode,
    ]
  }
}
