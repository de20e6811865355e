import Foundation
import NASCSearch
import NASCSpace
import NASCTensor

/// Translates a `NetworkGraph` into ONNX nodes and initialisers, one primitive at a time.
struct ONNXGraphEmitter {
  let graph: NetworkGraph
  private(set) var nodes: [Onnx_NodeProto] = []
  private(set) var initializers: [Onnx_TensorProto] = []
  /// The ONNX name of each graph value (0 = the input).
  private var names: [String]
  /// The rank of each value's tensor (4 for feature maps, 2 after a linear layer).
  private var ranks: [Int]
  private var constants: Set<String> = []
  private var counter = 0

  init(_ graph: NetworkGraph) {
    self.graph = graph
    names = ["input"]
    ranks = [4]
  }

  /// The shape of value `v` (per image).
  private func shape(_ v: Int) -> Shape { v == 0 ? graph.input : graph.nodes[v - 1].shape }

  /// Emits every node; the last one writes `logits`.
  mutating func emitAll() throws {
    for (k, node) in graph.nodes.enumerated() {
      let isOutput = k + 1 == graph.output
      let (name, rank) = try emit(node, output: isOutput ? "logits" : nil)
      names.append(name)
      ranks.append(rank)
    }
    if graph.output == 0 { node("Identity", ["input"], "logits") }
    if ranks[graph.output] != 2 {
      // Logits of a network whose head ends in a 1×1 map: flatten to [N, classes].
      let last = nodes.count - 1
      nodes[last].output = ["logits_map"]
      node("Flatten", ["logits_map"], "logits", [int("axis", 1)])
    }
  }

  /// A fresh value name for an op in `scope`.
  private mutating func fresh(_ scope: String, _ op: String) -> String {
    counter += 1
    return "\(scope.isEmpty ? "" : scope + "/")\(op)_\(counter)"
  }

  @discardableResult
  private mutating func node(
    _ op: String, _ inputs: [String], _ output: String, _ attributes: [Onnx_AttributeProto] = []
  )
    -> String
  {
    var n = Onnx_NodeProto()
    n.opType = op
    n.input = inputs
    n.output = [output]
    n.name = output
    n.attribute = attributes
    nodes.append(n)
    return output
  }

