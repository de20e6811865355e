import NASCSearch
import NASCSpace

/// A generated `nn.Module` class for one op of the space (an edge candidate, a layer's op, a
/// preprocessing op, the stem, the head): its layers are named `conv{k}`, `bn{k}`, `linear{k}` after
/// the op's primitive `k`, which nasc's checkpoint calls `{k}_conv`, `{k}_bn`, `{k}_linear`.
struct PyOpClass {
  /// The Python class (`nn.Identity` for ops that return their input).
  var name: String
  /// The op as the space names it.
  var opName: String
  /// The constructor's parameters: those of `c_in`, `c_out`, `stride` that its layers read.
  var parameters: [String]
  /// The class definition; empty for `nn.Identity`.
  var code: String
  /// The module-level helper functions its `forward` calls.
  var helpers: Set<PyHelper>

  /// Whether it is `nn.Identity` (no class of its own).
  var isIdentity: Bool { code.isEmpty }

  /// The constructor parameters' values for an occurrence `graph` of the op: its input and output
  /// channels and its stride (the largest stride of its convolutions, pools and zero fills).
  static func arguments(of graph: PrimGraph) -> [String: Int] {
    let stride = graph.nodes.reduce(1) { s, n in
      switch n.op {
      case .conv(let c): max(s, c.sh, c.sw)
      case .maxPool(let p), .avgPool(let p): max(s, p.sh, p.sw)
      case .zero(let z): max(s, z)
      default: s
      }
    }
    return ["c_in": graph.input.channels, "c_out": graph.outputShape.channels, "stride": stride]
  }

  /// The constructor call, with each parameter's argument (Python text) from `argument`.
  func call(_ argument: (String) -> String) -> String {
    if isIdentity { return "nn.Identity()" }
    let args = parameters.map { p in p == "stride" ? "stride=\(argument(p))" : argument(p) }
    return "\(name)(\(args.joined(separator: ", ")))"
  }
}

/// A module-level function the generated code defines only when some `forward` calls it.
enum PyHelper: String, CaseIterable, Hashable {
  case zeros, shift, channelShuffle, asMap

  /// Its Python definition.
  var code: String {
    switch self {
    case .zeros:
      return """
        def zeros(x, channels, stride):
            \"\"\"nasc's `zero`: zeros of `channels` channels at the resolution of x[:, :, ::stride, ::stride].\"\"\"
            x = x[:, :, ::stride, ::stride]
            return x.new_zeros(x.shape[0], channels, x.shape[2], x.shape[3])
        """
    case .shift:
      return """
        def shift(x):
            \"\"\"nasc's `shift` (FactorizedReduce's offset branch): y[:, :, i, j] = x[:, :, i + 1, j + 1], zero beyond the border.\"\"\"
            return F.pad(x[:, :, 1:, 1:], (0, 1, 0, 1))
        """
    case .channelShuffle:
      return """
        def channel_shuffle(x, groups):
            \"\"\"ShuffleNet's channel shuffle: (groups, c / groups) -> transpose -> flatten.\"\"\"
            n, c, h, w = x.shape
            return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)
        """
    case .asMap:
      return """
        def as_map(v):
            \"\"\"A [N, C] vector as an [N, C, 1, 1] map, so it broadcasts over height and width.\"\"\"
            return v.view(v.shape[0], -1, 1, 1)
        """
    }
  }
}

/// The op classes of a network: occurrences are added one by one, then grouped into classes by op
/// name and structure (the same primitives wired the same way, sizes aside), so occurrences that
/// differ in channels and stride share one class whose constructor takes them.
struct PyOpLibrary {
  private struct Group {
    var opName: String
    var key: String
    var parametric: Bool
    var sites: [Int]
  }

  private var graphs: [PrimGraph] = []
  private var places: [String] = []
  private var groups: [Group] = []
  /// The classes, in the order their first occurrence was added.
  private(set) var classes: [PyOpClass] = []
  /// Per occurrence (the id `add` returned), its class's index in `classes`.
  private(set) var classOf: [Int] = []

  /// Adds an occurrence of op `opName` at `place` (for errors); returns its id. A non-parametric
  /// op (stem, head) gets a class of its own with every size a constant. Throws E330 for a
  /// primitive with no PyTorch equivalent (the embeddings of recurrent networks).
  mutating func add(_ graph: PrimGraph, op opName: String, place: String, parametric: Bool = true) throws -> Int {
    for node in graph.nodes {
      switch node.op {
      case .embedding, .tiedLinear:
        throw RunError(
          "E330", "the op \(node.op.name) at \(place) (recurrent networks) has no PyTorch equivalent in this version",
          help: PyTorchExport.coverage)
      default: break
      }
    }
    let id = graphs.count
    graphs.append(graph)
    places.append(place)
    let key = parametric ? Self.structureKey(graph) : "site\(id)"
    if let g = groups.firstIndex(where: { $0.opName == opName && $0.key == key && $0.parametric == parametric }) {
      groups[g].sites.append(id)
    } else {
      groups.append(Group(opName: opName, key: key, parametric: parametric, sites: [id]))
    }
    return id
  }

