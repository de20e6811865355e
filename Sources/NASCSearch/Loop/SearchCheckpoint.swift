import Foundation
import NASCTensor

/// The non-tensor state of a search, saved as JSON in the checkpoint's metadata.
struct SearchRunState: Codable {
  var format = 1
  var spaceHash: String
  var settings: SearchSettings
  var epoch: Int
  var stepInEpoch: Int
  var trainSampler: SamplerState
  var valSampler: SamplerState
  var planRNG: UInt64
  var accumulator: EpochAccumulator
  var history: [EpochMetrics]
}

extension SearchRun {
  /// Writes the whole run state to `url` atomically (weights, BN statistics, α/β, optimizer states,
  /// generator states, position and metrics so far).
  public func saveCheckpoint(to url: URL, spaceHash: String) throws {
    let state = SearchRunState(
      spaceHash: spaceHash, settings: settings, epoch: epoch, stepInEpoch: stepInEpoch,
      trainSampler: trainSampler.state,
      valSampler: valSampler.state, planRNG: planRNG.state, accumulator: accumulator, history: history)
    let json = try RunState.encode(state)
    do {
      try Checkpoint.save(
        module: model, optimizers: ["weights": weightOptimizer, "arch": archOptimizer], extra: arch.stateDict(),
        metadata: ["nasc.search": json], to: url)
    } catch {
      throw SearchError(
        "E301", "cannot write the checkpoint: \(error)", help: "check free disk space and permissions", path: url.path)
    }
  }

  /// Reads the settings stored in a search checkpoint (to rebuild the run before restoring it).
  public static func checkpointSettings(at url: URL) throws -> (settings: SearchSettings, spaceHash: String) {
    let state = try readState(url)
    return (state.settings, state.spaceHash)
  }

  static func readState(_ url: URL) throws -> SearchRunState {
    try RunState.read(SearchRunState.self, key: "nasc.search", from: url, kind: "search")
  }

  /// Restores everything `saveCheckpoint` wrote. Throws `E304` if the checkpoint belongs to another
  /// space (hash or tensor shapes differ).
  public func restore(from url: URL, spaceHash: String) throws {
    let state = try Self.readState(url)
    guard state.spaceHash == spaceHash else {
      throw SearchError.spaceChanged(
        saved: state.spaceHash, now: spaceHash,
        help: "resume with the space file the run started from, or start a new run in another --out directory",
        path: url.path)
    }
    do {
      let (extra, _) = try Checkpoint.load(
        module: model, optimizers: ["weights": weightOptimizer, "arch": archOptimizer], from: url)
      try arch.load(extra)
    } catch let e as CheckpointError {
      throw SearchError(
        "E304", "the checkpoint does not fit this supernet: \(e)",
        help: "resume with the space and method the run started with", path: url.path)
    }
    epoch = state.epoch
    stepInEpoch = state.stepInEpoch
    trainSampler.restore(state.trainSampler)
    valSampler.restore(state.valSampler)
    planRNG = RNG(seed: state.planRNG)
    accumulator = state.accumulator
    history = state.history
  }
}