  /// Emits one graph node; returns its output's name and rank.
  private mutating func emit(_ n: NetworkGraph.Node, output: String?) throws -> (String, Int) {
    var ins = n.inputs.map { names[$0] }
    // A [N, c] vector meeting an op of NCHW maps reads as [N, c, 1, 1], as the engine reads it.
    if case .primitive(let p) = n.op {
      let readsMap: Bool
      switch p {
      case .conv, .maxPool, .avgPool, .globalAvgPool, .shift: readsMap = true
      case .concat: readsMap = n.inputs.contains { ranks[$0] == 4 }
      default: readsMap = false
      }
      if readsMap {
        for (i, v) in n.inputs.enumerated() where ranks[v] == 2 {
          ins[i] = node("Reshape", [ins[i], int64s([0, -1, 1, 1])], fresh(n.scope, "as_map"))
        }
      }
    }
    switch n.op {
    case .scale(let f):
      let out = output ?? fresh(n.scope, "scale")
      return (node("Mul", [ins[0], scalar(f)], out), ranks[n.inputs[0]])
    case .primitive(let p):
      let out = output ?? fresh(n.scope, p.name)
      let rank = ranks[n.inputs.first ?? 0]
      switch p {
      case .conv(let c):
        var inputs = [ins[0], try tensor(n.layer, "weight")]
        if c.bias { inputs.append(try tensor(n.layer, "bias")) }
        node(
          "Conv", inputs, out,
          [
            ints("kernel_shape", [c.kh, c.kw]), ints("strides", [c.sh, c.sw]), ints("pads", [c.ph, c.pw, c.ph, c.pw]),
            ints("dilations", [c.dh, c.dw]), int("group", c.groups),
          ])
        return (out, 4)
      case .batchNorm(let channels, let affine):
        let scale = affine ? try tensor(n.layer, "weight") : filled("\(n.layer).ones", 1, count: channels)
        let bias = affine ? try tensor(n.layer, "bias") : filled("\(n.layer).zeros", 0, count: channels)
        node(
          "BatchNormalization",
          [ins[0], scale, bias, try tensor(n.layer, "running_mean"), try tensor(n.layer, "running_var")], out,
          [float("epsilon", 1e-5)])
        return (out, rank)
      case .relu: return (node("Relu", ins, out), rank)
      case .relu6: return (node("Clip", [ins[0], scalar(0), scalar(6)], out), rank)
      case .tanh: return (node("Tanh", ins, out), rank)
      case .sigmoid: return (node("Sigmoid", ins, out), rank)
      case .identity, .dropout: return (node("Identity", [ins[0]], out), rank)
      case .zero:
        // Zeros of [N, c, h, w]: N read off the input at run time.
        let s = n.shape
        let shapeOf = node("Shape", [ins[0]], fresh(n.scope, "shape"))
        let batch = node("Slice", [shapeOf, int64s([0]), int64s([1])], fresh(n.scope, "batch"))
        let full = node(
          "Concat", [batch, int64s([s.channels, s.height, s.width])], fresh(n.scope, "dims"), [int("axis", 0)])
        var zero = Onnx_AttributeProto()
        zero.name = "value"
        zero.type = .tensor
        zero.t = floatTensor("", [0], dims: [1])
        return (node("ConstantOfShape", [full], out, [zero]), 4)
      case .maxPool(let q):
        node(
          "MaxPool", [ins[0]], out,
          [
            ints("kernel_shape", [q.kh, q.kw]), ints("strides", [q.sh, q.sw]), ints("pads", [q.ph, q.pw, q.ph, q.pw]),
          ])
        return (out, 4)
      case .avgPool(let q):
        node(
          "AveragePool", [ins[0]], out,
          [
            ints("kernel_shape", [q.kh, q.kw]), ints("strides", [q.sh, q.sw]), ints("pads", [q.ph, q.pw, q.ph, q.pw]),
            int("count_include_pad", q.countIncludePad ? 1 : 0),
          ])
        return (out, 4)
      case .globalAvgPool: return (node("GlobalAveragePool", ins, out), 4)
      case .linear(_, _, let bias):
        let flat = rank == 2 ? ins[0] : node("Flatten", [ins[0]], fresh(n.scope, "flatten"), [int("axis", 1)])
        var inputs = [flat, try tensor(n.layer, "weight")]
        if bias { inputs.append(try tensor(n.layer, "bias")) }
        return (node("Gemm", inputs, out, [int("transB", 1)]), 2)
      case .shift:
        let big = Int(Int32.max)
        let cut = node(
          "Slice", [ins[0], int64s([1, 1]), int64s([big, big]), int64s([2, 3])], fresh(n.scope, "shift_crop"))
        return (node("Pad", [cut, int64s([0, 0, 0, 0, 0, 0, 1, 1])], out), 4)
      case .channelShuffle(let groups):
        let s = shape(n.inputs[0])
        let split = node(
          "Reshape", [ins[0], int64s([0, groups, s.channels / groups, s.height, s.width])], fresh(n.scope, "groups"))
        let swapped = node("Transpose", [split], fresh(n.scope, "transpose"), [ints("perm", [0, 2, 1, 3, 4])])
        return (node("Reshape", [swapped, int64s([0, s.channels, s.height, s.width])], out), 4)
      case .slice(let start, let count, let step):
        let end = start + (count - 1) * step + 1
        return (node("Slice", [ins[0], int64s([start]), int64s([end]), int64s([1]), int64s([step])], out), rank)
      case .concat: return (node("Concat", ins, out, [int("axis", 1)]), 4)
      case .add, .mul, .sub:
        let op = p == .add ? "Add" : p == .mul ? "Mul" : "Sub"
        let r = n.inputs.map { ranks[$0] }.max()!
        // A [N, c] vector meets [N, c, h, w] maps as [N, c, 1, 1], as the engine broadcasts it.
        var operands = [String]()
        for (i, v) in n.inputs.enumerated() {
          operands.append(
            ranks[v] == 2 && r == 4
              ? node("Reshape", [ins[i], int64s([0, -1, 1, 1])], fresh(n.scope, "as_map")) : ins[i])
        }
        var acc = operands[0]
        for (i, o) in operands.dropFirst().enumerated() {
          acc = node(op, [acc, o], i == operands.count - 2 ? out : fresh(n.scope, p.name))
        }
        if operands.count == 1 { acc = node("Identity", [acc], out) }
        return (acc, r)
      case .embedding, .tiedLinear:
        throw RunError(
          "E330", "the op \(p.name) (recurrent cells) has no ONNX export in this version",
          help: ExportedNetwork.coverage)
      }
    }
  }

  // MARK: Initialisers and attributes

  /// The initialiser of checkpoint tensor `layer.leaf`, added once.
  private mutating func tensor(_ layer: String, _ leaf: String) throws -> String {
    let name = "\(layer).\(leaf)"
    guard let t = graph.tensors[name] else {
      throw RunError("E330", "the network has no tensor \(name)", help: "report this as a nasc bug")
    }
    if constants.insert(name).inserted { initializers.append(floatTensor(name, t.scalars, dims: t.shape)) }
    return name
  }

  /// A constant float vector of `count` copies of `value`.
  private mutating func filled(_ name: String, _ value: Float, count: Int) -> String {
    if constants.insert(name).inserted {
      initializers.append(floatTensor(name, [Float](repeating: value, count: count), dims: [count]))
    }
    return name
  }

  /// A scalar float constant.
  private mutating func scalar(_ value: Float) -> String {
    let name = "const_f\(value)"
    if constants.insert(name).inserted { initializers.append(floatTensor(name, [value], dims: [])) }
    return name
  }

  /// A constant int64 vector.
  private mutating func int64s(_ values: [Int]) -> String {
    let name = "const_i[\(values.map(String.init).joined(separator: ","))]"
    if constants.insert(name).inserted {
      var t = Onnx_TensorProto()
      t.name = name
      t.dataType = Onnx_TensorProto.DataType.int64.rawValue32
      t.dims = [Int64(values.count)]
      t.int64Data = values.map(Int64.init)
      initializers.append(t)
    }
    return name
  }

  private func floatTensor(_ name: String, _ values: [Float], dims: [Int]) -> Onnx_TensorProto {
    var t = Onnx_TensorProto()
    t.name = name
    t.dataType = Onnx_TensorProto.DataType.float.rawValue32
    t.dims = dims.map(Int64.init)
    var raw = Data(capacity: values.count * 4)
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
    t.rawData = raw
    return t
  }

  private func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .int
    a.i = Int64(value)
    return a
  }

  private func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .ints
    a.ints = values.map(Int64.init)
    return a
  }

  private func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name
    a.type = .float
    a.f = value
    return a
  }
}