  /// The graph of occurrence `id`.
  func graph(of id: Int) -> PrimGraph { graphs[id] }

  /// The class of occurrence `id` (after `build`).
  func opClass(_ id: Int) -> PyOpClass { classes[classOf[id]] }

  /// Generates the classes.
  mutating func build() throws {
    classOf = [Int](repeating: -1, count: graphs.count)
    var taken = Set<String>()
    for group in groups {
      // Occurrences that no one class fits (a size no constructor argument explains) get one
      // class per distinct graph.
      var parts: [[Int]]
      if Self.isIdentity(graphs[group.sites[0]]) {
        parts = [group.sites]
      } else if (try? emit(group.sites, name: "_", opName: group.opName, parametric: group.parametric)) != nil {
        parts = [group.sites]
      } else {
        parts = []
        for id in group.sites {
          if let p = parts.firstIndex(where: { graphs[$0[0]] == graphs[id] }) {
            parts[p].append(id)
          } else {
            parts.append([id])
          }
        }
      }
      for part in parts {
        let made: PyOpClass
        if Self.isIdentity(graphs[part[0]]) {
          made = PyOpClass(name: "nn.Identity", opName: group.opName, parameters: [], code: "", helpers: [])
        } else {
          let base = group.parametric ? PyName.className(group.opName) : group.opName
          var name = base
          if taken.contains(name) && Self.isResidual(graphs[part[0]]) { name = base + "Residual" }
          var n = 2
          while taken.contains(name) {
            name = "\(base)_\(n)"
            n += 1
          }
          taken.insert(name)
          made = try emit(part, name: name, opName: group.opName, parametric: group.parametric)
        }
        classes.append(made)
        for id in part { classOf[id] = classes.count - 1 }
      }
    }
  }

  /// Whether `graph` ends by adding its input (an op with its own shortcut).
  static func isResidual(_ graph: PrimGraph) -> Bool {
    guard graph.output > 0, case .add = graph.nodes[graph.output - 1].op else { return false }
    return graph.nodes[graph.output - 1].inputs.contains(0)
  }

  /// Whether `graph` returns its input (in evaluation: dropout is the identity too).
  static func isIdentity(_ graph: PrimGraph) -> Bool {
    var value = graph.output
    while value > 0 {
      switch graph.nodes[value - 1].op {
      case .identity, .dropout: value = graph.nodes[value - 1].inputs[0]
      default: return false
      }
    }
    return true
  }

  /// The graph with every size a constructor argument may set erased: what occurrences sharing a
  /// class have in common.
  static func structureKey(_ g: PrimGraph) -> String {
    var out = ""
    for n in g.nodes {
      var op = n.op
      switch op {
      case .conv(var c):
        c.groups = c.groups == 1 ? 1 : c.groups == c.cin ? -1 : 0
        (c.cin, c.cout, c.sh, c.sw) = (0, 0, 0, 0)
        op = .conv(c)
      case .batchNorm(_, let affine): op = .batchNorm(channels: 0, affine: affine)
      case .linear(_, _, let bias): op = .linear(inFeatures: 0, outFeatures: 0, bias: bias)
      case .maxPool(var p):
        (p.sh, p.sw) = (0, 0)
        op = .maxPool(p)
      case .avgPool(var p):
        (p.sh, p.sw) = (0, 0)
        op = .avgPool(p)
      case .zero: op = .zero(stride: 0)
      case .slice: op = .slice(start: 0, count: 0, step: 0)
      case .channelShuffle: op = .channelShuffle(groups: 0)
      case .dropout: op = .dropout(p: 0)
      default: break
      }
      out += "\(op)<-\(n.inputs);"
    }
    return out + "->\(g.output)"
  }

  private func emit(_ sites: [Int], name: String, opName: String, parametric: Bool) throws -> PyOpClass {
    var e = PyOpEmitter(graphs: sites.map { graphs[$0] }, parametric: parametric)
    try e.emitNodes()
    return e.finish(name: name, opName: opName)
  }
}

