import Foundation
import NASCData
import NASCSpace
import NASCTensor

/// The confidence of a search's derivation, from what the run holds: α (and β, P-DARTS'
/// switches), the architecture optimizer's state, the space's rule and the architecture half.
public enum RunConfidence {
  /// The inputs of the null model and the learning check, as the manifest records them.
  public struct Basis: Codable, Equatable, Sendable {
    /// The null model.
    public var null: NullModel
    /// The supernet's accuracy on the architecture half against chance.
    public var learning: LearningCheck?
  }

  /// `E303` unless `basis` is one a search could have written: steps in 0…10⁶ (a CPU search takes
  /// far fewer; more would make the null simulation run for minutes), a positive finite
  /// rate, betas in [0, 1), a quantile strictly between 0 and 1, a finite α scale, an accuracy and
  /// chance in [0, 1] over a positive count.
  public static func check(_ basis: Basis, path: String) throws {
    let n = basis.null
    var ok =
      (0...1_000_000).contains(n.steps) && n.learningRate.isFinite && n.learningRate > 0
      && (0..<1).contains(n.beta1) && (0..<1).contains(n.beta2) && n.quantile > 0 && n.quantile < 1
      && n.alphaInit.isFinite && abs(n.alphaInit) < 1e6
    if let l = basis.learning {
      ok = ok && (0...1).contains(l.accuracy) && (0...1).contains(l.chance) && l.count > 0
    }
    guard ok else {
      throw RunError(
        "E303",
        "the manifest's confidence basis is not one a search writes (steps, rate, betas, quantile or accuracy out of range)",
        help: "the file was edited or damaged; re-run the search", path: path)
    }
  }

  /// The rules whose decisions have margins.
  public static let rules: [DeriveRuleKind] = [.topKEdges, .topKPairs, .argmax]

  /// The basis of a finished search: nil unless the method trains α with Adam (the DARTS family,
  /// FBNet, ProxylessNAS).
  public static func basis(
    method: any SearchMethod, config: MethodConfig, data: ImageDataset?, valAccuracy: Double?
  ) -> Basis? {
    guard let set = method.parameterSets.first(where: { $0.name == "arch" }), let adam = set.optimizer as? Adam,
      adam.stepCount > 0
    else { return nil }
    var alphaInit = 1e-3
    switch config["alpha_init"] {
    case .real(let r)?: alphaInit = r
    case .int(let i)?: alphaInit = Double(i)
    default: break
    }
    let null = NullModel(
      steps: adam.stepCount, learningRate: Double(adam.learningRate), beta1: Double(adam.beta1),
      beta2: Double(adam.beta2), alphaInit: alphaInit)
    var learning: LearningCheck?
    if let data, let acc = valAccuracy, case .real(let portion)? = config["train_portion"] {
      let val = data.split(portion: portion).second
      var counts = [Int: Int]()
      for l in val.labels { counts[Int(l), default: 0] += 1 }
      let most = counts.values.max() ?? 0
      if val.count > 0 {
        learning = LearningCheck(accuracy: acc, chance: Double(most) / Double(val.count), count: val.count)
      }
    }
    return Basis(null: null, learning: learning)
  }

  /// The confidence of `architecture` under `rule`, or nil when the rule has no margins or the
  /// architecture weights are not there.
  public static func assess(
    _ architecture: Architecture, ir: SpaceIR, rule: DeriveRule, logits: [String: Tensor], alive: [String: [Int]],
    basis: Basis, seed: UInt64
  ) -> DerivationConfidence? {
    guard rules.contains(rule.kind), !logits.isEmpty else { return nil }
    let edgeNormalization = ir.choicePoints.contains { $0.kind == .inputs && logits[$0.id] != nil }
    let c = DerivationConfidence(
      architecture, ir: ir, logits: logits, edgeNormalization: edgeNormalization, rule: rule, alive: alive,
      null: basis.null, learning: basis.learning, seed: seed)
    return c.entries.isEmpty ? nil : c
  }

  /// P-DARTS' live candidates per choice, from its `switches` set (empty for other methods).
  static func alive(_ method: any SearchMethod) -> [String: [Int]] {
    guard let set = method.parameterSets.first(where: { $0.name == "switches" }) else { return [:] }
    return set.tensors().mapValues { $0.scalars.map { Int($0) } }
  }

  /// The method's current α and β by choice point id.
  static func logits(_ method: any SearchMethod) -> [String: Tensor] {
    method.parameterSets.first(where: { $0.name == "arch" })?.tensors() ?? [:]
  }
}
