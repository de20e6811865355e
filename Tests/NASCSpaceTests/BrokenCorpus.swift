@testable import NASCSpace

/// One broken space and the diagnostic it must produce (first of that code).
struct BrokenCase: Sendable, CustomStringConvertible {
  var name: String
  var text: String
  var code: String
  var line: Int
  var col: Int
  /// Text the diagnostic's message must contain, if given.
  var message: String? = nil
  /// Text its hint must contain, if given.
  var help: String? = nil
  var description: String { name }
}

/// A small valid cell space the cases edit. Line numbers below refer to the edited text.
let baseSpace = """
  nasc: 1
  candidates:
    ops: [none, skip_connect, sep_conv_3x3]
  cells:
    normal:
      preprocess: [relu_conv_bn, relu_conv_bn]
      nodes: 2
      select: {choice: all, k: 2}
      op: {choice: ops}
  network:
    C: 8
    stem: [{conv: {out: 24, kernel: 3}}, bn]
    cells: 2
    reductions: []

  """

func edited(_ a: String, _ b: String) -> String { baseSpace.replacingAll(a, b) }

/// A small layer-wise space with value choices in its candidate list (line 11 is its only layer).
let widthChoiceSpace =
  "nasc: 1\ninput: {channels: 1, size: 8, classes: 10}\ntied:\n  mult: [0.5, 1.0]\nnetwork:\n  stem: [{conv: {out: 16, kernel: 3}}, bn]\n  body:\n    - {layer: mbconv, out: {choice: mult, of: 16}}\n"

let valueChoiceSpace =
  "nasc: 1\ninput: {channels: 1, size: 8, classes: 10}\ncandidates:\n  blocks:\n    - {op: mbconv, with: {k: 3, e: {choice: [3, 6]}}, name: a}\n    - {op: mbconv, with: {k: 5, e: {choice: [3, 4]}}, name: b}\n  scales: [0.5, 1.0]\nnetwork:\n  stem: [{conv: {out: 16, kernel: 3}}, bn]\n  body:\n    - {layer: {choice: blocks}, out: 16}\n"

/// A small valid DenseNAS routing space (the stem halves 32x32 to 16x16 = block 0, stage 0); lines 9-11 are
/// blocks 1-3.
let routeSpace =
  "nasc: 1\ninput: {channels: 3, size: 32, classes: 10}\nnetwork:\n  stem: [{conv: {out: 8, kernel: 3, stride: 2}}]\n  body:\n    - route:\n        head: nor_conv_1x1\n        blocks:\n          - {out: 8, scale: 2, stage: 1}\n          - {out: 16, scale: 4, stage: 2}\n          - {out: 32, scale: 8, stage: 3}\n"

func routeEdited(_ a: String, _ b: String) -> String {
  precondition(routeSpace.contains(a), "routeSpace has no '\(a)'")
  return routeSpace.replacingAll(a, b)
}

