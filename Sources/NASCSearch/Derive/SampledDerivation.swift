import Foundation
import NASCTensor

/// Derivation by sampling (FBNet, METHODS.md §7.3): draw architectures from the learned per-layer
/// distributions, score each, and keep the best. An architecture drawn twice is scored once; one
/// above the cost budget is kept in the list but not scored.
public enum SampledDerivation {
  /// One drawn architecture.
  public struct Sample: Equatable, Sendable {
    /// The candidate index per layer.
    public var choices: [Int]
    /// log P(choices) under the distributions.
    public var logProbability: Double
    /// Its cost (the latency table's LAT, or kMACs).
    public var cost: Double
    /// Its score (higher is better); nil when it is over the budget.
    public var score: Double?
  }

  /// Draws `count` architectures from `logp` (per layer, log-probabilities over its candidates)
  /// with a generator seeded by `seed`, and scores those whose `cost` is within `budget` (nil: no
  /// budget). Returns every draw in order; the best is the first with the highest score.
  public static func draw(
    _ logp: [[Double]], count: Int, seed: UInt64, budget: Double?, cost: ([Int]) -> Double,
    score: ([Int]) throws -> Double
  ) rethrows -> [Sample] {
    var rng = RNG(seed: seed)
    var seen: [[Int]: Double] = [:]
    var out: [Sample] = []
    for _ in 0..<count {
      var choices: [Int] = []
      var lp = 0.0
      for row in logp {
        let u = rng.nextDouble()
        var acc = 0.0
        var pick = row.count - 1
        for (i, l) in row.enumerated() {
          acc += Foundation.exp(l)
          if u < acc {
            pick = i
            break
          }
        }
        choices.append(pick)
        lp += row.isEmpty ? 0 : row[pick]
      }
      let c = cost(choices)
      var s: Double? = nil
      if budget.map({ c <= $0 }) ?? true {
        if let known = seen[choices] {
          s = known
        } else {
          let v = try score(choices)
          seen[choices] = v
          s = v
        }
      }
      out.append(Sample(choices: choices, logProbability: lp, cost: c, score: s))
    }
    return out
  }

  /// The first sample with the highest score, if any was scored.
  public static func best(_ samples: [Sample]) -> Sample? {
    var best: (sample: Sample, score: Double)?
    for s in samples {
      if let v = s.score, best.map({ v > $0.score }) ?? true { best = (s, v) }
    }
    return best?.sample
  }
}
