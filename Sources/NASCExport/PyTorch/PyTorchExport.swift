import Foundation
import NASCSearch
import NASCSpace

/// A decided network as a readable, standalone PyTorch module (one Python file that imports only
/// `torch`): one `nn.Module` class per op of the space (named after it: `sep_conv_3x3` is
/// `SepConv3x3`, listed in `OPS`), one per cell template (`NormalCell`, `ReduceCell`, whose
/// constructors take the channel counts and `reduction_prev`), and `Network`, the evaluation
/// skeleton (auxiliary head excluded) in evaluation-mode semantics (dropout and drop path off).
///
/// The module's attribute paths follow nasc's checkpoint names, so `load_nasc_checkpoint(model,
/// path)` reads a `nasc train` checkpoint by name, with one documented mapping (`nasc_name`): the
/// candidate segment after an edge (`nodeN_edgeJ_fromF`) or a layer (`layersI`) is dropped (the
/// class is the op), and a primitive's layer `K_conv` / `K_bn` / `K_linear` is `convK` / `bnK` /
/// `linearK`: `cells3.node2_edge0_from1.sep_conv_3x3.1_conv.weight` is
/// `cells3.node2_edge0_from1.conv1.weight`.
public enum PyTorchExport {
  /// What the export covers, for the hints of its errors.
  static let coverage =
    "the PyTorch export covers decided cell and layer-wise image networks (convolutions, batch norm, pooling, linear layers and the element-wise ops); recurrent cells, routes and width choices are not exported"

  /// The Python source of `network`'s module. `source` and `arch` (the command's arguments) go
  /// into its header with the nasc version, the space file, the network fingerprint and the
  /// weights. Throws `E330` for a part with no PyTorch equivalent.
  public static func module(_ network: ExportedNetwork, source: String, arch: String?) throws -> String {
    try module(
      ir: network.ir, fingerprint: network.fingerprint, weights: network.weights,
      weightsDescription: network.weightsDescription, source: source, arch: arch)
  }

  /// Checks that `ir` has a PyTorch export (`E330` otherwise) without building its engine model:
  /// what the command calls first, so an unsupported op is reported as such.
  public static func check(_ ir: SpaceIR) throws {
    _ = try module(ir: ir, fingerprint: "", weights: nil, weightsDescription: "", source: "", arch: nil)
  }

  static func module(
    ir: SpaceIR, fingerprint: String, weights: String?, weightsDescription: String, source: String, arch: String?
  ) throws -> String {
    let net = ir.network
    guard !net.hasWidthChoices else {
      throw RunError("E330", "\(ir.name) still has width choices", help: "export a decided architecture")
    }
    var library = PyOpLibrary()
    let stem = try library.add(net.stem, op: "Stem", place: "stem", parametric: false)
    var cells = [(item: Int, sites: PyCellSites)]()
    var bodies = [Int: Int]()  // item → op occurrence (layers and fixed blocks)
    for (i, item) in net.items.enumerated() {
      switch item {
      case .cell(let c): cells.append((i, try PyCellSites.add(c, item: i, to: &library)))
      case .layer(let l):
        guard l.candidates.count == 1, l.variants.isEmpty else {
          throw RunError("E330", "layer \(l.layerIndex) is not decided", help: "export a decided architecture")
        }
        let cand = l.candidates[0]
        if !(l.residual && cand.graph.isZero) {
          bodies[i] = try library.add(cand.graph, op: cand.name, place: "layers\(i)")
        }
      case .fixed(let name, let g): bodies[i] = try library.add(g, op: name, place: "blocks\(i)")
      case .route:
        throw RunError("E330", "routing blocks (DenseNAS) have no PyTorch export in this version", help: coverage)
      case .memory:
        throw RunError("E330", "SMASH memory-bank blocks have no PyTorch export in this version", help: coverage)
      }
    }
    let head = try library.add(net.head, op: "Head", place: "head", parametric: false)
    guard net.tokens == nil else {
      throw RunError("E330", "\(ir.name) reads token sequences (a recurrent network)", help: coverage)
    }
    try library.build()
    var taken = Set(library.classes.map(\.name))
    taken.formUnion(PyName.reserved)
    let cellClasses = try PyCellClass.classes(cells, library: library, taken: &taken)

    var out = header(
      ir: ir, fingerprint: fingerprint, weights: weights, description: weightsDescription, source: source, arch: arch)
    let helpers = library.classes.reduce(into: Set<PyHelper>()) { $0.formUnion($1.helpers) }
    for h in PyHelper.allCases where helpers.contains(h) { out += "\n\n" + h.code + "\n" }
    out += "\n\n# Ops, one class per op of the space (and per distinct structure of it).\n"
    for c in library.classes where !c.isIdentity { out += "\n\n" + c.code }
    // The ops the space names (not the stem, the head, or the preprocessing nasc names itself).
    let ops = library.classes.filter {
      $0.name != "Stem" && $0.name != "Head" && !PyCellSites.ownNames.contains($0.opName)
    }
    var names = [String]()
    for c in ops where !names.contains(c.opName) { names.append(c.opName) }
    out += "\n\n# The ops by their names in the space (several classes: one per structure, e.g. per stride).\nOPS = {\n"
    for name in names {
      let classes = ops.filter { $0.opName == name }.map(\.name)
      out +=
        "    \(PyName.literal(name)): \(classes.count == 1 ? classes[0] : "(\(classes.joined(separator: ", ")))"),\n"
    }
    out += "}\n"
    if !cellClasses.isEmpty {
      out += "\n\n# Cells, one class per cell template.\n"
      for c in cellClasses { out += "\n\n" + c.code }
    }
    out += "\n\n" + networkClass(ir: ir, library: library, stem: stem, head: head, bodies: bodies, cells: cellClasses)
    out += "\n\n" + PyRuntime.loader
    return out
  }