/// The corpus: at least one case per diagnostic code the checker reports.
let brokenCases: [BrokenCase] = [
  BrokenCase(name: "empty", text: "", code: "E001", line: 1, col: 1),
  BrokenCase(name: "comments only", text: "# nothing\n", code: "E001", line: 1, col: 1),
  BrokenCase(name: "control char", text: "nasc: 1\nname: a\u{01}\n", code: "E002", line: 2, col: 8),
  BrokenCase(
    name: "deep flow nesting", text: "nasc: 1\nx: " + String(repeating: "[", count: 100) + "\n", code: "E003", line: 2,
    col: 67),
  BrokenCase(name: "yaml syntax", text: "nasc: 1\nname: [unclosed\n", code: "E005", line: 3, col: 1),
  BrokenCase(name: "bad indentation", text: "nasc: 1\nnetwork:\n  C: 8\n C: 9\n", code: "E005", line: 4, col: 2),
  BrokenCase(name: "duplicate key", text: "nasc: 1\nname: a\nname: b\n", code: "E007", line: 3, col: 1),
  BrokenCase(name: "two documents", text: "nasc: 1\n---\nnasc: 1\n", code: "E008", line: 2, col: 1),
  BrokenCase(name: "unknown top-level key", text: edited("network:", "netwrok:"), code: "E010", line: 10, col: 1),
  BrokenCase(name: "unknown cell key", text: edited("    nodes: 2", "    nodez: 2"), code: "E010", line: 7, col: 5),
  BrokenCase(
    name: "unknown primitive argument", text: edited("kernel: 3}}", "kernal: 3}}"), code: "E010", line: 12, col: 27),
  BrokenCase(
    name: "with on a primitive",
    text: edited("stem: [{conv: {out: 24, kernel: 3}}, bn]", "stem: [{conv: {out: 24, kernel: 3}, with: {k: 1}}, bn]"),
    code: "E010", line: 12, col: 39),
  BrokenCase(name: "root is a list", text: "- nasc\n- 1\n", code: "E011", line: 1, col: 1),
  BrokenCase(name: "nodes is a word", text: edited("nodes: 2", "nodes: two"), code: "E011", line: 7, col: 12),
  BrokenCase(
    name: "two primitives in one step",
    text: edited("stem: [{conv: {out: 24, kernel: 3}}, bn]", "stem: [{conv: {out: 24, kernel: 3}, relu: null}, bn]"),
    code: "E011", line: 12, col: 10),
  BrokenCase(name: "missing nasc", text: "name: x\nnetwork: {cells: 2}\n", code: "E012", line: 1, col: 1),
  BrokenCase(name: "missing nodes", text: edited("    nodes: 2\n", ""), code: "E012", line: 5, col: 3),
  BrokenCase(name: "missing edge op", text: edited("    op: {choice: ops}\n", ""), code: "E012", line: 5, col: 3),
  BrokenCase(
    name: "pool without kernel", text: edited("kernel: 3}}, bn]", "kernel: 3}}, {max_pool: {stride: 1}}]"),
    code: "E012", line: 12, col: 41),
  BrokenCase(name: "zero channels", text: "nasc: 1\ninput: {channels: 0}\n", code: "E013", line: 2, col: 19),
  BrokenCase(
    name: "reduction out of range", text: edited("reductions: []", "reductions: [9]"), code: "E013", line: 14, col: 16),
  BrokenCase(
    name: "dropout out of range", text: edited("kernel: 3}}, bn]", "kernel: 3}}, bn, {dropout: {p: 1.5}}]"),
    code: "E013", line: 12, col: 58),
  BrokenCase(
    name: "bad combine word", text: edited("    nodes: 2\n", "    nodes: 2\n    combine: product\n"), code: "E014",
    line: 8, col: 14),
  BrokenCase(name: "bad derive rule", text: baseSpace + "derive: {rule: argmin}\n", code: "E014", line: 15, col: 16),
  BrokenCase(name: "version 2", text: edited("nasc: 1", "nasc: 2"), code: "E015", line: 1, col: 7),
  BrokenCase(
    name: "unknown op in candidates", text: edited("sep_conv_3x3]", "sep_conv_3x4]"), code: "E020", line: 3, col: 29),
  BrokenCase(
    name: "unknown step", text: edited("kernel: 3}}, bn]", "kernel: 3}}, rellu]"), code: "E020", line: 12, col: 40),
  BrokenCase(
    name: "unknown candidate list", text: edited("op: {choice: ops}", "op: {choice: opz}"), code: "E021", line: 9,
    col: 18),
  BrokenCase(
    name: "unknown cell template", text: edited("  cells: 2\n  reductions: []\n", "  body: [{cell: normall}]\n"),
    code: "E022", line: 13, col: 17),
  BrokenCase(
    name: "unknown reduce template", text: edited("reductions: []", "reductions: [1]"), code: "E022", line: 13, col: 10),
  BrokenCase(
    name: "empty candidate list", text: edited("ops: [none, skip_connect, sep_conv_3x3]", "ops: []"), code: "E024",
    line: 3, col: 8),
  BrokenCase(
    name: "no candidate applies",
    text: edited("ops: [none, skip_connect, sep_conv_3x3]", "ops: [{op: none, when: stride == 2}]"), code: "E024",
    line: 9, col: 9),
  BrokenCase(
    name: "unknown op parameter",
    text: edited("ops: [none, skip_connect, sep_conv_3x3]", "ops: [{op: sep_conv, with: {kernel: 3}}]"), code: "E026",
    line: 3, col: 31),
  BrokenCase(
    name: "op cycle", text: baseSpace + "ops:\n  a: {body: [{op: b}]}\n  b: {body: [{op: a}]}\n", code: "E027",
    line: 17, col: 19),
  BrokenCase(name: "expression syntax", text: edited("out: 24", "out: 3 * * C"), code: "E030", line: 12, col: 23),
  BrokenCase(name: "unknown variable", text: edited("out: 24", "out: 3 * D"), code: "E031", line: 12, col: 23),
  BrokenCase(name: "division by zero", text: edited("out: 24", "out: C / 0"), code: "E032", line: 12, col: 23),
  BrokenCase(name: "negative channels", text: edited("out: 24", "out: 8 - C"), code: "E032", line: 12, col: 23),
  BrokenCase(
    name: "odd channels for FactorizedReduce",
    text: edited("preprocess: [relu_conv_bn, relu_conv_bn]", "preprocess: [factorized_reduce, relu_conv_bn]")
      .replacingAll("C: 8", "C: 7"), code: "E033", line: 6, col: 18),
  BrokenCase(
    name: "groups do not divide", text: edited("kernel: 3}}", "kernel: 3, groups: 5}}"), code: "E033", line: 12, col: 11
  ),
  BrokenCase(
    name: "node reads a later node", text: edited("    nodes: 2\n", "    nodes: [{from: [0, 3]}, {}]\n"), code: "E040",
    line: 7, col: 24),
  BrokenCase(
    name: "node reads itself", text: edited("    nodes: 2\n", "    nodes: [{from: [2]}, {}]\n"), code: "E040", line: 7,
    col: 21),
  BrokenCase(
    name: "output names a missing node", text: edited("    nodes: 2\n", "    nodes: 2\n    output: [2, 7]\n"),
    code: "E040", line: 8, col: 17),
  BrokenCase(name: "k larger than inputs", text: edited("k: 2}", "k: 3}"), code: "E041", line: 8, col: 30),
  BrokenCase(
    name: "resolution mismatch after a reduction",
    text: edited(
      "    op: {choice: ops}\n",
      "    op: {choice: ops}\n  reduce: {reduction: true, preprocess: [relu_conv_bn, relu_conv_bn], nodes: 2, select: {choice: all, k: 2}, op: {choice: ops}}\n"
    ).replacingAll("cells: 2", "cells: 3").replacingAll("reductions: []", "reductions: [1]"), code: "E043", line: 7,
    col: 12),
  BrokenCase(
    name: "candidates that differ across the edges of a cell",
    text: edited(
      "    op: {choice: ops}\n",
      "    op: {choice: ops}\n  reduce: {reduction: true, preprocess: [relu_conv_bn, relu_conv_bn], nodes: 2, select: {choice: all, k: 2}, op: {choice: ops}}\n"
    ).replacingAll("cells: 2", "cells: 3").replacingAll("reductions: []", "reductions: [1]").replacingAll(
      "ops: [none, skip_connect, sep_conv_3x3]", "ops: [{op: none, when: stride == 1}, skip_connect, sep_conv_3x3]"),
    code: "E025", line: 10, col: 114,
    message: "among [none, skip_connect, sep_conv_3x3] but edge 0→2 among [skip_connect, sep_conv_3x3]"),
  BrokenCase(
    name: "channel mismatch without preprocess", text: edited("    preprocess: [relu_conv_bn, relu_conv_bn]\n", ""),
    code: "E044", line: 8, col: 9),
  BrokenCase(
    name: "residual layer changes shape",
    text:
      "nasc: 1\nnetwork:\n  stem: [{conv: {out: 16, kernel: 3}}]\n  body:\n    - {layer: mbconv, out: 24, residual: true}\n",
    code: "E044", line: 5, col: 42),
  BrokenCase(
    name: "head classes mismatch",
    text: edited("  reductions: []\n", "  reductions: []\n  head: [global_avg_pool, {linear: {out: 7}}]\n"),
    code: "E044", line: 15, col: 9),
  BrokenCase(
    name: "input too small",
    text:
      "nasc: 1\ninput: {size: 2}\nnetwork:\n  stem: [{conv: {out: 8, kernel: 5, pad: 0}}]\n  body: [{layer: relu_conv_bn}]\n",
    code: "E045", line: 4, col: 11),
  BrokenCase(
    name: "preprocess count", text: edited("preprocess: [relu_conv_bn, relu_conv_bn]", "preprocess: [relu_conv_bn]"),
    code: "E046", line: 6, col: 17),
  BrokenCase(name: "10^12 cells", text: edited("cells: 2", "cells: 1000000000000"), code: "E047", line: 13, col: 10),
  BrokenCase(
    name: "10^12 layers", text: "nasc: 1\nnetwork:\n  body:\n    - {layer: mbconv, repeat: 1000000000000}\n",
    code: "E047", line: 4, col: 31),
  BrokenCase(name: "network without body", text: "nasc: 1\nnetwork: {C: 8}\n", code: "E048", line: 2, col: 10),
  BrokenCase(name: "unknown method", text: baseSpace + "search: {method: dartz}\n", code: "E050", line: 15, col: 18),
  BrokenCase(
    name: "hyperparameter of another method", text: baseSpace + "search:\n  method: darts\n  tau_max: 5\n",
    code: "E051", line: 17, col: 3),
  BrokenCase(
    name: "hyperparameter type", text: baseSpace + "search:\n  method: darts\n  epochs: many\n", code: "E052", line: 17,
    col: 11),
  BrokenCase(
    name: "integer hyperparameter beyond 10^9",
    text: baseSpace + "search:\n  method: darts\n  epochs: 10000000000\n", code: "E052", line: 17, col: 11,
    message: "must be at most 1000000000"),
  BrokenCase(
    name: "real hyperparameter that Float turns into zero",
    text: baseSpace + "search:\n  method: darts\n  arch_lr: 1.0e-300\n", code: "E052", line: 17, col: 12,
    message: "of magnitude 1e-37 to 1e38"),
  BrokenCase(
    name: "hyperparameter word", text: baseSpace + "search:\n  method: darts\n  order: third\n", code: "E052", line: 17,
    col: 10),
  BrokenCase(
    name: "top-k rule without input selection",
    text: edited("    select: {choice: all, k: 2}\n", "") + "derive: {rule: top_k_edges}\n", code: "E053", line: 14,
    col: 16),
  BrokenCase(
    name: "extends missing file", text: "nasc: 1\nextends: lib/nothing.yaml\n", code: "E060", line: 2, col: 10),
  BrokenCase(name: "extends itself", text: "nasc: 1\nextends: space.yaml\n", code: "E061", line: 2, col: 10),
  BrokenCase(name: "extends absolute", text: "nasc: 1\nextends: /etc/nasc.yaml\n", code: "E062", line: 2, col: 10),
  BrokenCase(name: "extends escapes", text: "nasc: 1\nextends: ../../outside.yaml\n", code: "E062", line: 2, col: 10),
  BrokenCase(
    name: "bad genotype", text: "nasc: 1\narch:\n  space: space.yaml\n  genotype: \"Genotype(normal=[('a' 0)])\"\n",
    code: "E070", line: 4, col: 13),
  BrokenCase(name: "arch without decisions", text: "nasc: 1\narch: {space: x.yaml}\n", code: "E012", line: 2, col: 7),
  BrokenCase(name: "unused op", text: baseSpace + "ops:\n  my_conv: {body: [relu]}\n", code: "W003", line: 16, col: 3),
  BrokenCase(
    name: "unused candidate list",
    text: edited(
      "  ops: [none, skip_connect, sep_conv_3x3]\n", "  ops: [none, skip_connect, sep_conv_3x3]\n  spare: [none]\n"),
    code: "W003", line: 4, col: 3),
  BrokenCase(
    name: "nothing derivable", text: edited("ops: [none, skip_connect, sep_conv_3x3]", "ops: [none]"), code: "W004",
    line: 10, col: 1),
  BrokenCase(
    name: "no route to the final block",
    text:
      "nasc: 1\nnetwork:\n  stem: [{conv: {out: 8, kernel: 3}}]\n  body:\n    - route:\n        head: nor_conv_1x1\n        blocks:\n          - {out: 8, scale: 8, stage: 1}\n",
    code: "E042", line: 8, col: 29),
  BrokenCase(
    name: "route: block 4x smaller than every block that could feed it",
    text: routeEdited("{out: 16, scale: 4, stage: 2}", "{out: 16, scale: 8, stage: 2}"), code: "E042", line: 10,
    col: 30),
  BrokenCase(
    name: "route: block neither the size nor half of a feeder",
    text: routeEdited("{out: 8, scale: 2, stage: 1}", "{out: 8, scale: 3, stage: 1}"), code: "E042", line: 9, col: 29),
  BrokenCase(
    name: "route: stage skips more than max_stage_step",
    text: routeEdited("{out: 16, scale: 4, stage: 2}", "{out: 16, scale: 4, stage: 3}"), code: "E042", line: 10,
    col: 40),
  BrokenCase(
    name: "route: stage skip with max_stage_step 0",
    text: routeEdited("        blocks:\n", "        max_stage_step: 0\n        blocks:\n"), code: "E042", line: 10,
    col: 39),
  BrokenCase(
    name: "route: stage below the previous block's",
    text: routeEdited("{out: 32, scale: 8, stage: 3}", "{out: 32, scale: 8, stage: 1}"), code: "E013", line: 11,
    col: 40),
  BrokenCase(
    name: "route: scale below the previous block's",
    text: routeEdited("{out: 32, scale: 8, stage: 3}", "{out: 32, scale: 2, stage: 3}"), code: "E013", line: 11,
    col: 30),
  BrokenCase(
    name: "route: first block larger than the route's input",
    text: routeEdited("{out: 8, scale: 2, stage: 1}", "{out: 8, scale: 1, stage: 1}"), code: "E013", line: 9, col: 29),
  BrokenCase(
    name: "route: scale 0", text: routeEdited("{out: 8, scale: 2, stage: 1}", "{out: 8, scale: 0, stage: 1}"),
    code: "E013", line: 9, col: 29),
  BrokenCase(
    name: "route: negative stage", text: routeEdited("{out: 8, scale: 2, stage: 1}", "{out: 8, scale: 2, stage: -1}"),
    code: "E013", line: 9, col: 39),
  BrokenCase(
    name: "route: fan_out 0", text: routeEdited("        blocks:\n", "        fan_out: 0\n        blocks:\n"),
    code: "E013", line: 8, col: 18),
  BrokenCase(
    name: "route: negative max_stage_step",
    text: routeEdited("        blocks:\n", "        max_stage_step: -1\n        blocks:\n"), code: "E013", line: 8,
    col: 25),
  BrokenCase(
    name: "route: zero width", text: routeEdited("{out: 16, scale: 4, stage: 2}", "{out: 0, scale: 4, stage: 2}"),
    code: "E032", line: 10, col: 19),
  BrokenCase(
    name: "route: stacked layers without a stack op",
    text: routeEdited("{out: 8, scale: 2, stage: 1}", "{out: 8, scale: 2, stage: 1, layers: 2}"), code: "E012",
    line: 9, col: 13),
  BrokenCase(
    name: "two candidates named alike",
    text: edited(
      "ops: [none, skip_connect, sep_conv_3x3]",
      "ops: [none, {op: sep_conv, with: {k: 3}, name: c}, {op: sep_conv, with: {k: 5}, name: c}]"), code: "E023",
    line: 3, col: 54),
  BrokenCase(
    name: "duplicate candidate", text: edited("sep_conv_3x3]", "sep_conv_3x3, none]"), code: "W001", line: 3, col: 43),
  BrokenCase(
    name: "unused node",
    text: edited("    nodes: 2\n", "    nodes: [{from: [0, 1]}, {from: [0, 1]}]\n    output: last\n").replacingAll(
      "select: {choice: all, k: 2}", "select: {choice: all, k: 1}"), code: "W002", line: 8, col: 13),
  BrokenCase(
    name: "PC-DARTS bypass pooling on an odd size",
    text: edited("nasc: 1\n", "nasc: 1\ninput: {channels: 1, size: 7, classes: 10}\n").replacingAll(
      "    op: {choice: ops}\n",
      "    op: {choice: ops}\n  reduce: {reduction: true, preprocess: [relu_conv_bn, relu_conv_bn], nodes: 2, select: {choice: all, k: 2}, op: {choice: ops}}\n"
    ).replacingAll("reductions: []", "reductions: [1]") + "search: {method: pc-darts, k: 2}\n", code: "E043", line: 11,
    col: 114),
  BrokenCase(
    name: "value choice with other values for another candidate", text: valueChoiceSpace, code: "E032", line: 6,
    col: 7),
  BrokenCase(
    name: "list of values used as ops",
    text: valueChoiceSpace.replacingAll("{layer: {choice: blocks}", "{layer: {choice: scales}"), code: "E011", line: 11,
    col: 24),
  BrokenCase(
    name: "choice argument no candidate takes",
    text: valueChoiceSpace.replacingAll("{layer: {choice: blocks}", "{layer: {choice: [mbconv], with: {width: 2}}"),
    code: "E026", line: 11, col: 41),
  BrokenCase(
    name: "width multipliers that round to one width",
    text: widthChoiceSpace.replacingAll("{choice: mult, of: 16}", "{choice: [0.5, 0.55], of: 16}"), code: "E032",
    line: 8,
    col: 43),
  BrokenCase(
    name: "fractional absolute width",
    text: widthChoiceSpace.replacingAll("{choice: mult, of: 16}", "{choice: [8, 12.5]}"), code: "E032", line: 8, col: 41
  ),
  BrokenCase(
    name: "tied multipliers read as widths",
    text: widthChoiceSpace.replacingAll("{choice: mult, of: 16}", "{choice: mult}"), code: "E032", line: 4, col: 10),
  BrokenCase(
    name: "unknown list of widths",
    text: widthChoiceSpace.replacingAll("{choice: mult, of: 16}", "{choice: mults, of: 16}"), code: "E021", line: 8,
    col: 37),
  BrokenCase(
    name: "grouped conv after a width choice",
    text: widthChoiceSpace + "    - {steps: [{conv: {out: 16, kernel: 1, groups: 2}}]}\n", code: "E049", line: 9, col: 7
  ),
  BrokenCase(
    name: "route after a width choice", text: widthChoiceSpace + "    - {route: {blocks: []}}\n", code: "E049", line: 9,
    col: 15),
  BrokenCase(
    name: "residual across a width choice",
    text: widthChoiceSpace + "    - {layer: {op: conv_bn_relu, with: {k: 3}}, out: 16, residual: true}\n", code: "E044",
    line: 9, col: 68),
  BrokenCase(
    name: "tied decision as an op argument",
    text: widthChoiceSpace.replacingAll(
      "{layer: mbconv, out: {choice: mult, of: 16}}", "{layer: {op: mbconv, with: {e: {choice: mult}}}}"),
    code: "E011", line: 8, col: 47),
  BrokenCase(
    name: "layer candidates of other widths",
    text:
      "nasc: 1\ninput: {channels: 1, size: 8, classes: 10}\nnetwork:\n  stem: [{conv: {out: 16, kernel: 3}}, bn]\n  body:\n    - {layer: {choice: [{op: conv_bn_relu, with: {out: 40}}, conv_bn_relu]}, out: 32}\n",
    code: "E044", line: 6, col: 15,
    message: "candidate 'conv_bn_relu' of layer[0].op gives 32 channels but 'conv_bn_relu_out40' gives 40 channels",
    help: "the same channels"),
  BrokenCase(
    name: "layer candidates of other strides",
    text:
      "nasc: 1\ninput: {channels: 1, size: 8, classes: 10}\nnetwork:\n  stem: [{conv: {out: 16, kernel: 3}}, bn]\n  body:\n    - {layer: {choice: [{op: conv_bn_relu, with: {stride: 2}}, conv_bn_relu]}, out: 32}\n",
    code: "E043", line: 6, col: 15,
    message: "candidate 'conv_bn_relu' of layer[0].op gives 32x8x8 but 'conv_bn_relu_stride2' gives 32x4x4",
    help: "the same spatial size"),
  BrokenCase(
    name: "edge candidates of other widths",
    text: edited(
      "ops: [none, skip_connect, sep_conv_3x3]", "ops: [none, skip_connect, {op: relu_conv_bn, with: {out: 16}}]"),
    code: "E044", line: 9, col: 9,
    message:
      "candidate 'relu_conv_bn_out16' on edge 0→2 of cell 'normal' gives 16 channels but 'none' gives 8 channels",
    help: "the cell width C"),
  BrokenCase(
    name: "multipliers that round8 to one width",
    text: roundingSpace + "    - {layer: {op: wconv, with: {m: {choice: [1.0, 1.05, 2]}}}, out: 32}\n", code: "W001",
    line: 10, col: 52,
    message:
      "candidates 'wconv_m1.0' and 'wconv_m1.05' of layer[0].op are identical: with m = 1.0 and m = 1.05, round8(m * C_out) rounds 32 and 33.6 to the same 32",
    help: "round8 rounds to a multiple of 8"),
  BrokenCase(
    name: "listed candidates that round8 to one width",
    text: roundingSpace.replacingAll(
      "network:", "candidates:\n  w: [{op: wconv, with: {m: 1.0}}, {op: wconv, with: {m: 1.05}}]\nnetwork:")
      + "    - {layer: {choice: w}, out: 32}\n", code: "W001", line: 8, col: 58,
    message:
      "candidates 'wconv_m1.0' and 'wconv_m1.05' of layer[0].op are identical: with m = 1.0 and m = 1.05, round8(m * C_out) rounds 32 and 33.6 to the same 32"
  ),
  BrokenCase(
    name: "edge candidates that floor to one width",
    text: edited(
      "ops: [none, skip_connect, sep_conv_3x3]", "ops: [none, {op: half, with: {s: 0.5}}, {op: half, with: {s: 0.6}}]")
      + "ops:\n  half:\n    params: {s: 1}\n    body: [{conv: {out: floor(C_out * s), kernel: 1}}, bn, {conv: {kernel: 1}}]\n",
    code: "W001", line: 3, col: 64,
    message:
      "candidates 'half_s0.5' and 'half_s0.6' on edge 0→2 of cell 'normal' are identical: with s = 0.5 and s = 0.6, floor(C_out * s) rounds 4 and 4.8 to the same 4",
    help: "floor drops the fraction"),
  BrokenCase(
    name: "expansions whose integer division gives one width",
    text: roundingSpace.replacingAll("round8(m * C_out)", "C_out * m // 64 + 8")
      + "    - {layer: {op: wconv, with: {m: {choice: [1, 2, 3]}}}, out: 32}\n", code: "W001", line: 10, col: 53,
    message:
      "candidates 'wconv_m2' and 'wconv_m3' of layer[0].op are identical: with m = 2 and m = 3, // in 'C_out * m // 64 + 8' rounds 1 and 1.5 to the same 1",
    help: "// rounds the quotient down"),
  BrokenCase(
    name: "values an op does not read",
    text: roundingSpace.replacingAll("  wconv:", "  idle: {params: {z: 1}, body: [tanh]}\n  wconv:")
      + "    - {layer: {op: idle, with: {z: {choice: [1, 2]}}}, out: 32}\n", code: "W001", line: 11, col: 49,
    message:
      "candidates 'idle_z1' and 'idle_z2' of layer[0].op are identical: with z = 1 and z = 2, they build the same graph"
  ),
  BrokenCase(
    name: "two ops with one body",
    text: edited("ops: [none, skip_connect, sep_conv_3x3]", "ops: [none, a, b]")
      + "ops:\n  a: {body: [relu]}\n  b: {body: [relu]}\n",
    code: "W001", line: 3, col: 18,
    message: "candidates 'a' and 'b' on edge 0→2 of cell 'normal' are identical: they build the same graph"),
]

/// A layer-wise space whose op `wconv` rounds its middle width with round8 (line 10 is the first layer).
let roundingSpace = """
  nasc: 1
  input: {channels: 1, size: 8, classes: 10}
  ops:
    wconv:
      params: {m: 1.0}
      body: [{conv: {out: round8(m * C_out), kernel: 1}}, bn, relu, {conv: {kernel: 1}}, bn]
  network:
    stem: [{conv: {out: 32, kernel: 3}}, bn]
    body:

  """
