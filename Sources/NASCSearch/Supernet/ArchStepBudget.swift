import Foundation
import NASCData
import NASCSpace

/// The architecture steps a DARTS-family search takes against the paper's, and the architecture
/// learning rate that follows from them (`arch_lr_scale`).
///
/// Adam moves each α by at most about its learning rate per step, so the paper's rate only moves α
/// as far as the paper's search did when the run takes as many architecture steps. A 20-epoch
/// digits search takes 580 where DARTS' CIFAR-10 search took 19,550: at 3·10⁻⁴ no logit can move
/// more than ~0.17 and softmax(α) stays near uniform. `budget` (the default) multiplies the rate by
/// paper steps ÷ run steps, between 1× and `maxScale`; `paper` keeps the rate as given (and is what
/// a space or `--set` that gives `arch_lr` without `arch_lr_scale` gets).
public struct ArchStepBudget: Codable, Equatable, Sendable {
  /// The architecture steps of the paper's search (CIFAR-10: 25,000 images per half).
  public var paperSteps: Int
  /// The architecture steps this run takes (per stage for P-DARTS, whose α restart each stage).
  public var runSteps: Int
  /// `arch_lr` as given (the paper's unless set).
  public var givenRate: Double
  /// The rate the run uses.
  public var rate: Double
  /// `rate / givenRate`.
  public var scale: Double { givenRate > 0 ? rate / givenRate : 1 }

  /// The largest factor `budget` applies.
  public static let maxScale = 100.0

  /// Architecture steps of each method's paper search on CIFAR-10 (METHODS.md): DARTS 50 epochs
  /// × ⌈25,000/64⌉; GDAS 250 × ⌈25,000/256⌉; PC-DARTS (50 − 15 warm-up) × ⌈25,000/256⌉;
  /// P-DARTS (25 − 10 warm-up) × ⌈25,000/96⌉ per stage.
  public static let paperSteps: [String: Int] = [
    "darts": 50 * 391, "gdas": 250 * 98, "pc-darts": 35 * 98, "p-darts": 15 * 261,
  ]

  /// Weight steps per epoch on `data`: the batches of the weight half (batches are cut to it).
  public static func stepsPerEpoch(_ settings: BilevelSettings, data: ImageDataset) -> Int {
    let half = data.split(portion: settings.trainPortion).first.count
    return half / max(1, min(settings.batchSize, half))
  }

  /// Resolves `arch_lr_scale` for a run of `method` whose α take `archEpochs` epochs of steps on
  /// `data`, and sets `settings.archLR` to the rate to use.
  public init(
    _ h: Hyperparameters, method: String, settings: inout BilevelSettings, archEpochs: Int, data: ImageDataset
  )
    throws
  {
    let mode = try h.string("arch_lr_scale")
    paperSteps = Self.paperSteps[method] ?? 0
    runSteps = max(0, archEpochs) * Self.stepsPerEpoch(settings, data: data)
    givenRate = settings.archLR
    guard settings.archLR.isFinite, settings.archLR >= 0 else {
      let paper = MethodCatalog.method(method)?.hyperparameters.first { $0.name == "arch_lr" }?.value
      throw RunError(
        "E310", "arch_lr must be 0 (α frozen) or positive, not \(settings.archLR)",
        help: "the paper's is \(paper.map(\.description) ?? "3e-4")")
    }
    // A given arch_lr has already turned the mode to `paper` (MethodConfigParser).
    let scaled = mode == "budget" && paperSteps > 0 && runSteps > 0 && givenRate > 0
    rate = scaled ? givenRate * min(Self.maxScale, max(1, Double(paperSteps) / Double(runSteps))) : givenRate
    settings.archLR = rate
  }

  /// The line for the run's notes and manifest: steps against the paper's and the rate used.
  public var note: String {
    let steps =
      "\(CompileReport.grouped(runSteps)) architecture steps against the paper's \(CompileReport.grouped(paperSteps))"
    if scale > 1 {
      return "\(steps): arch_lr \(Self.format(givenRate)) × \(String(format: "%.1f", scale)) = \(Self.format(rate)) "
        + "(arch_lr_scale budget); --set arch_lr_scale=paper keeps the paper's rate"
    }
    return "\(steps): arch_lr \(Self.format(rate)) as given"
  }

  static func format(_ x: Double) -> String { String(format: "%.3g", x) }
}
