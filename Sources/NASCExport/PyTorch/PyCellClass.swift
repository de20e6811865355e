import NASCSearch
import NASCSpace

/// The op occurrences of one cell instance in a `PyOpLibrary`.
struct PyCellSites {
  /// The instance.
  var cell: CellInstance
  /// Per cell input, its preprocessing op.
  var preprocess: [Int]
  /// Per node, per edge, its op.
  var edges: [[Int]]
  /// The postprocessing op, if any.
  var post: Int?

  /// Adds the ops of `cell` (body item `item`) to `library`. Throws E330 for cells that have no
  /// PyTorch export (recurrent cells, undecided ones).
  static func add(_ cell: CellInstance, item: Int, to library: inout PyOpLibrary) throws -> PyCellSites {
    let place = "cells\(item)"
    if cell.recurrent || cell.nodes.contains(where: { $0.project != nil || $0.edges.contains { $0.project != nil } }) {
      throw RunError(
        "E330", "\(place) is a recurrent cell, which has no PyTorch export in this version",
        help: PyTorchExport.coverage)
    }
    let pre = try cell.inputs.enumerated().map { i, input in
      try library.add(input.preprocess, op: PyCellSites.preprocessName(input.preprocess), place: "\(place).pre\(i)")
    }
    var edges = [[Int]]()
    for node in cell.nodes {
      guard node.inputsChoice == nil else {
        throw RunError(
          "E330", "node \(node.index) of \(place) still chooses its inputs", help: "export a decided architecture")
      }
      var row = [Int]()
      for (j, edge) in node.edges.enumerated() {
        guard edge.candidates.count == 1, edge.partialChannels.map({ $0 <= 1 }) ?? true else {
          throw RunError(
            "E330", "the edge \(edge.from)→\(node.index) of \(place) is not decided",
            help: "export a decided architecture")
        }
        row.append(
          try library.add(
            edge.candidates[0].graph, op: edge.candidates[0].name,
            place: "\(place).node\(node.index)_edge\(j)_from\(edge.from)"))
      }
      edges.append(row)
    }
    let post = try cell.postprocess.map { try library.add($0, op: "cell_post", place: "\(place).post") }
    return PyCellSites(cell: cell, preprocess: pre, edges: edges, post: post)
  }

  /// The op names of cell parts the space does not name (the IR keeps their graphs only).
  static let ownNames: Set<String> = ["preprocess", "cell_post"]

  /// A name for a preprocessing op (the IR keeps its graph only): DARTS' `factorized_reduce` and
  /// `relu_conv_bn`, recognised by their primitives, otherwise `preprocess`.
  static func preprocessName(_ g: PrimGraph) -> String {
    let ops = g.nodes.map(\.op.name)
    if ops.contains("shift") { return "factorized_reduce" }
    if ops == ["relu", "conv", "bn"] { return "relu_conv_bn" }
    return "preprocess"
  }
}

/// The generated class of one cell template (DARTS' `Cell(genotype, C_prev_prev, C_prev, C,
/// reduction, reduction_prev)` with the genotype written out): its constructor takes the channel
/// counts and `reduction_prev`, in which the template's instances differ.
struct PyCellClass {
  /// The Python class.
  var name: String
  /// The class definition.
  var code: String
  /// Per instance (body item index), the constructor call.
  var calls: [Int: String]

  /// The classes of the cells of `sites` (body item index → sites): one per template, or — for a
  /// template whose instances no one constructor explains — one per instance.
  static func classes(_ sites: [(item: Int, sites: PyCellSites)], library: PyOpLibrary, taken: inout Set<String>)
    throws -> [PyCellClass]
  {
    var templates = [String]()
    for s in sites where !templates.contains(s.sites.cell.template) { templates.append(s.sites.cell.template) }
    var out = [PyCellClass]()
    for t in templates {
      let members = sites.filter { $0.sites.cell.template == t }
      let base = PyName.className(t).hasSuffix("Cell") ? PyName.className(t) : PyName.className(t) + "Cell"
      let attempt = Result { try emit(members, name: base, library: library) }
      if case .success = attempt {
        out.append(try emit(members, name: unique(base, &taken), library: library))
      } else {
        for m in members {
          do { out.append(try emit([m], name: unique("\(base)\(m.item)", &taken), library: library)) } catch {
            throw RunError(
              "E330", "cells\(m.item) (\(t)) has no PyTorch export: a node without edges",
              help: "report this as a nasc bug")
          }
        }
      }
    }
    return out
  }

