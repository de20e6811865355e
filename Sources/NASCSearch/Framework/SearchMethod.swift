import NASCData
import Foundation
import NASCSpace
import NASCTensor

/// One stretch of a method's loop with its own meaning: `search` for E epochs (DARTS), `stage 2`
/// (P-DARTS), `population` then `evolve` (evolution). A phase runs `units` units (epochs,
/// generations) of `stepsPerUnit` steps each; the loop checkpoints after every unit.
public struct Phase: Codable, Equatable, Sendable {
  /// Its name, shown in the progress line.
  public var name: String
  /// What one unit is called (`epoch`, `cycle`, `architecture`).
  public var unit: String
  /// Units in the phase.
  public var units: Int
  /// Steps per unit.
  public var stepsPerUnit: Int

  /// Creates a phase.
  public init(_ name: String, unit: String = "epoch", units: Int, stepsPerUnit: Int) {
    self.name = name
    self.unit = unit
    self.units = units
    self.stepsPerUnit = stepsPerUnit
  }
}

/// Where a loop stands: the phase, the unit within it and the steps done within that unit.
public struct LoopPosition: Codable, Equatable, Sendable {
  /// The phase index.
  public var phase = 0
  /// Units completed within the phase.
  public var unit = 0
  /// Steps completed within the current unit.
  public var step = 0

  /// The start of the loop.
  public init() {}
}

/// Everything a method is built from: the compiled space, its resolved hyperparameters, the run's
/// settings, the data and the evaluator (for methods that score whole architectures).
public struct MethodContext {
  /// The compiled space (search skeleton).
  public var ir: SpaceIR
  /// The method's hyperparameters, resolved (paper default, the space's `search:`, `--set`).
  public var config: MethodConfig
  /// The run's own settings (seed, threads, data).
  public var run: RunSettings
  /// The normalised training images, for methods that train a supernet (nil with a table).
  public var data: ImageDataset?
  /// The corpus, for methods that search a token space.
  public var corpus: TokenCorpus? = nil
  /// Training augmentation.
  public var augmentation: Augmentation
  /// Scores whole architectures, for methods that ask for scores (random search, evolution).
  public var evaluator: (any Evaluator)?
  /// The data's normalisation (for the manifest).
  public var normalization: RunManifest.Normalization?

  /// Creates a context.
  public init(
    ir: SpaceIR, config: MethodConfig, run: RunSettings, data: ImageDataset?, augmentation: Augmentation = .none,
    evaluator: (any Evaluator)? = nil
  ) {
    self.ir = ir
    self.config = config
    self.run = run
    self.data = data
    self.augmentation = augmentation
    self.evaluator = evaluator
  }

  /// The space compiled again with `cells` cells (P-DARTS' deeper stages), with the same method
  /// and hyperparameters; `E305` when it no longer compiles.
  public func compile(cells: Int) throws -> SpaceIR {
    let result = Compiler.compile(
      path: ir.file,
      options: CompileOptions(method: config.name, settings: MethodRegistry.settings(of: config), cells: cells))
    guard let deeper = result.ir else {
      let first = result.diagnostics.first { $0.severity == .error }.map { "\($0.code.rawValue): \($0.message)" } ?? "?"
      throw RunError(
        "E305", "cannot compile \(ir.name) with \(cells) cells: \(first)",
        help: "check the space's skeleton: P-DARTS adds add_layers cells per stage", path: ir.file)
    }
    return deeper
  }

  /// The training images, or `E205` for a method that needs data but got a table.
  public func requireData(_ method: String) throws -> ImageDataset {
    guard let data else {
      throw RunError(
        "E205", "\(method) trains a supernet and needs a data set, not a benchmark table",
        help: "drop --benchmark and pass --data (digits is the default)")
    }
    return data
  }

  /// The corpus, or `E214` for a method on a token space that was given no text.
  public func requireCorpus(_ method: String) throws -> TokenCorpus {
    guard let corpus else {
      throw RunError(
        "E214", "\(method) on \(ir.name) reads token sequences and needs a text corpus",
        help: "pass --data kjv (bundled, the default) or ptb:DIR")
    }
    return corpus
  }

  /// The evaluator, or `E314` for a method that scores architectures but got none.
  public func requireEvaluator(_ method: String) throws -> any Evaluator {
    guard let evaluator else {
      throw RunError(
        "E314", "\(method) scores whole architectures but no evaluator was given",
        help: "pass --benchmark nb201 (a table) or let it train each architecture on --data")
    }
    return evaluator
  }
}

