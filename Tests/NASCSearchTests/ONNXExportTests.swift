import Foundation
import Testing

/// Whether python3 can import every module in `modules`.
func pythonHas(_ modules: String...) -> Bool {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  p.arguments = ["python3", "-c", "import " + modules.joined(separator: ", ")]
  p.standardOutput = FileHandle.nullDevice
  p.standardError = FileHandle.nullDevice
  guard (try? p.run()) != nil else { return false }
  p.waitUntilExit()
  return p.terminationStatus == 0
}

/// Where the ONNX cross-check runs: wherever onnx and onnxruntime are installed (scripts/setup
/// --tests installs them), and always in CI, where their absence is a failure.
let onnxCrossCheck = pythonHas("onnx", "onnxruntime", "safetensors") || ProcessInfo.processInfo.environment["CI"] != nil

/// Runs `scripts/check-onnx-export MODEL SAMPLE` and returns its exit status and JSON report.
func checkONNX(model: String, sample: String) throws -> (status: Int32, report: [String: Any]) {
  let (status, output) = try runPython([repoRoot + "/scripts/check-onnx-export", model, sample])
  let line = output.split(separator: "\n").last.map(String.init) ?? ""
  let report = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
  return (status, report ?? ["output": output])
}

@Suite("ONNX export") struct ONNXExportTests {
  /// A short `nasc train`, then `nasc export --onnx` with its checkpoint: onnx.checker passes and
  /// onnxruntime's logits on 16 test images equal nasc's within 1e-4.
  @Test(
    .enabled(if: onnxCrossCheck, "python3 with onnx, onnxruntime and safetensors"),
    arguments: [
      (["spaces/darts-digits.yaml", "--arch", "DARTS_V2"], "darts-v2"),
      (["--arch", "examples/mobilenetv2.yaml", "--fit-data"], "mobilenetv2"),
      // Squeeze-and-excitation: an [N, C] gate times an [N, C, 8, 8] map (reshaped to [N, C, 1, 1]).
      (["--arch", "Tests/NASCSearchTests/Spaces/squeeze-excite-se-arch.yaml"], "squeeze-excite-se"),
      // [N, C] vectors read as [N, C, 1, 1] by conv and concat.
      (["--arch", "Tests/NASCSearchTests/Spaces/vector-meets-maps.yaml"], "vector-meets-maps"),
    ])
  func exportedModelMatchesTheEngine(trainArgs: [String], name: String) throws {
    let dir = try TempDir()
    let run = dir.path + "/run"
    let train = try runNasc(
      ["train"] + trainArgs.map { $0.hasSuffix(".yaml") ? repoRoot + "/" + $0 : $0 } + [
        "--epochs", "1", "--limit", "64", "--batch-size", "32", "--out", run,
      ])
    #expect(train.status == 0, "\(train.stderr)")
    // The arch (or space) and flags `nasc train` took, for export.
    var exportArgs = ["export"]
    if trainArgs[0] == "--arch" {
      exportArgs += [repoRoot + "/" + trainArgs[1]] + trainArgs.dropFirst(2)
    } else {
      exportArgs += [repoRoot + "/" + trainArgs[0], "--arch", trainArgs[2]]
    }
    let model = dir.path + "/\(name).onnx", sample = dir.path + "/sample.safetensors"
    let export = try runNasc(exportArgs + ["--weights", run, "--onnx", model, "--io-sample", sample])
    #expect(export.status == 0, "\(export.stderr)")
    #expect(export.stderr.contains("trained weights from \(run)/checkpoint.safetensors"))
    let (status, report) = try checkONNX(model: model, sample: sample)
    #expect(status == 0, "\(report)")
    #expect((report["max_abs_diff"] as? Double ?? 1) <= 1e-4)
    #expect(report["images"] as? Int == 16)
    #expect(report["opset"] as? [Int] == [13])
    let meta = report["metadata"] as? [String: String] ?? [:]
    #expect(meta["nasc.network_sha256"]?.count == 64 && meta["nasc.space_sha256"]?.count == 64)
    #expect(meta["nasc.weights"] == "\(run)/checkpoint.safetensors")
    if name == "darts-v2" { #expect(meta["nasc.genotype"]?.hasPrefix("Genotype(normal=[('sep_conv_3x3', 0)") == true) }
  }

  /// Initialised weights are exported too, and the model says so; a DenseNAS route exports as
  /// the blocks of its path.
  @Test(
    .enabled(if: onnxCrossCheck, "python3 with onnx, onnxruntime and safetensors"),
    arguments: [
      ["Tests/NASCSearchTests/Spaces/tiny-digits.yaml", "--arch", "DARTS_V1"],
      ["Tests/NASCSearchTests/Spaces/densenas-digits-arch.yaml"],
    ])
  func initialisedWeightsAreSaidSo(args: [String]) throws {
    let dir = try TempDir()
    let model = dir.path + "/m.onnx", sample = dir.path + "/s.safetensors"
    let r = try runNasc(
      [
        "export", repoRoot + "/" + args[0],
      ] + args.dropFirst() + [
        "--onnx", model, "--io-sample", sample, "--samples", "5", "--batch", "5",
      ])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("initialised weights"))
    let (status, report) = try checkONNX(model: model, sample: sample)
    #expect(status == 0, "\(report)")
    let meta = report["metadata"] as? [String: String] ?? [:]
    #expect(meta["nasc.weights"] == "initialised")
    // An arch document travels whole in the metadata; a genotype string as given.
    if args.count == 1 {
      #expect(meta["nasc.arch_document"]?.contains("route.path: [0, 2, 5, 7, 8]") == true)
    } else {
      #expect(meta["nasc.arch"] == "DARTS_V1" && meta["nasc.arch_document"] == nil)
    }
  }

