import Foundation
import NASCData
import NASCSearch
import NASCSpace
import NASCTensor

/// A decided network ready to export: its engine model in evaluation mode (with trained weights
/// from a `nasc train` checkpoint, or freshly initialised ones), its flat graph and where it came
/// from.
public struct ExportedNetwork {
  /// The compiled architecture.
  public let ir: SpaceIR
  /// The engine model, in evaluation mode.
  public let model: SupernetModel
  /// The flat graph exporters translate.
  public let graph: NetworkGraph
  /// The checkpoint the weights came from, or nil when they are initialised from `seed`.
  public let weights: String?
  /// `TrainDriver.fingerprint` of the network.
  public let fingerprint: String

  /// Builds the network of the decided architecture `ir`; with `weights` (a `nasc train`
  /// checkpoint, or a run directory holding one) loads them. Errors: `E313` when `ir` still has
  /// choices, `E312`/`E330` when the engine or the exporters cannot build it, `E303`/`E304` for a
  /// checkpoint that is damaged or of another network.
  public init(ir: SpaceIR, weights: String?, seed: UInt64 = 1) throws {
    guard ir.mode == .fixed else {
      throw RunError(
        "E313", "\(ir.name) still has open choices; only a decided architecture can be exported",
        help: "pass --arch with an arch file, a genotype or an NB201 string")
    }
    self.ir = ir
    var rng = RNG(seed: seed)
    do { model = try SupernetModel(ir.network, rng: &rng) } catch let e as LoweringError {
      throw RunError("E312", "cannot build the network of \(ir.name): \(e.description)", help: Self.coverage)
    }
    fingerprint = TrainDriver.fingerprint(ir)
    if let weights {
      var isDirectory: ObjCBool = false
      let file =
        FileManager.default.fileExists(atPath: weights, isDirectory: &isDirectory) && isDirectory.boolValue
        ? RunDirectory(path: weights).checkpoint : weights
      guard FileManager.default.fileExists(atPath: file) else {
        throw RunError(
          "E201", "no checkpoint at \(file)",
          help: "pass the checkpoint.safetensors of a `nasc train` run, or its directory",
          path: file)
      }
      try TrainRun.loadWeights(into: model, from: URL(fileURLWithPath: file), network: fingerprint)
      self.weights = file
    } else {
      self.weights = nil
    }
    model.eval()
    do { graph = try model.graph() } catch let e as LoweringError {
      throw RunError("E330", "cannot export \(ir.name): \(e.description)", help: Self.coverage)
    }
  }

  static let coverage =
    "export covers decided cell and layer-wise networks (convolutions, batch norm, pooling, linear layers and the element-wise ops)"

  /// The logits of the network for a batch of images `x` (`[n, c, h, w]`), from nasc's engine.
  public func logits(_ x: Tensor) -> Tensor {
    var context = ForwardContext(rng: RNG(seed: 0))
    return model(x, plan: ForwardPlan(), context: &context).logits
  }

  /// A sample for checking an export: the first `count` test images of `data` (normalised as
  /// `nasc train` normalises them) and nasc's logits for them, as a safetensors file with tensors
  /// `input` and `logits`.
  public func writeSample(data: String, count: Int, downsample: Int?, to path: String) throws {
    let source = try DataSource(parsing: data)
    let test = try SearchDriver.loadData(source, limit: nil, downsample: downsample).test
    try SearchDriver.checkInput(test, fits: ir, otherwise: "--downsample")
    let n = min(count, test.count)
    let x = Tensor(
      shape: [n, test.channels, test.height, test.width], scalars: Array(test.pixels[0..<(n * test.imageSize)]))
    let y = logits(x)
    do {
      try Safetensors.write(
        ["input": x, "logits": y], metadata: ["nasc.fingerprint": fingerprint], to: URL(fileURLWithPath: path))
    } catch {
      throw RunError(
        "E301", "cannot write \(path): \(error)", help: "check the directory exists and is writable", path: path)
    }
  }

  /// A one-line account of the weights, for doc strings.
  public var weightsDescription: String {
    weights.map { "trained weights from \($0)" } ?? "initialised weights (no --weights given): not trained"
  }
}