/// What a finished search hands back: the derived architecture and what it scored.
public struct SearchResult {
  /// The derived architecture.
  public var architecture: Architecture
  /// The search signal of the architecture (e.g. the table's 12-epoch validation accuracy), if scored.
  public var signal: Double?
  /// The reported figure (e.g. the table's 200-epoch test accuracy), if known.
  public var reported: Double?
  /// The supernet's validation accuracy after the last epoch (supernet methods).
  public var valAccuracy: Double?
  /// Further files for the run directory, by name (FairNAS' `pareto.jsonl`).
  public var files: [String: String] = [:]
  /// Every architecture the search scored with its costs (one-shot methods; for pictures).
  public var scored: [ScoredPoint] = []
  /// Further architectures by name, each written as `arch-<name>.yaml` (FairNAS: one per `--target`).
  public var alternatives: [String: Architecture] = [:]
  /// Requests the result could not meet (FairNAS: a `--target` no scored architecture meets); the
  /// run writes everything else, then fails with `E316`.
  public var unmet: [String] = []
  /// The rule the method applied to its architecture weights, when it is not the space's
  /// (ProxylessNAS and FBNet take the argmax of every layer); what the confidence summary scores.
  public var derivationRule: DeriveRule?
  /// False when the architecture was not read off the weights by a rule (sampled, or moved to meet
  /// a latency target): its decisions then have no margins.
  public var readOffWeights = true

  /// Creates a result.
  public init(architecture: Architecture, signal: Double? = nil, reported: Double? = nil, valAccuracy: Double? = nil) {
    self.architecture = architecture
    self.signal = signal
    self.reported = reported
    self.valAccuracy = valAccuracy
  }
}

/// A search method: the paper's algorithm box. It declares its parameter sets and phases; the
/// `SearchLoop` owns position, progress, interruption, checkpoints and metrics, and calls back
/// into the method for each step, at the end of each unit and phase, and for the result.
///
/// A method's whole non-tensor state (generator states, sampler positions, population, baseline,
/// stage, switches) is one `Codable` value, so a resumed run ends exactly as an uninterrupted one.
public protocol SearchMethod: AnyObject {
  /// The registry name (`darts`); it is also the key of the method's row in `MethodCatalog`.
  static var name: String { get }
  /// Whether the method reports an architecture per `--target` cost constraint.
  static var usesTargets: Bool { get }
  /// Whether it searches token-sequence spaces (recurrent cells) rather than image spaces.
  static var readsTokens: Bool { get }
  /// Builds the method for a fresh run (drawing initial weights and generator states from the seed).
  init(_ context: MethodContext) throws
  /// The phases, in order.
  var phases: [Phase] { get }
  /// The parameter sets of the current phase, by name (checkpointed with their optimizers).
  var parameterSets: [ParameterSet] { get }
  /// Where the method changes a paper value for this run (e.g. a shortened warm-up), in words.
  var notes: [String] { get }
  /// Called before the first step of phase `index`, and on resume before the tensors are loaded:
  /// a method that rebuilds its network per phase (P-DARTS) builds it here, from its state alone.
  func enterPhase(_ index: Int) throws
  /// Runs one step at `position` (steps done so far in the unit are `position.step`).
  func step(at position: LoopPosition) throws
  /// A figure shown while a unit runs (e.g. the running loss).
  var progressDetail: String { get }
  /// The metrics of the unit just completed (one line of `metrics.jsonl`) and its summary line.
  func endUnit(at position: LoopPosition) throws -> (metrics: Metrics, summary: String)
  /// Called after the last unit of phase `index` (P-DARTS prunes ops here).
  func endPhase(_ index: Int) throws
  /// The method's non-tensor state as JSON.
  func saveState() throws -> Data
  /// Restores what `saveState` wrote.
  func restoreState(_ data: Data) throws
  /// The derived architecture, once every phase has run.
  func result() throws -> SearchResult
}

extension SearchMethod {
  /// No targets by default.
  public static var usesTargets: Bool { false }
  /// Image spaces by default.
  public static var readsTokens: Bool { false }
  /// No notes by default.
  public var notes: [String] { [] }
  /// Nothing to do by default.
  public func enterPhase(_ index: Int) throws {}
  /// Nothing to do by default.
  public func endPhase(_ index: Int) throws {}
  /// No detail by default.
  public var progressDetail: String { "" }
}

/// Encodes and decodes a method's `Codable` state.
public enum MethodState {
  /// `state` as JSON; `E401` when it holds a number that is NaN or infinite.
  public static func encode<S: Encodable>(_ state: S) throws -> Data {
    try JSONEncoder().finiteJSON(state, of: "a value of the method's state")
  }

  /// Decodes a state; `E303` when it does not fit this method.
  public static func decode<S: Decodable>(_: S.Type, from data: Data, method: String) throws -> S {
    do { return try JSONDecoder().decode(S.self, from: data) } catch {
      throw RunError(
        "E303", "the checkpoint's \(method) state cannot be read: \(error.localizedDescription)",
        help: "the file is damaged or was written by another version of nasc; start a new run")
    }
  }
}

/// One scored architecture as a point of a picture: its score and costs as a whole network.
public struct ScoredPoint: Codable, Equatable, Sendable {
  /// The architecture as text.
  public var arch: String
  /// The search signal (supernet accuracy, %).
  public var signal: Double
  /// Multiply-accumulates per image.
  public var macs: Int
  /// Parameters.
  public var params: Int
  /// Whether it is on the Pareto front of everything scored (multi-objective methods).
  public var onFront: Bool

  /// Creates a point.
  public init(arch: String, signal: Double, macs: Int, params: Int, onFront: Bool = false) {
    self.arch = arch
    self.signal = signal
    self.macs = macs
    self.params = params
    self.onFront = onFront
  }
}
