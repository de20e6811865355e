import Foundation
import NASCSpace
import NASCTensor

/// Whether the supernet predicts the architecture half better than chance: α's gradients come
/// from that half's loss, so when it does not (labels it cannot learn, a broken input), α's
/// movements, however large, say nothing about which ops generalise.
public struct LearningCheck: Codable, Equatable, Sendable {
  /// The supernet's accuracy on the architecture half after the last epoch.
  public var accuracy: Double
  /// The largest class share of that half (a constant guess's accuracy).
  public var chance: Double
  /// Its number of images.
  public var count: Int

  /// Creates the check.
  public init(accuracy: Double, chance: Double, count: Int) {
    self.accuracy = accuracy
    self.chance = chance
    self.count = count
  }

  /// Above chance by more than three binomial standard errors.
  public var passed: Bool {
    accuracy > chance + 3 * (chance * (1 - chance) / Double(max(1, count))).squareRoot()
  }
}

/// How sure a derivation is: every decision's margin against the run's noise level.
public struct DerivationConfidence: Codable, Equatable, Sendable {
  /// One decision with its noise level.
  public struct Entry: Codable, Equatable, Sendable {
    /// The decision.
    public var decision: DecisionMargin
    /// The null model's margin quantile for it.
    public var noise: Double
    /// Its margin exceeds the noise level and the supernet learned the task.
    public var confident: Bool
  }

  /// The decisions, in unit order.
  public var entries: [Entry]
  /// The null model the noise levels come from.
  public var null: NullModel
  /// Whether the supernet learned the task, when known.
  public var learning: LearningCheck?

  /// Decisions separated beyond the noise level.
  public var confidentCount: Int { entries.filter(\.confident).count }

  /// Margins and noise levels of `architecture`, derived from `logits` by `rule`.
  public init(
    _ architecture: Architecture, ir: SpaceIR, logits: [String: Tensor], edgeNormalization: Bool, rule: DeriveRule,
    alive: [String: [Int]] = [:], null: NullModel, learning: LearningCheck?, seed: UInt64
  ) {
    let margins = DecisionMargins.of(
      architecture, ir: ir, logits: logits, edgeNormalization: edgeNormalization, rule: rule, alive: alive)
    let noise = null.thresholds(
      ir: ir, shapes: logits.mapValues(\.count), edgeNormalization: edgeNormalization, rule: rule, alive: alive,
      seed: seed)
    let learned = learning?.passed ?? true
    entries = margins.map { m in
      let n = noise[m.key] ?? .infinity
      return Entry(decision: m, noise: n, confident: learned && m.margin > n)
    }
    self.null = null
    self.learning = learning
  }

  /// One line: how many decisions are confident, against what.
  public var summary: String {
    String(
      format:
        "confidence: %d of %d decisions separated beyond gradient noise (the %d%% margin of %@ Adam steps on pure-noise gradients)",
      confidentCount, entries.count, Int((100 * null.quantile).rounded()), "\(null.steps)")
  }

  /// The warning a user should see, if any: the supernet learned nothing, or most decisions rest on noise.
  public var warning: String? {
    if let l = learning, !l.passed {
      return String(
        format:
          "the supernet predicts the architecture half no better than chance (accuracy %.1f%%, chance %.1f%%): "
          + "α moved, but not towards ops that generalise, so no decision is confident; search longer or on more images, and check the data and labels",
        100 * l.accuracy, 100 * l.chance)
    }
    guard !entries.isEmpty, 2 * confidentCount < entries.count else { return nil }
    return "most decisions (\(entries.count - confidentCount) of \(entries.count)) are within noise: the architecture "
      + "is close to a random draw from the rule's outputs. Search longer (--epochs) or on more data, and compare "
      + "seeds (nasc compare RUN RUN); a short DARTS-family run on images already scales arch_lr to its length (arch_lr_scale)"
  }

  /// The table `nasc derive --explain` prints: decision, chosen, runner-up, weights, margin, noise.
  public var table: String {
    let rows = entries.map { e -> [String] in
      let d = e.decision
      return [
        d.unit, d.kind.rawValue, d.chosen, d.runnerUp, String(format: "%.3f", d.weight),
        String(format: "%.3f", d.runnerUpWeight), String(format: "%+.3f", d.margin), String(format: "%.3f", e.noise),
        e.confident ? "yes" : "no",
      ]
    }
    let header = ["unit", "decision", "chosen", "runner-up", "weight", "runner-up", "margin", "noise", "confident"]
    let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
    func line(_ r: [String]) -> String {
      r.enumerated().map { c, v in v.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
        .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
  }

  /// Comment lines for `arch.yaml`: the summary and one line per decision.
  public var comments: [String] {
    [summary]
      + entries.map { e in
        String(
          format: "  %@ %@: %@ over %@, margin %.3f vs noise %.3f%@", e.decision.unit, e.decision.kind.rawValue,
          e.decision.chosen, e.decision.runnerUp, e.decision.margin, e.noise, e.confident ? "" : " (not confident)")
      }
  }
}
