/// How a memory layer lowers (the engine builds exactly this, and the cost model counts it): the
/// op's per-channel prefix and its reading 1×1 conv once, then either one shared chain at the
/// largest kernel (SMASH's sliced free weights) or each candidate's remainder.
public struct MemoryLayerLowering: Sendable, Hashable {
  /// The per-channel ops before the reading conv, on the banks the IR lists.
  public var prefix: PrimGraph
  /// The reading conv (1×1, no groups, no stride).
  public var readConv: Conv2d
  /// `prefix` followed by the reading conv: the graph whose cost they make.
  public var reader: PrimGraph
  /// Each candidate with its graph cut to what follows the reading conv (input: its output).
  public var rest: [Candidate]
  /// When the remainders are one chain of the same primitives that differ only in conv kernels,
  /// dilations and groups: that chain with every conv at the largest kernel, no groups and no
  /// dilation, the shape of the weights they share (a candidate runs on a crop and slice of them).
  public var shared: PrimGraph?
}

extension MemoryLayer {
  /// The lowering of this layer, or why it has none.
  public func lowering(key: String) -> Result<MemoryLayerLowering, LoweringProblem> {
    var common: (PrimGraph, Conv2d, PrimGraph)? = nil
    var rest = [Candidate]()
    for cand in layer.candidates {
      let g = cand.graph
      guard let at = g.nodes.firstIndex(where: { if case .conv = $0.op { true } else { false } }),
        case .conv(let c) = g.nodes[at].op, c.kh == 1, c.kw == 1, c.sh == 1, c.sw == 1, c.ph == 0, c.pw == 0,
        c.dh == 1, c.dw == 1, c.groups == 1,
        g.nodes[...at].enumerated().allSatisfy({ k, n in n.inputs == [k] && (k == at || Self.perChannel(n.op)) })
      else {
        return .failure(
          LoweringProblem(
            "\(key)'s op '\(cand.name)' does not begin with per-channel ops (bn, relu) and a 1x1 conv, the reading conv a memory layer needs (SMASH generates its weights)"
          ))
      }
      var prefix = g
      prefix.nodes = Array(g.nodes[..<at])
      prefix.output = at
      var reader = g
      reader.nodes = Array(g.nodes[...at])
      reader.output = at + 1
      if let (p, conv, _) = common, p != prefix || conv != c {
        return .failure(
          LoweringProblem("\(key)'s op choices differ before the reading 1x1 conv; only what follows it may vary"))
      }
      common = (prefix, c, reader)
      // Value `at + 1` (the conv's output) becomes the remainder's input 0.
      let shift = at + 1
      var nodes = [PrimNode]()
      for n in g.nodes[(at + 1)...] {
        guard n.inputs.allSatisfy({ $0 >= shift }) else {
          return .failure(LoweringProblem("\(key)'s op '\(cand.name)' reads a value from before its reading conv"))
        }
        var moved = n
        moved.inputs = n.inputs.map { $0 - shift }
        nodes.append(moved)
      }
      guard g.output >= shift else {
        return .failure(LoweringProblem("\(key)'s op '\(cand.name)' does not end after its reading conv"))
      }
      var c2 = cand
      c2.graph.input = g.nodes[at].shape
      c2.graph.nodes = nodes
      c2.graph.output = g.output - shift
      rest.append(c2)
    }
    guard let (prefix, conv, reader) = common else { return .failure(LoweringProblem("\(key) has no op")) }
    return .success(
      MemoryLayerLowering(
        prefix: prefix, readConv: conv, reader: reader, rest: rest, shared: PrimGraph.slicedChain(rest.map(\.graph))))
  }

  static func perChannel(_ op: Primitive) -> Bool {
    switch op {
    case .batchNorm, .relu, .relu6, .tanh, .sigmoid, .identity: return true
    default: return false
    }
  }
}

extension PrimGraph {
  /// The chain that `graphs` (two or more) share up to conv kernels, dilations and groups, with
  /// every conv at the largest (odd) kernel, dense and undilated; nil when they are not such chains.
  public static func slicedChain(_ graphs: [PrimGraph]) -> PrimGraph? {
    guard graphs.count > 1, var out = graphs.first else { return nil }
    for g in graphs {
      guard g.nodes.count == out.nodes.count, g.input == out.input, g.output == out.output,
        g.nodes.enumerated().allSatisfy({ k, n in n.inputs == [k] })
      else { return nil }
    }
    for k in out.nodes.indices {
      let all = graphs.map { $0.nodes[k] }
      guard all.allSatisfy({ $0.shape == all[0].shape }) else { return nil }
      switch all[0].op {
      case .conv(var c0):
        let cs = all.compactMap { if case .conv(let c) = $0.op { c } else { nil } }
        guard cs.count == all.count,
          cs.allSatisfy({
            $0.cin == c0.cin && $0.cout == c0.cout && $0.sh == 1 && $0.sw == 1 && !$0.bias && $0.kh % 2 == 1
              && $0.kw % 2 == 1
          })
        else { return nil }
        c0.kh = cs.map(\.kh).max()!
        c0.kw = cs.map(\.kw).max()!
        (c0.ph, c0.pw, c0.dh, c0.dw, c0.groups) = (c0.kh / 2, c0.kw / 2, 1, 1, 1)
        out.nodes[k].op = .conv(c0)
      case .batchNorm, .relu, .relu6, .tanh, .sigmoid, .identity:
        guard all.allSatisfy({ $0.op == all[0].op }) else { return nil }
      default: return nil
      }
    }
    return out
  }
}

/// Why a part of an IR has no lowering.
public struct LoweringProblem: Error, Sendable, Hashable, CustomStringConvertible {
  /// What is wrong.
  public let description: String
  init(_ description: String) { self.description = description }
}