/// Reasons a set of occurrences cannot share one class.
struct PyFitFailure: Error {
  var line: Int
  init(line: Int = #line) { self.line = line }
}

/// Writes one op class for occurrences of one structure.
struct PyOpEmitter {
  let graphs: [PrimGraph]
  let parametric: Bool
  private var used = Set<String>()
  private var stored = Set<String>()
  private var helpers = Set<PyHelper>()
  private var initLines: [String] = []
  private var forwardLines: [String] = []
  /// Per value, its channel count as an expression.
  private var channels: [PyExpression] = []
  /// Per value, its Python name in `forward`.
  private var names: [String] = []
  /// Per value, the rank of its tensor (4 for maps, 2 after a linear layer).
  private var ranks: [Int] = []
  /// Whether the graph is a chain (every node reads the one before), written as `x = ...` lines.
  private let chain: Bool
  /// Values whose channel count is the op's output channel count (the output and what it copies).
  private var setsOutputWidth = Set<Int>()

  init(graphs: [PrimGraph], parametric: Bool) {
    self.graphs = graphs
    self.parametric = parametric
    let g = graphs[0]
    var reads = [Int](repeating: 0, count: g.nodes.count + 1)
    for n in g.nodes { for i in n.inputs { reads[i] += 1 } }
    chain =
      g.output == g.nodes.count
      && g.nodes.enumerated().allSatisfy { k, n in n.inputs == [k] && reads[k] == 1 }
    var v = g.output
    setsOutputWidth.insert(v)
    while v > 0 {
      switch g.nodes[v - 1].op {
      case .batchNorm, .relu, .relu6, .tanh, .sigmoid, .identity, .dropout, .maxPool, .avgPool, .globalAvgPool,
        .shift, .channelShuffle:
        v = g.nodes[v - 1].inputs[0]
        setsOutputWidth.insert(v)
      default: v = 0
      }
    }
  }

  private var g: PrimGraph { graphs[0] }

  private func variable(_ name: String) -> PyExpression.Variable {
    PyExpression.Variable(name: name, values: graphs.map { PyOpClass.arguments(of: $0)[name]! })
  }

  /// A channel count (or other size) per occurrence as an expression: first `preferred` (when it
  /// gives the same values), then the parameters in `order`, then scaled parameters, then a constant.
  private mutating func size(
    _ values: [Int], preferred: PyExpression? = nil, order: [String] = ["c_in", "c_out"], constantFirst: Bool = false
  ) throws -> PyExpression {
    if let preferred, evaluate(preferred) == values { return note(preferred) }
    let exact = parametric ? order.map(variable) : []
    // Scaled widths: an expansion multiplies the input width, a split divides the output width.
    let multiplied = parametric ? ["c_in", "c_out"].map(variable) : []
    let divided = parametric ? ["c_out", "c_in"].map(variable) : []
    guard
      let fitted = PyExpression.fit(
        values, over: exact, multiplied: multiplied, divided: divided, constantFirst: constantFirst)
    else { throw PyFitFailure() }
    return note(fitted)
  }

  /// A stride per occurrence: the `stride` parameter where it gives the values and some
  /// occurrence has a stride other than 1, else a constant.
  private mutating func stride(_ values: [Int]) throws -> PyExpression {
    let s = variable("stride")
    if parametric && s.values.contains(where: { $0 != 1 }) && s.values == values {
      return note(PyExpression(variable: "stride", number: 1))
    }
    guard values.allSatisfy({ $0 == values[0] }) else { throw PyFitFailure() }
    return .constant(values[0])
  }

  private func evaluate(_ e: PyExpression) -> [Int] {
    guard let name = e.variable else { return graphs.map { _ in e.number } }
    return variable(name).values.map { e.multiplies ? $0 * e.number : $0 / e.number }
  }

  private mutating func note(_ e: PyExpression) -> PyExpression {
    if let v = e.variable { used.insert(v) }
    return e
  }

  /// An expression read inside `forward` (its parameter is stored on the module).
  private mutating func inForward(_ e: PyExpression) -> String {
    if let v = e.variable { stored.insert(v) }
    return e.text(prefix: "self.")
  }

  private func values<T>(_ k: Int, _ pick: (Primitive) -> T?) -> [T] {
    graphs.map { pick($0.nodes[k].op)! }
  }

  private static func pair(_ a: String, _ b: String) -> String { a == b ? a : "(\(a), \(b))" }

