import NASCSpace
import NASCTensor

/// A search method = a relaxation + which parameters it owns + its loop settings + its derivation
/// rule (DESIGN.md). The shared loop in `SearchRun` calls into it.
public struct SearchMethod {
  /// The method name.
  public let name: String
  /// How choice points are relaxed.
  public let relaxation: any Relaxation
  /// Whether nodes carry β edge weights (PC-DARTS).
  public let edgeNormalization: Bool
  /// Whether the architecture gradient uses DARTS' second-order approximation.
  public let secondOrder: Bool
  /// The Gumbel temperature per epoch, for methods that sample (reported in metrics).
  public let temperature: (@Sendable (Int) -> Float)?

  /// The methods this version runs.
  public static let supported = ["darts", "gdas", "pc-darts"]

  /// Builds the method named in `settings` for `ir`; throws `E310` for methods not runnable yet.
  public init(settings: SearchSettings, ir: SpaceIR) throws {
    let layout = ChoiceLayout(ir)
    name = settings.method
    switch settings.method {
    case "darts":
      relaxation = SoftmaxMixture(layout: layout, edgeNormalization: false)
      edgeNormalization = false
      secondOrder = settings.order == "second"
      temperature = nil
    case "pc-darts":
      relaxation = SoftmaxMixture(layout: layout, edgeNormalization: true)
      edgeNormalization = true
      secondOrder = settings.order == "second"
      temperature = nil
    case "gdas":
      let t = GumbelHardSample.linearSchedule(
        max: Float(settings.tauMax), min: Float(settings.tauMin), epochs: settings.epochs)
      relaxation = GumbelHardSample(layout: layout, temperature: t)
      edgeNormalization = false
      secondOrder = false
      temperature = t
    default:
      throw SearchError(
        "E310", "method '\(settings.method)' is not runnable by `nasc search` yet",
        help: "use one of \(Self.supported.joined(separator: ", ")); the space file still validates with it")
    }
  }
}
