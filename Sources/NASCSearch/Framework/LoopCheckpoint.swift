import Foundation
import NASCSpace
import NASCTensor

/// What a search checkpoint says about its run, besides the tensors: enough to rebuild the same
/// method with the same hyperparameters and continue.
public struct SearchCheckpointInfo: Codable, Sendable {
  /// The checkpoint layout version.
  public var format: Int
  /// SHA-256 of the space's sources.
  public var spaceHash: String
  /// The method name.
  public var method: String
  /// Every hyperparameter of the method as `KEY=VALUE`, as resolved when the run started.
  public var hyperparameters: [String]
  /// The run's own settings.
  public var run: RunSettings
  var loop: LoopState
}

/// Search checkpoints: one safetensors file holding every parameter set of the current phase as
/// `<set>/<tensor>`, each optimizer's state as `<set>.optimizer/<entry>`, and the loop's and the
/// method's state as JSON in the metadata key `nasc.search`. Written atomically.
public enum LoopCheckpoint {
  /// The current layout version.
  public static let format = 2

  /// Writes `loop`'s whole state to `url`.
  public static func save(
    _ loop: SearchLoop, spaceHash: String, hyperparameters: [String], run: RunSettings, to url: URL
  ) throws {
    let info = SearchCheckpointInfo(
      format: format, spaceHash: spaceHash, method: type(of: loop.method).name, hyperparameters: hyperparameters,
      run: run, loop: try loop.state())
    var tensors = [String: Tensor]()
    for set in loop.method.parameterSets {
      for (k, t) in set.tensors() { tensors["\(set.name)/\(k)"] = t }
      if let opt = set.optimizer {
        for (k, t) in opt.stateDict() { tensors["\(set.name).optimizer/\(k)"] = t }
        tensors["\(set.name).optimizer/lr"] = Tensor(opt.learningRate)
      }
    }
    do {
      try Safetensors.write(tensors, metadata: ["nasc.search": try RunState.encode(info)], to: url)
    } catch {
      throw RunError(
        "E301", "cannot write the checkpoint: \(error)", help: "check free disk space and permissions", path: url.path)
    }
  }

  /// Reads what a checkpoint says about its run; `E303` for a damaged file, one of another kind or
  /// of an older layout.
  public static func info(at url: URL) throws -> SearchCheckpointInfo {
    let info = try RunState.read(SearchCheckpointInfo.self, key: "nasc.search", from: url, kind: "search")
    guard info.format == format else {
      throw RunError(
        "E303", "the checkpoint has layout \(info.format); this nasc reads layout \(format)",
        help: "it was written by another version of nasc: start a new run", path: url.path)
    }
    return info
  }

  /// The tensors of parameter set `set` (without the prefix), e.g. α for `nasc derive`.
  public static func tensors(of set: String, at url: URL) throws -> [String: Tensor] {
    let all: [String: Tensor]
    do { all = try Safetensors.read(from: url).tensors } catch {
      throw RunState.unreadable(url, error)
    }
    let prefix = set + "/"
    var out = [String: Tensor]()
    for (k, t) in all where k.hasPrefix(prefix) { out[String(k.dropFirst(prefix.count))] = t }
    return out
  }

  /// A loop for `method` continuing from the checkpoint at `url`: the method's state, its phase's
  /// parameter sets and their optimizers restored. Throws `E304` when the checkpoint belongs to
  /// another space or method.
  public static func resume(_ method: any SearchMethod, from url: URL, spaceHash: String) throws -> SearchLoop {
    let info = try Self.info(at: url)
    guard info.spaceHash == spaceHash else {
      throw RunError.spaceChanged(
        saved: info.spaceHash, now: spaceHash,
        help: "resume with the space file the run started from, or start a new run in another --out directory",
        path: url.path)
    }
    let name = type(of: method).name
    guard info.method == name else {
      throw RunError(
        "E304", "the checkpoint was written by a \(info.method) search, not \(name)",
        help: "resume with --method \(info.method)", path: url.path)
    }
    let loop = try SearchLoop(method: method, resuming: info.loop)
    let all: [String: Tensor]
    do { all = try Safetensors.read(from: url).tensors } catch {
      throw RunState.unreadable(url, error)
    }
    do {
      for set in method.parameterSets {
        var own = [String: Tensor](), opt = [String: Tensor]()
        for (k, t) in all {
          if k.hasPrefix(set.name + "/") { own[String(k.dropFirst(set.name.count + 1))] = t }
          if k.hasPrefix(set.name + ".optimizer/") { opt[String(k.dropFirst(set.name.count + 11))] = t }
        }
        try set.load(own)
        if let o = set.optimizer {
          if let lr = opt.removeValue(forKey: "lr") {
            guard lr.count == 1, lr.scalars[0].isFinite else {
              throw CheckpointError.shapeMismatch(set.name + ".optimizer/lr", expected: [1], found: lr.shape)
            }
            o.learningRate = lr.scalars[0]
          }
          try o.load(stateDict: opt)
        }
      }
    } catch let e as CheckpointError {
      throw RunError(
        "E304", "the checkpoint does not fit this run: \(e)",
        help: "resume with the space and method the run started with", path: url.path)
    }
    return loop
  }
}
