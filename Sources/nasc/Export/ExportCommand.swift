import ArgumentParser
import Foundation
import NASCExport
import NASCSearch
import NASCSpace

/// `nasc export ARCH --onnx FILE | --pytorch FILE | --dot FILE [--weights CHECKPOINT]`: hand a
/// decided network to other tools.
struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Export a decided architecture: ONNX, a standalone PyTorch module, Graphviz DOT.",
    discussion: """
      ARCH is an arch file (which names its space), or a space together with --arch (a genotype \
      string, an NB201 string or a published name). The evaluation skeleton is exported (auxiliary \
      head excluded) with the weights of a `nasc train` checkpoint (--weights), or with initialised \
      weights, which the files then say. Nothing is left behind when an export fails.
      """)

  @Argument(help: "An arch file, or the space when --arch names the architecture.")
  var path: String

  @Option(
    help: "The architecture within the space: an arch file, a genotype string, an NB201 string or a published name.")
  var arch: String?

  @Option(help: "A `nasc train` checkpoint (or its run directory) whose weights the export carries.")
  var weights: String?

  @Option(help: "Write the network as an ONNX model (opset 13) to this file.")
  var onnx: String?

  @Option(
    help:
      "Write the network as a standalone PyTorch module (one Python file: a class per op and cell type, load_nasc_checkpoint)."
  )
  var pytorch: String?

  @Option(help: "The batch size the ONNX model declares (default: dynamic, named N).")
  var batch: Int?

  @Option(help: "Write a Graphviz DOT drawing of the network's cells to this file.")
  var dot: String?

  @Option(
    name: .customLong("pytorch-search"),
    help: "Write the space's supernet as PyTorch modules and a torchrun search script into this new directory.")
  var pytorchSearch: String?

  @Option(help: "The search method of --pytorch-search (default: the space's): darts, pc-darts or gdas.")
  var method: String?

  @Option(
    name: .customLong("from"),
    help: "A nasc search run of the space: --pytorch-search then also writes its first step, to compare losses.")
  var fromRun: String?

  @Option(help: "Use only the first this many training images in --pytorch-search's data.")
  var limit: Int?

  @Option(
    name: .customLong("io-sample"),
    help: "Write the first --samples test images of --data and nasc's logits for them (safetensors: input, logits).")
  var ioSample: String?

  @Option(help: "The data set of --io-sample.")
  var data = "digits"

  @Option(help: "Images in --io-sample.")
  var samples = 16

  @Option(help: "Average-pool --io-sample images by this factor.")
  var downsample: Int?

  @Flag(help: "Use the search skeleton instead of the evaluation skeleton.")
  var searchSkeleton = false

  @Flag(
    name: .customLong("fit-data"),
    help: "Build the network at --data's image shape and class count, as `nasc train --fit-data` does.")
  var fitData = false

  @Option(help: "The seed of initialised weights (without --weights).")
  var seed: UInt64 = 1

  func validate() throws {
    guard onnx != nil || pytorch != nil || dot != nil || ioSample != nil || pytorchSearch != nil else {
      throw ValidationError(
        "say what to write: --onnx FILE, --pytorch FILE, --dot FILE, --io-sample FILE or --pytorch-search DIR")
    }
    if pytorchSearch != nil && (onnx != nil || pytorch != nil || ioSample != nil || arch != nil || weights != nil) {
      throw ValidationError(
        "--pytorch-search exports a search space: it takes no --arch, --weights, --onnx, --pytorch or --io-sample")
    }
    if fromRun != nil && pytorchSearch == nil { throw ValidationError("--from goes with --pytorch-search") }
    if let limit, limit < 4 { throw ValidationError("--limit must be at least 4") }
    for (flag, value) in [
      ("--onnx", onnx), ("--pytorch", pytorch), ("--dot", dot), ("--io-sample", ioSample),
      ("--pytorch-search", pytorchSearch),
    ] {
      if value?.isEmpty == true { throw ValidationError("\(flag) needs a file name") }
    }
    if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
    if !(1...10_000).contains(samples) { throw ValidationError("--samples must be between 1 and 10000") }
    if let downsample, !(1...16).contains(downsample) { throw ValidationError("--downsample must be between 1 and 16") }
  }

  func run() throws {
    if let pytorchSearch {
      let (ir, sources) = try compileOrExit(path, CompileOptions(eval: false, method: method))
      try reportingRunErrors {
        try PyTorchSearchExport.write(
          ir: ir, sources: sources, to: pytorchSearch, data: data, limit: limit, downsample: downsample, from: fromRun)
        Terminal.err(
          "wrote \(pytorchSearch): run it with torchrun --nproc_per_node 2 \(pytorchSearch)/search.py\(fromRun == nil ? "" : " (python3 \(pytorchSearch)/search.py --init-from \(fromRun!)/checkpoint.safetensors --check-first-step compares the first step)")\n"
        )
      }
      return
    }
    var options = CompileOptions(eval: !searchSkeleton, arch: arch)
    if fitData { options = try fittingData(options, TrainSettings(data: data, downsample: downsample)) }
    let (ir, _) = try compileOrExit(path, options)
    // An op with no PyTorch equivalent is reported as such (E330), before the engine builds the
    // network, and before any file is written.
    if pytorch != nil { try reportingRunErrors { try PyTorchExport.check(ir) } }
    if let dot {
      try reportingRunErrors { try AtomicFile.write(DotWriter.dot(ir), to: dot) }
    }
    guard onnx != nil || pytorch != nil || ioSample != nil else { return }
    try reportingRunErrors {
      let network = try ExportedNetwork(ir: ir, weights: weights, seed: seed)
      let python = try pytorch.map { _ in try PyTorchExport.module(network, source: path, arch: arch) }
      if let onnx {
        let bytes = try ONNXExport.model(network, batch: batch, source: path, arch: arch)
        try AtomicFile.write(bytes, to: onnx)
        Terminal.err("wrote \(onnx): \(network.graph.nodes.count) ops, \(network.weightsDescription)\n")
      }
      if let pytorch, let python {
        try AtomicFile.write(python, to: pytorch)
        Terminal.err("wrote \(pytorch): PyTorch module of \(network.ir.name), \(network.weightsDescription)\n")
      }
      if let ioSample {
        try network.writeSample(data: data, count: samples, downsample: downsample, to: ioSample)
        Terminal.err("wrote \(ioSample): \(samples) images of \(data) and their logits\n")
      }
    }
  }
}