  private static func unique(_ base: String, _ taken: inout Set<String>) -> String {
    var name = base
    var n = 2
    while taken.contains(name) {
      name = "\(base)_\(n)"
      n += 1
    }
    taken.insert(name)
    return name
  }

  /// One class for `members`, or `PyFitFailure` when their structures or sizes differ in a way
  /// the constructor does not cover.
  private static func emit(_ members: [(item: Int, sites: PyCellSites)], name: String, library: PyOpLibrary) throws
    -> PyCellClass
  {
    let cells = members.map(\.sites.cell)
    let first = members[0].sites
    let c0 = first.cell
    for m in members.dropFirst() {
      let s = m.sites
      let c = s.cell
      guard c.inputs.count == c0.inputs.count, c.outputNodes == c0.outputNodes, c.outputMode == c0.outputMode,
        c.nodes.count == c0.nodes.count, (s.post == nil) == (first.post == nil)
      else { throw PyFitFailure() }
      for (n, node) in c.nodes.enumerated() {
        let n0 = c0.nodes[n]
        guard node.index == n0.index, node.combine == n0.combine, node.edges.count == n0.edges.count else {
          throw PyFitFailure()
        }
        for (j, e) in node.edges.enumerated() where e.from != n0.edges[j].from {
          throw PyFitFailure()
        }
        for j in node.edges.indices where library.classOf[s.edges[n][j]] != library.classOf[first.edges[n][j]] {
          throw PyFitFailure()
        }
      }
      if let p = s.post, library.classOf[p] != library.classOf[first.post!] { throw PyFitFailure() }
    }
    var used = Set<String>()

    /// The constructor call of the op class of occurrences `ids`, one per member in `subset` (all
    /// members when nil); `first` is the cell variable its channels most likely follow.
    func call(_ ids: [Int], subset: [Int]? = nil, first: String = "c") throws -> String {
      let picked = (subset ?? Array(members.indices)).map { cells[$0] }
      var variables = [
        PyExpression.Variable(name: "c", values: picked.map(\.c)),
        PyExpression.Variable(name: "c_prev", values: picked.map(\.cPrev)),
      ]
      if c0.inputs.count > 1 { variables.append(.init(name: "c_prev_prev", values: picked.map(\.cPrevPrev))) }
      variables = variables.filter { $0.name == first } + variables.filter { $0.name != first }
      let cls = library.opClass(ids[0])
      var args = [String: String]()
      for p in cls.parameters {
        let values = ids.map { PyOpClass.arguments(of: library.graph(of: $0))[p]! }
        let e =
          p == "stride"
          ? PyExpression.fit(values, over: [], constantFirst: true)
          : PyExpression.fit(values, over: p == "c_out" ? variables.filter { $0.name == "c" } + variables : variables)
        guard let e else { throw PyFitFailure() }
        if let v = e.variable { used.insert(v) }
        args[p] = e.text()
      }
      return cls.call { args[$0]! }
    }

    var initLines = [String]()
    var forwardLines = [String]()
    let inputs = c0.inputs.indices.map { "s\($0)" }
    for i in c0.inputs.indices {
      let source = c0.inputs.count - i == 2 ? "c_prev_prev" : c0.inputs.count - i == 1 ? "c_prev" : "c"
      let ids = members.map { $0.sites.preprocess[i] }
      let classes = ids.map { library.classOf[$0] }
      if classes.allSatisfy({ $0 == classes[0] }) {
        if library.opClass(ids[0]).isIdentity { continue }
        initLines.append("self.pre\(i) = \(try call(ids, first: source))")
      } else {
        // Two preprocessing ops told apart by the instance: DARTS' FactorizedReduce after a
        // reduction (ReLUConvBN otherwise), or ENAS' identity where the widths already agree.
        let widths = [
          PreprocessCondition(text: "c_prev_prev != c", parameters: ["c_prev_prev", "c"]) { $0.cPrevPrev != $0.c },
          PreprocessCondition(text: "c_prev != c", parameters: ["c_prev", "c"]) { $0.cPrev != $0.c },
        ]
        let conditions =
          [PreprocessCondition(text: "reduction_prev", parameters: ["reduction_prev"]) { $0.reductionPrev }]
          + widths.filter { $0.parameters[0] == source } + widths.filter { $0.parameters[0] != source }
        var found: (PreprocessCondition, [Int], [Int])? = nil
        for cond in conditions {
          let yes = members.indices.filter { cond.holds(cells[$0]) }
          let no = members.indices.filter { !cond.holds(cells[$0]) }
          if !yes.isEmpty && !no.isEmpty && Set(yes.map { classes[$0] }).count == 1
            && Set(no.map { classes[$0] }).count == 1
          {
            found = (cond, yes, no)
            break
          }
        }
        guard let (condition, yes, no) = found.map({ ($0.0, $0.1, $0.2) }) else { throw PyFitFailure() }
        let a = try call(yes.map { ids[$0] }, subset: yes, first: source)
        let b = try call(no.map { ids[$0] }, subset: no, first: source)
        used.formUnion(condition.parameters)
        initLines.append("self.pre\(i) = \(a) if \(condition.text) else \(b)")
      }
      forwardLines.append("s\(i) = self.pre\(i)(s\(i))")
    }
    for (n, node) in c0.nodes.enumerated() {
      var terms = [String]()
      for (j, edge) in node.edges.enumerated() {
        let attribute = "node\(node.index)_edge\(j)_from\(edge.from)"
        let ids = members.map { $0.sites.edges[n][j] }
        initLines.append("self.\(attribute) = \(try call(ids))  # \(PyName.comment(edge.candidates[0].name))")
        terms.append("self.\(attribute)(s\(edge.from))")
      }
      guard !terms.isEmpty else { throw PyFitFailure() }
      var value = terms.joined(separator: " + ")
      if node.combine == .mean && terms.count > 1 { value = "(\(value)) / \(terms.count)" }
      forwardLines.append("s\(node.index) = \(value)")
    }
    let picked = c0.outputNodes.map { "s\($0)" }
    var result: String
    switch c0.outputMode {
    case "mean", "mean_loose_ends":
      result = picked.count == 1 ? picked[0] : "(\(picked.joined(separator: " + "))) / \(picked.count)"
    case "last": result = picked[picked.count - 1]
    default: result = picked.count == 1 ? picked[0] : "torch.cat([\(picked.joined(separator: ", "))], dim=1)"
    }
    if first.post != nil {
      initLines.append("self.post = \(try call(members.map { $0.sites.post! }))")
      result = "self.post(\(result))"
    }
    forwardLines.append("return \(result)")

    let parameters = ["c_prev_prev", "c_prev", "c", "reduction_prev"].filter(used.contains)
    var code = "class \(name)(nn.Module):\n"
    let kind = c0.reduction ? "reduction cell" : "cell"
    code +=
      "    \"\"\"The `\(PyName.comment(c0.template))` \(kind): \(c0.nodes.count) nodes, output \(c0.outputMode) of nodes \(c0.outputNodes.map(String.init).joined(separator: ", ")).\"\"\"\n\n"
    code += "    def __init__(self\(parameters.map { ", " + $0 }.joined())):\n"
    code += "        super().__init__()\n"
    for l in initLines { code += "        \(l)\n" }
    code += "\n    def forward(self, \(inputs.joined(separator: ", "))):\n"
    for l in forwardLines { code += "        \(l)\n" }

    var calls = [Int: String]()
    for (k, m) in members.enumerated() {
      let values: [String: String] = [
        "c_prev_prev": "\(cells[k].cPrevPrev)", "c_prev": "\(cells[k].cPrev)", "c": "\(cells[k].c)",
        "reduction_prev": cells[k].reductionPrev ? "True" : "False",
      ]
      calls[m.item] = "\(name)(\(parameters.map { "\($0)=\(values[$0]!)" }.joined(separator: ", ")))"
    }
    return PyCellClass(name: name, code: code, calls: calls)
  }
}

/// A test on a cell instance that tells two preprocessing ops of one cell input apart.
struct PreprocessCondition {
  /// The Python condition.
  var text: String
  /// The constructor parameters it reads.
  var parameters: [String]
  /// Whether it holds for an instance.
  var holds: (CellInstance) -> Bool
}
