import Foundation
import NASCSearch
import NASCSpace
import NASCTensor
import SwiftProtobuf

/// A decided network as an ONNX model (opset 13): one ONNX node per engine primitive, the weights
/// as initialisers named as in the checkpoint, input `input` (NCHW) and output `logits`.
public enum ONNXExport {
  /// The ONNX operator set the models use.
  public static let opset: Int64 = 13

  /// The serialised `ModelProto` of `network`. `batch` fixes the input's batch size (dynamic,
  /// named `N`, when nil); `source` and `arch` (the command's arguments) go into the metadata with
  /// the network's fingerprint.
  public static func model(_ network: ExportedNetwork, batch: Int? = nil, source: String, arch: String?) throws -> Data
  {
    var graph = Onnx_GraphProto()
    graph.name = network.ir.name
    var emitter = ONNXGraphEmitter(network.graph)
    try emitter.emitAll()
    graph.node = emitter.nodes
    graph.initializer = emitter.initializers
    let g = network.graph
    graph.input = [valueInfo("input", batch: batch, rest: [g.input.channels, g.input.height, g.input.width])]
    graph.output = [valueInfo("logits", batch: batch, rest: [network.ir.network.classes])]

    var model = Onnx_ModelProto()
    model.irVersion = 8
    model.producerName = "nasc"
    model.producerVersion = nascVersion
    model.domain = "org.nasc"
    model.docString =
      "\(network.ir.name), exported by nasc \(nascVersion) from \(source)\(arch.map { " --arch \($0)" } ?? ""): \(network.weightsDescription)"
    var opsetID = Onnx_OperatorSetIdProto()
    opsetID.domain = ""
    opsetID.version = opset
    model.opsetImport = [opsetID]
    var meta: [(String, String)] = [
      ("nasc.space", network.ir.file), ("nasc.network_sha256", network.fingerprint),
      ("nasc.weights", network.weights ?? "initialised"),
    ]
    if let bytes = FileManager.default.contents(atPath: network.ir.file) {
      meta.append(("nasc.space_sha256", Fingerprint.sha256(Array(bytes))))
    }
    if let arch { meta.append(("nasc.arch", arch)) }
    // An arch document (a file naming its space) travels whole.
    let sourceURL = URL(fileURLWithPath: source).standardizedFileURL
    if arch == nil, sourceURL != URL(fileURLWithPath: network.ir.file).standardizedFileURL,
      let text = try? String(contentsOf: sourceURL, encoding: .utf8)
    {
      meta.append(("nasc.arch_document", text))
    }
    if let genotype = ArchExport.genotype(network.ir) { meta.append(("nasc.genotype", genotype.description)) }
    if let nb201 = ArchExport.nb201(network.ir) { meta.append(("nasc.nb201", nb201.description)) }
    model.metadataProps = meta.map { key, value in
      var e = Onnx_StringStringEntryProto()
      e.key = key
      e.value = value
      return e
    }
    model.graph = graph
    do { return try model.serializedData() } catch {
      throw RunError("E330", "cannot serialise the ONNX model: \(error)", help: "report this as a nasc bug")
    }
  }

  /// A float tensor's value info `[batch or N, rest...]`.
  static func valueInfo(_ name: String, batch: Int?, rest: [Int]) -> Onnx_ValueInfoProto {
    var shape = Onnx_TensorShapeProto()
    var n = Onnx_TensorShapeProto.Dimension()
    if let batch { n.dimValue = Int64(batch) } else { n.dimParam = "N" }
    shape.dim =
      [n]
      + rest.map { d in
        var dim = Onnx_TensorShapeProto.Dimension()
        dim.dimValue = Int64(d)
        return dim
      }
    var tensor = Onnx_TypeProto.Tensor()
    tensor.elemType = Onnx_TensorProto.DataType.float.rawValue32
    tensor.shape = shape
    var type = Onnx_TypeProto()
    type.tensorType = tensor
    var info = Onnx_ValueInfoProto()
    info.name = name
    info.type = type
    return info
  }
}

extension Onnx_TensorProto.DataType {
  /// The value as `TensorProto.data_type` stores it.
  var rawValue32: Int32 { Int32(rawValue) }
}
