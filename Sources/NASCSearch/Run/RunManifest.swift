import Foundation
import NASCSpace
import NASCTensor

/// `manifest.json`: what a run was (space, its hash, method config, seed, nasc version) and, once
/// finished, its result.
public struct RunManifest: Codable, Sendable {
  /// Per-channel normalisation applied to the data.
  public struct Normalization: Codable, Sendable {
    /// Means.
    public var mean: [Double]
    /// Standard deviations.
    public var std: [Double]
  }

  /// The result of a finished run.
  public struct Result: Codable, Sendable {
    /// The DARTS genotype string, if any.
    public var genotype: String?
    /// The arch document, relative to the run directory.
    public var arch: String
    /// Supernet validation accuracy after the last epoch (supernet methods).
    public var valAccuracy: Double?
    /// The evaluator's search signal of the result (methods that score architectures).
    public var signal: Double?
    /// The evaluator's reported figure of the result.
    public var reported: Double?
    /// Units (epochs, cycles) run.
    public var units: Int
    /// How sure the derivation is (methods that derive from α), and what its noise level rests on.
    public var confidence: Confidence? = nil
  }

  /// The confidence of a run's derivation, as `nasc derive --explain` reads it back.
  public struct Confidence: Codable, Sendable {
    /// Decisions with a margin.
    public var decisions: Int
    /// Those beyond the noise level.
    public var confident: Int
    /// The null model and learning check (`nasc derive --explain` re-derives with them).
    public var basis: RunConfidence.Basis
  }

  /// nasc version.
  public var nascVersion = NASCSpace.nascVersion
  /// The space file as given on the command line (absolute).
  public var space: String
  /// The run's copy of the space file, relative to the run directory (`space/<file>`); the copy
  /// is what `--resume`, `nasc derive` and `arch.yaml` use.
  public var spaceCopy: String?
  /// The space's name.
  public var spaceName: String
  /// SHA-256 of the space's source files.
  public var spaceHash: String
  /// The method.
  public var method: String
  /// Its hyperparameters as resolved, `KEY=VALUE`.
  public var hyperparameters: [String]
  /// The run's settings (seed, threads, data, benchmark).
  public var run: RunSettings
  /// Where the run departs from the paper's values.
  public var notes: [String]
  /// Data normalisation (nil when a table scores the architectures).
  public var normalization: Normalization?
  /// Training images (before the method's split), nil with a table.
  public var trainImages: Int?
  /// The engine's kernel build that ran (`x86-64-v3` or `baseline`; their float results differ in
  /// the last bits), nil in manifests of older versions.
  public var kernels: String? = Engine.kernels.rawValue
  /// The result, once finished.
  public var result: Result?

  /// Writes the manifest atomically, pretty-printed with sorted keys.
  public func write(to path: String) throws {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    try AtomicFile.write(try enc.finiteJSON(self, of: "a value of the manifest") + Data("\n".utf8), to: path)
  }

  /// Reads a manifest.
  public static func read(from path: String) throws -> RunManifest {
    guard let d = FileManager.default.contents(atPath: path) else {
      if FileManager.default.fileExists(atPath: path) {
        throw RunError("E302", "manifest.json cannot be read", help: "check its permissions", path: path)
      }
      throw RunError(
        "E302", "no manifest.json in the run directory", help: "pass a directory written by `nasc search`", path: path)
    }
    do { return try JSONDecoder().decode(RunManifest.self, from: d) } catch {
      throw RunError(
        "E303", "manifest.json is damaged: \(error.localizedDescription)", help: "re-run the search", path: path)
    }
  }
}