  /// Bad input is a coded error, and no file is left behind.
  @Test func badExportsAreCodedErrorsAndLeaveNoFile() throws {
    let dir = try TempDir()
    let model = dir.path + "/m.onnx"
    func expectError(_ args: [String], _ code: String, _ text: String) throws {
      let r = try runNasc(["export"] + args + ["--onnx", model])
      #expect(r.status == 1, "\(args): \(r.stderr)")
      #expect(r.stderr.contains("error[\(code)]") && r.stderr.contains(text), "\(args): \(r.stderr)")
      #expect(!FileManager.default.fileExists(atPath: model))
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }.isEmpty)
    }
    // A space with open choices.
    try expectError([repoRoot + "/spaces/darts-digits.yaml"], "E313", "still has open choices")
    // A recurrent network, which the engine does not build yet.
    try expectError([repoRoot + "/spaces/darts-rnn.yaml", "--arch", "DARTS_RNN_V2"], "E312", "recurrent")
    // A checkpoint of another network: train one architecture, export another with its weights.
    let run = dir.path + "/run"
    let tiny = repoRoot + "/Tests/NASCSearchTests/Spaces/tiny-digits.yaml"
    let a = "DARTS_V2"
    let t = try runNasc([
      "train", tiny, "--arch", a, "--epochs", "1", "--limit", "32", "--batch-size", "16", "--out", run,
    ])
    #expect(t.status == 0, "\(t.stderr)")
    let b = "DARTS_V1"
    try expectError([tiny, "--arch", b, "--weights", run], "E304", "another network")
    // Not a checkpoint at all.
    try "not a checkpoint".write(toFile: dir.path + "/bogus.safetensors", atomically: true, encoding: .utf8)
    try expectError(
      [tiny, "--arch", a, "--weights", dir.path + "/bogus.safetensors"], "E303", "cannot read the checkpoint")
    try expectError([tiny, "--arch", a, "--weights", dir.path + "/missing"], "E201", "no checkpoint")
    // Nothing to write is a usage error.
    let none = try runNasc(["export", tiny, "--arch", a])
    #expect(none.status == 2 && none.stderr.contains("--onnx FILE"))
  }
}
