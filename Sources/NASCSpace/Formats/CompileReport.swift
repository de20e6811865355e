/// The summary of a compilation: the `nasc compile --json` object (a contract: later tooling reads
/// these keys) and the human summary.
public enum CompileReport {
  /// The JSON object: name, architectures, log10_architectures, choice_points (with `parts` for a
  /// layer's op combined with value choices), params, flops,
  /// params_auxiliary (when an auxiliary head exists), and more.
  public static func json(_ ir: SpaceIR) -> JSONValue {
    var o: [(String, JSONValue)] = [
      ("name", .string(ir.name)),
      ("file", .string(ir.file)),
      ("mode", .string(ir.mode.rawValue)),
      ("architectures", .string(ir.architectures.description)),
      ("log10_architectures", .double((ir.architectures.log10 * 1e6).rounded() / 1e6)),
      (
        "choice_points",
        .array(
          ir.choicePoints.map { cp in
            var fields: [(String, JSONValue)] = [
              ("id", .string(cp.id)), ("kind", .string(cp.kind.rawValue)),
              ("candidates", .array(cp.candidates.map(JSONValue.string))), ("k", .int(cp.k)),
              ("line", .int(cp.location.line)), ("col", .int(cp.location.column)), ("file", .string(cp.location.file)),
            ]
            if !cp.parts.isEmpty { fields.append(("parts", .array(cp.parts.map(JSONValue.string)))) }
            return .object(fields)
          })
      ),
      ("params", .int(ir.cost.params)),
      ("flops", .int(ir.cost.macs)),
    ]
    if let a = ir.auxiliaryCost {
      o.append(("params_auxiliary", .int(a.params)))
      o.append(("flops_auxiliary", .int(a.macs)))
    }
    let n = ir.network
    var input: [(String, JSONValue)] = [
      ("channels", .int(n.input.channels)), ("height", .int(n.input.height)),
      ("width", .int(n.input.width)), ("classes", .int(n.classes)),
    ]
    if let t = n.tokens { input.append(("tokens", .int(t))) }
    o.append(("input", .object(input)))
    o.append(("cells", .int(ir.cells.count)))
    o.append(("layers", .int(ir.layers.count)))
    if let m = ir.method {
      o.append(
        (
          "method",
          .object([
            ("name", .string(m.name)),
            ("hyperparameters", .object(m.hyperparameters.map { ($0.name, $0.value.json) })),
          ])
        ))
    }
    var d: [(String, JSONValue)] = [
      ("rule", .string(ir.derive.kind.rawValue)), ("k", .int(ir.derive.k)),
      ("exclude", .array(ir.derive.exclude.map(JSONValue.string))),
    ]
    if let c = ir.derive.skipCap { d.append(("skip_cap", .int(c))) }
    o.append(("derive", .object(d)))
    if ir.mode == .fixed {
      if let g = ArchExport.genotype(ir) { o.append(("genotype", .string(g.description))) }
      if let s = ArchExport.nb201(ir) { o.append(("nb201", .string(s.description))) }
    }
    return .object(o)
  }

  /// Groups digits: 1234567 → 1,234,567.
  public static func grouped(_ n: Int) -> String {
    let s = String(n)
    var out = ""
    for (i, ch) in s.reversed().enumerated() {
      if i > 0, i % 3 == 0 { out.append(",") }
      out.append(ch)
    }
    return String(out.reversed())
  }

  /// ` (12 op, 3 path)`: the choice points per kind, when there is more than one kind.
  static func choiceKinds(_ ir: SpaceIR) -> String {
    let kinds: [ChoiceKind] = [.op, .inputs, .value, .path]
    let counts = kinds.map { k in (k, ir.choicePoints.filter { $0.kind == k }.count) }.filter { $0.1 > 0 }
    guard counts.count > 1 else { return "" }
    return " (" + counts.map { "\($0.1) \($0.0 == .path ? "path weights" : $0.0.rawValue)" }.joined(separator: ", ")
      + ")"
  }

  /// The human summary.
  public static func text(_ ir: SpaceIR) -> String {
    let n = ir.network
    var out =
      "space \(ir.name) (\(ir.file)), \(ir.mode.rawValue)\(ir.evalSkeleton ? " with the evaluation skeleton" : "")\n"
    if let t = n.tokens {
      out += "  input        token sequences, \(t) tokens (costs per token)\n"
    } else {
      out += "  input        \(n.input.channels)x\(n.input.height)x\(n.input.width), \(n.classes) classes\n"
    }
    out += "  body         \(ir.cells.count) cells, \(ir.layers.count) layers, \(n.items.count) items\n"
    let count = ir.architectures.description
    let big = count.count > 15 ? " (10^\(String(format: "%.2f", ir.architectures.log10)))" : ""
    out += "  architectures \(count)\(big)\n"
    out += "  choice points \(ir.choicePoints.count)\(choiceKinds(ir))\n"
    for case .route(let r) in n.items {
      let path = r.pathChoice == nil ? "path " + r.blocks.map { String($0.index) }.joined(separator: "→") : "searched"
      out += "  route        \(r.blocks.count) blocks, \(r.edges.count) connections, \(path)\n"
    }
    out += "  params       \(grouped(ir.cost.params))\n"
    out += "  MACs         \(grouped(ir.cost.macs))\n"
    if let a = ir.auxiliaryCost { out += "  auxiliary    \(grouped(a.params)) params (not in the count above)\n" }
    if let m = ir.method { out += "  method       \(m.name) (\(m.relaxation)), derive \(ir.derive.kind.rawValue)\n" }
    if ir.mode == .fixed {
      if let g = ArchExport.genotype(ir) { out += "  genotype     \(g.description)\n" }
      if let s = ArchExport.nb201(ir) { out += "  nb201        \(s.description)\n" }
    }
    return out
  }
}

import Foundation