  private static func header(
    ir: SpaceIR, fingerprint: String, weights: String?, description: String, source: String, arch: String?
  ) -> String {
    let net = ir.network
    let command = "nasc export \(source)\(arch.map { " --arch \($0)" } ?? "") --pytorch FILE"
    var doc = """
      \"\"\"\(PyName.comment(ir.name)) as a standalone PyTorch module, written by nasc \(nascVersion).

      Command:     \(PyName.comment(command))
      Space:       \(PyName.comment(ir.file))
      Network:     sha256 \(fingerprint) (nasc's fingerprint of the network; a checkpoint of another network is refused)
      Weights:     \(PyName.comment(description))

      """
    if let genotype = ArchExport.genotype(ir) { doc += "Genotype:    \(PyName.comment(genotype.description))\n" }
    if let nb201 = ArchExport.nb201(ir) { doc += "NB201:       \(PyName.comment(nb201.description))\n" }
    let load = weights.map { PyName.literal($0) } ?? "\"RUN/checkpoint.safetensors\""
    doc += """

      The evaluation skeleton (auxiliary head excluded) in evaluation-mode semantics: dropout and drop
      path are off. Batch norm uses eps 1e-5 (PyTorch's default, as nasc). Input: float32 images
      N x \(net.input.channels) x \(net.input.height) x \(net.input.width), normalised as `nasc train` normalises them; output: N x \(net.classes) logits.

          model = load_nasc_checkpoint(Network(), \(PyName.comment(load)))
          logits = model(images)

      Network() alone has PyTorch's initialisation, not nasc's: the weights come from a checkpoint.
      Checkpoint names map to attribute paths by `nasc_name`.
      \"\"\"

      import json
      import os
      import re
      import struct

      import torch
      import torch.nn.functional as F
      from torch import nn

      NASC_VERSION = \(PyName.literal(nascVersion))
      NETWORK_FINGERPRINT = \(PyName.literal(fingerprint))
      CHECKPOINT = \(weights.map { PyName.literal($0) } ?? "None")
      INPUT_SHAPE = (\(net.input.channels), \(net.input.height), \(net.input.width))
      CLASSES = \(net.classes)

      """
    return doc
  }

  private static func networkClass(
    ir: SpaceIR, library: PyOpLibrary, stem: Int, head: Int, bodies: [Int: Int], cells: [PyCellClass]
  ) -> String {
    let net = ir.network
    var initLines = [String]()
    var forwardLines = [String]()
    let stemClass = library.opClass(stem)
    var stemName = "x"
    if !stemClass.isIdentity {
      initLines.append("self.stem = \(stemClass.call { _ in "" })")
      forwardLines.append("stem = self.stem(x)")
      stemName = "stem"
    }
    var previous = stemName
    for (i, item) in net.items.enumerated() {
      let y = "x\(i)"
      switch item {
      case .cell(let c):
        let call = cells.compactMap { $0.calls[i] }.first!
        initLines.append("self.cells\(i) = \(call)")
        let ins = c.inputs.map { $0.source < 0 ? stemName : "x\($0.source)" }
        forwardLines.append("\(y) = self.cells\(i)(\(ins.joined(separator: ", ")))")
      case .layer(let l):
        guard let site = bodies[i] else {
          forwardLines.append("\(y) = \(previous)  # layers\(i): none, the layer is removed")
          break
        }
        let cls = library.opClass(site)
        let args = PyOpClass.arguments(of: library.graph(of: site))
        initLines.append("self.layers\(i) = \(cls.call { "\(args[$0]!)" })  # \(PyName.comment(l.candidates[0].name))")
        forwardLines.append("\(y) = self.layers\(i)(\(previous))\(l.residual ? " + \(previous)" : "")")
      case .fixed(let name, _):
        let site = bodies[i]!
        let cls = library.opClass(site)
        let args = PyOpClass.arguments(of: library.graph(of: site))
        initLines.append("self.blocks\(i) = \(cls.call { "\(args[$0]!)" })  # \(PyName.comment(name))")
        forwardLines.append("\(y) = self.blocks\(i)(\(previous))")
      case .route, .memory: break  // rejected before
      }
      previous = y
    }
    let headClass = library.opClass(head)
    var logits = previous
    if !headClass.isIdentity {
      initLines.append("self.head = \(headClass.call { _ in "" })")
      logits = "self.head(\(previous))"
    }
    let headRank = net.head.nodes.reduce(4) { rank, n in
      switch n.op {
      case .linear: 2
      case .conv, .globalAvgPool, .concat, .zero: 4
      default: rank
      }
    }
    forwardLines.append("return \(headRank == 2 ? logits : "torch.flatten(\(logits), 1)")")
    var code = "class Network(nn.Module):\n"
    code += "    \"\"\"\(PyName.comment(ir.name)): the evaluation skeleton, \(net.items.count) body items.\"\"\"\n\n"
    code += "    def __init__(self):\n        super().__init__()\n"
    for l in initLines { code += "        \(l)\n" }
    code += "\n    def forward(self, x):\n"
    for l in forwardLines { code += "        \(l)\n" }
    return code
  }
}