  mutating func emitNodes() throws {
    channels = [parametric ? PyExpression(variable: "c_in", number: 1) : .constant(g.input.channels)]
    names = ["x"]
    ranks = [4]
    for (k, node) in g.nodes.enumerated() {
      let v = k + 1
      // A [N, C] vector meeting an op of NCHW maps reads as [N, C, 1, 1], as nasc reads it.
      let readsMap: Bool
      switch node.op {
      case .conv, .maxPool, .avgPool, .globalAvgPool, .shift: readsMap = true
      case .concat: readsMap = node.inputs.contains { ranks[$0] == 4 }
      default: readsMap = false
      }
      if readsMap {
        for i in node.inputs where ranks[i] == 2 {
          names[i] = "as_map(\(names[i]))"
          ranks[i] = 4
          helpers.insert(.asMap)
        }
      }
      let a = names[node.inputs[0]]
      let input = channels[node.inputs[0]]
      let out = chain ? "x" : "x\(v)"
      var rank = ranks[node.inputs[0]]
      var width = input
      var line: String? = nil
      switch node.op {
      case .conv(let c0):
        let convs = values(k) { if case .conv(let c) = $0 { c } else { nil } }
        let cin = try size(convs.map(\.cin), preferred: input)
        width = try size(
          convs.map(\.cout), preferred: setsOutputWidth.contains(v) ? nil : input,
          order: setsOutputWidth.contains(v) ? ["c_out", "c_in"] : ["c_in", "c_out"])
        var args = [cin.text(), width.text(), Self.pair("\(c0.kh)", "\(c0.kw)")]
        let s = Self.pair(try stride(convs.map(\.sh)).text(), try stride(convs.map(\.sw)).text())
        if s != "1" { args.append("stride=\(s)") }
        let p = Self.pair("\(c0.ph)", "\(c0.pw)")
        if p != "0" { args.append("padding=\(p)") }
        let d = Self.pair("\(c0.dh)", "\(c0.dw)")
        if d != "1" { args.append("dilation=\(d)") }
        if c0.groups != 1 {
          let groups = try size(convs.map(\.groups), preferred: cin)
          args.append("groups=\(groups.text())")
        }
        if !c0.bias { args.append("bias=False") }
        initLines.append("self.conv\(k) = nn.Conv2d(\(args.joined(separator: ", ")))")
        line = "self.conv\(k)(\(a))"
        rank = 4
      case .batchNorm(_, let affine):
        let chs = values(k) { if case .batchNorm(let ch, _) = $0 { ch } else { nil } }
        let ch = try size(chs, preferred: input)
        let kind = rank == 2 ? "BatchNorm1d" : "BatchNorm2d"
        initLines.append("self.bn\(k) = nn.\(kind)(\(ch.text())\(affine ? "" : ", affine=False"))")
        line = "self.bn\(k)(\(a))"
      case .linear(_, _, let bias):
        let io = values(k) { if case .linear(let i, let o, _) = $0 { (i, o) } else { nil } }
        let flat = graphs.allSatisfy { $0.shape(of: node.inputs[0]).height * $0.shape(of: node.inputs[0]).width == 1 }
        let inFeatures = try size(io.map(\.0), preferred: flat || rank == 2 ? input : nil)
        width = try size(io.map(\.1), order: ["c_out", "c_in"])
        initLines.append(
          "self.linear\(k) = nn.Linear(\(inFeatures.text()), \(width.text())\(bias ? "" : ", bias=False"))")
        line = "self.linear\(k)(\(rank == 2 ? a : "torch.flatten(\(a), 1)"))"
        rank = 2
      case .relu: line = "F.relu(\(a))"
      case .relu6: line = "F.relu6(\(a))"
      case .tanh: line = "torch.tanh(\(a))"
      case .sigmoid: line = "torch.sigmoid(\(a))"
      case .identity, .dropout: break
      case .zero:
        let s = try stride(values(k) { if case .zero(let s) = $0 { s } else { nil } })
        width = try size(graphs.map { $0.nodes[k].shape.channels }, order: ["c_out", "c_in"])
        helpers.insert(.zeros)
        line = "zeros(\(a), \(inForward(width)), \(inForward(s)))"
        rank = 4
      case .maxPool(let p0), .avgPool(let p0):
        let pools = values(k) { op -> Pool2d? in
          switch op {
          case .maxPool(let p), .avgPool(let p): p
          default: nil
          }
        }
        let isMax = { if case .maxPool = node.op { true } else { false } }()
        var args = [Self.pair("\(p0.kh)", "\(p0.kw)")]
        let s = Self.pair(try stride(pools.map(\.sh)).text(), try stride(pools.map(\.sw)).text())
        if s != Self.pair("\(p0.kh)", "\(p0.kw)") { args.append("stride=\(s)") }
        let p = Self.pair("\(p0.ph)", "\(p0.pw)")
        if p != "0" { args.append("padding=\(p)") }
        if !isMax && !p0.countIncludePad && p != "0" { args.append("count_include_pad=False") }
        let attribute = isMax ? "max_pool\(k)" : "avg_pool\(k)"
        initLines.append("self.\(attribute) = nn.\(isMax ? "MaxPool2d" : "AvgPool2d")(\(args.joined(separator: ", ")))")
        line = "self.\(attribute)(\(a))"
      case .globalAvgPool:
        line = "F.adaptive_avg_pool2d(\(a), 1)"
        rank = 4
      case .shift:
        helpers.insert(.shift)
        line = "shift(\(a))"
      case .channelShuffle:
        let groups = try size(
          values(k) { if case .channelShuffle(let g) = $0 { g } else { nil } }, constantFirst: true)
        helpers.insert(.channelShuffle)
        line = "channel_shuffle(\(a), \(inForward(groups)))"
      case .slice:
        let sl = values(k) { op -> (Int, Int, Int)? in
          if case .slice(let s, let c, let t) = op { (s, c, t) } else { nil }
        }
        let start = try size(sl.map(\.0))
        let end = try size(sl.map { $0.0 + ($0.1 - 1) * $0.2 + 1 })
        let step = try size(sl.map(\.2), constantFirst: true)
        let startText = start == .constant(0) ? "" : inForward(start)
        let stepText = step == .constant(1) ? "" : ":" + inForward(step)
        line = "\(a)[:, \(startText):\(inForward(end))\(stepText)]"
        width = try size(graphs.map { $0.nodes[k].shape.channels }, order: ["c_out", "c_in"])
      case .concat:
        line = "torch.cat([\(node.inputs.map { names[$0] }.joined(separator: ", "))], dim=1)"
        width = try size(
          graphs.map { $0.nodes[k].shape.channels },
          order: setsOutputWidth.contains(v) ? ["c_out", "c_in"] : ["c_in", "c_out"])
        rank = 4
      case .add, .mul, .sub:
        let symbol = node.op == .add ? " + " : node.op == .mul ? " * " : " - "
        let r = node.inputs.map { ranks[$0] }.max()!
        let operands = node.inputs.map { i -> String in
          ranks[i] == 2 && r == 4 ? "as_map(\(names[i]))" : names[i]
        }
        if operands.contains(where: { $0.hasPrefix("as_map(") }) { helpers.insert(.asMap) }
        line = operands.joined(separator: symbol)
        rank = r
        width = try size(graphs.map { $0.nodes[k].shape.channels }, preferred: input, order: ["c_out", "c_in"])
      case .embedding, .tiedLinear:
        throw PyFitFailure()  // rejected by PyOpLibrary.build before
      }
      if let line {
        forwardLines.append("\(out) = \(line)")
        names.append(out)
      } else {
        names.append(a)  // identity, dropout: the same tensor
      }
      channels.append(width)
      ranks.append(rank)
    }
    forwardLines.append("return \(names[g.output])")
  }

