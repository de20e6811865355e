import NASCSpace
import NASCData
import Foundation
import NASCTensor

/// The non-tensor state of a run (generator states, position, metrics), stored as JSON under one
/// key of a checkpoint's safetensors metadata.
enum RunState {
  /// The error for a checkpoint that cannot be read: `E302` when there is none, else `E303`.
  static func unreadable(_ url: URL, _ error: any Error) -> RunError {
    guard FileManager.default.fileExists(atPath: url.path) else {
      return RunError(
        "E302", "the run directory has no checkpoint (\(url.lastPathComponent))",
        help: "the run ended before its first checkpoint, or the file was removed: start a new run", path: url.path)
    }
    return RunError(
      "E303", "cannot read the checkpoint: \(error)", help: "the file is damaged; start a new run", path: url.path)
  }

  /// Decodes the state stored under `key`; `E303` when the file is damaged or of another kind.
  static func read<State: Decodable>(_: State.Type, key: String, from url: URL, kind: String) throws -> State {
    let meta: [String: String]
    do { meta = try Safetensors.read(from: url).metadata } catch {
      throw RunState.unreadable(url, error)
    }
    guard let json = meta[key], let state = try? JSONDecoder().decode(State.self, from: Data(json.utf8)) else {
      throw RunError(
        "E303", "the file is not a nasc \(kind) checkpoint", help: "pass a run directory written by `nasc \(kind)`",
        path: url.path)
    }
    return state
  }

  /// `state` as the JSON string stored in the metadata.
  static func encode<State: Encodable>(_ state: State) throws -> String {
    String(decoding: try JSONEncoder().finiteJSON(state, of: "a value of the run state"), as: UTF8.self)
  }
}

/// Mean loss and accuracy of a network over `data` in evaluation mode (running BN statistics), in
/// batches of `batchSize`, with the plan `plan` gives for each batch.
func evaluateClassifier(
  _ model: SupernetModel, on data: ImageDataset, batchSize: Int = 256, batchStatistics: Bool = false,
  plan: () -> (ForwardPlan, RNG)
) -> (loss: Double, accuracy: Double) {
  if !batchStatistics { model.eval() }
  defer { model.train() }
  var lossSum = 0.0
  var hits = 0
  withNoGrad {
    var ranges = BatchSampler.sequential(data, batchSize: batchSize)
    // Batch statistics of one image are undefined after a global pool: a trailing image joins the batch before.
    if batchStatistics, ranges.count > 1, let last = ranges.last, last.count == 1 {
      ranges.removeLast()
      ranges[ranges.count - 1] = ranges[ranges.count - 1].lowerBound..<last.upperBound
    }
    for r in ranges {
      let b = data.batch(r)
      let x = Tensor(shape: [b.count, data.channels, data.height, data.width], scalars: b.pixels)
      let (p, rng) = plan()
      var ctx = ForwardContext(rng: rng)
      let (logits, _) = model(x, plan: p, context: &ctx)
      let labels = b.labels.map(Int.init)
      lossSum += Double(crossEntropy(logits: logits, labels: labels).scalar) * Double(b.count)
      hits += zip(logits.argmaxRows(), labels).filter { $0 == $1 }.count
    }
  }
  let n = Double(max(data.count, 1))
  return (lossSum / n, Double(hits) / n)
}
