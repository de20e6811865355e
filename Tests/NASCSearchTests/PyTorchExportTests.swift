import Foundation
import NASCExport
import NASCSearch
import NASCSpace
import Testing

/// `nasc export --pytorch`: the generated module's structure, its refusal of recurrent networks,
/// and (where python3 has torch) its logits against nasc's.
@Suite struct PyTorchExportTests {
  /// Whether `python3 -c "import torch"` works here.
  static let torchAvailable: Bool = {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", "import torch"]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    guard (try? p.run()) != nil else { return false }
    p.waitUntilExit()
    return p.terminationStatus == 0
  }()

  /// The generated code for DARTS_V2 has one class per cell type, taking the channel counts and
  /// `reduction_prev`, and names the ops as the space does.
  @Test func dartsModuleHasOneClassPerCellType() throws {
    let ir = try compileSpace("darts-digits.yaml", options: CompileOptions(eval: true, arch: "DARTS_V2"))
    let network = try ExportedNetwork(ir: ir, weights: nil)
    let code = try PyTorchExport.module(network, source: "spaces/darts-digits.yaml", arch: "DARTS_V2")
    let classes = code.split(separator: "\n").filter { $0.hasPrefix("class ") }.map {
      String($0.dropFirst(6).prefix { $0 != "(" })
    }
    #expect(classes.filter { $0.hasSuffix("Cell") } == ["NormalCell", "ReduceCell"])
    #expect(code.contains("def __init__(self, c_prev_prev, c_prev, c, reduction_prev):"))
    #expect(
      code.contains("FactorizedReduce(c_prev_prev, c, stride=2) if reduction_prev else ReluConvBn(c_prev_prev, c)"))
    // One class per op, named after it and listed under its name in the space.
    for (op, cls) in [("sep_conv_3x3", "SepConv3x3"), ("dil_conv_3x3", "DilConv3x3"), ("max_pool_3x3", "MaxPool3x3")] {
      #expect(classes.filter { $0 == cls }.count == 1, "\(cls)")
      #expect(code.contains("    \"\(op)\": \(cls),\n"), "OPS lists \(op)")
      #expect(code.contains("\(cls)(") && code.contains("# \(op)\n"), "the cells build \(op)")
    }
    #expect(code.contains("\"skip_connect\": nn.Identity"))
    #expect(code.contains("self.node2_edge0_from0 = SepConv3x3(c, c)  # sep_conv_3x3"))
    // The network lists the eight cells of the evaluation skeleton; no auxiliary head.
    for i in 0..<8 { #expect(code.contains("        self.cells\(i) = ")) }
    #expect(code.contains("self.cells3 = NormalCell(c_prev_prev=64, c_prev=128, c=32, reduction_prev=True)"))
    #expect(!code.contains("auxiliary = "))
    // Standalone, with the header's facts.
    #expect(!code.contains("import nasc") && !code.contains("from nasc"))
    #expect(code.contains("written by nasc \(nascVersion)"))
    #expect(code.contains("NETWORK_FINGERPRINT = \"\(network.fingerprint)\""))
    #expect(code.contains("Space:       \(ir.file)"))
    #expect(code.contains("initialised weights (no --weights given)"))
    #expect(code.contains("def load_nasc_checkpoint(model, path):"))
  }

  /// A layer-wise space gets one class per distinct op, taking c_in, c_out and stride.
  @Test func mobileNetModuleHasOneClassPerLayerOp() throws {
    // Built for 1x8x8 digits, as `--fit-data` does (the 1x1 maps of the last stages still have
    // stride-2 convolutions).
    let options = CompileOptions(eval: true, input: Shape(1, 8, 8), classes: 10)
    let ir = try #require(Compiler.compile(path: repoRoot + "/examples/mobilenetv2.yaml", options: options).ir)
    let code = try PyTorchExport.module(ExportedNetwork(ir: ir, weights: nil), source: "mobilenetv2.yaml", arch: nil)
    let classes = code.split(separator: "\n").filter { $0.hasPrefix("class ") }
    #expect(classes.count == 6, "\(classes)")  // Stem, MbconvK3E1, MbconvK3E6, LastConv, Head, Network
    #expect(code.contains("def __init__(self, c_in, c_out, stride):"))
    #expect(code.contains("self.conv0 = nn.Conv2d(c_in, c_in * 6, 1, bias=False)"))
    #expect(code.contains("self.layers1 = MbconvK3E6(16, 24, stride=2)  # mbconv_k3_e6"))
    #expect(code.contains("x2 = self.layers2(x1) + x1"))
    #expect(code.contains("self.blocks17 = LastConv(320, 1280)  # last_conv"))
  }

  /// A recurrent network (token embedding) is E330 with a hint, and no file is written.
  @Test func recurrentNetworkIsRefused() throws {
    let dir = try TempDir()
    let file = dir.path + "/rnn.py"
    let r = try runNasc([repoRoot + "/spaces/darts-rnn.yaml", "--arch", "DARTS_RNN_V2", "--pytorch", file].export)
    #expect(r.status == 1)
    #expect(r.stderr.contains("error[E330]") && r.stderr.contains("embedding"), "\(r.stderr)")
    #expect(r.stderr.contains("help: the PyTorch export covers"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: file))
  }

  /// The module, with the weights of a short `nasc train` run, gives nasc's logits (max abs
  /// difference ≤ 1e-4) on an `--io-sample`.
  /// A DARTS cell network, squeeze-and-excitation (an [N, C] gate broadcast over an 8x8 map), and
  /// [N, C] vectors read as [N, C, 1, 1] maps by conv and concat.
  @Test(
    .enabled(if: PyTorchExportTests.torchAvailable),
    arguments: [
      ["Tests/NASCSearchTests/Spaces/tiny-digits.yaml", "--arch", "DARTS_V2"],
      ["Tests/NASCSearchTests/Spaces/squeeze-excite-se-arch.yaml"],
      ["Tests/NASCSearchTests/Spaces/vector-meets-maps.yaml"],
    ])
  func logitsMatchNasc(args: [String]) throws {
    let dir = try TempDir()
    let arch = [repoRoot + "/" + args[0]] + args.dropFirst()
    let run = dir.path + "/run"
    let train = try runNasc(
      ["train"] + (args.count == 1 ? ["--arch"] : []) + arch + ["--epochs", "1", "--limit", "32", "--out", run])
    try #require(train.status == 0, "\(train.stderr)")
    let model = dir.path + "/model.py", sample = dir.path + "/sample.safetensors"
    let export = try runNasc((arch + ["--pytorch", model, "--weights", run, "--io-sample", sample]).export)
    try #require(export.status == 0, "\(export.stderr)")
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", repoRoot + "/scripts/compare-pytorch-export", model, run, sample]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let report = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(String(decoding: report, as: UTF8.self))")
    let json = try #require(try JSONSerialization.jsonObject(with: report) as? [String: Any])
    let diff = try #require(json["max_abs_diff"] as? Double)
    #expect(diff <= 1e-4)
    #expect(json["images"] as? Int == 16)
  }
}

extension Array where Element == String {
  /// `nasc export` with these arguments.
  fileprivate var export: [String] { ["export"] + self }
}