  /// The class text.
  func finish(name: String, opName: String) -> PyOpClass {
    let parameters = ["c_in", "c_out", "stride"].filter { used.contains($0) || stored.contains($0) }
    var out = "class \(name)(nn.Module):\n"
    out += "    \"\"\"\(PyName.comment(opName)): \(Self.summary(g)).\"\"\"\n"
    if !initLines.isEmpty || !stored.isEmpty {
      out += "\n    def __init__(self\(parameters.map { ", " + $0 }.joined())):\n"
      out += "        super().__init__()\n"
      for p in parameters where stored.contains(p) { out += "        self.\(p) = \(p)\n" }
      for l in initLines { out += "        \(l)\n" }
    }
    out += "\n    def forward(self, x):\n"
    for l in forwardLines { out += "        \(l)\n" }
    return PyOpClass(name: name, opName: opName, parameters: parameters, code: out, helpers: helpers)
  }

  /// The primitives in order, for the docstring (`relu, conv 3x3, conv 1x1, bn`).
  static func summary(_ g: PrimGraph) -> String {
    let words = g.nodes.map { n -> String in
      switch n.op {
      case .conv(let c):
        var s = "conv \(c.kh)x\(c.kw)"
        if c.groups > 1 { s += c.groups == c.cin ? " depthwise" : " groups \(c.groups)" }
        if c.dh > 1 || c.dw > 1 { s += " dilation \(c.dh)" }
        return s
      case .maxPool(let p): return "max_pool \(p.kh)x\(p.kw)"
      case .avgPool(let p): return "avg_pool \(p.kh)x\(p.kw)"
      case .dropout(let p): return "dropout \(p) (off in evaluation)"
      default: return n.op.name
      }
    }
    return words.isEmpty ? "identity" : words.joined(separator: ", ")
  }
}
