import Foundation
import NASCTensor

/// DenseNAS' sampled mixed ops and path weights (METHODS.md §5.2). Every routing block weights its
/// outgoing connections by softmax(β / T). A weight step runs one op per mixed op: uniformly before
/// `arch_update_epoch` (`uniform`), else drawn from p = softmax(α) (`sampled`). An architecture step
/// (`pair`) draws two distinct ops from p and mixes their outputs by the softmax of their two α's;
/// after the Adam step the pair's α are shifted back to the total probability mass they had
/// (`BinaryGates.rescale`).
public final class TwoPathSampling: Relaxation {
  /// Which forward pass the next plan is for.
  public enum Pass: Sendable {
    /// One op per mixed op, uniformly.
    case uniform
    /// One op per mixed op, drawn from softmax(α).
    case sampled
    /// Two ops per mixed op, mixed by the softmax over their α.
    case pair
  }

  /// The space's choice layout.
  public let layout: ChoiceLayout
  /// T of softmax(β / T).
  public let temperature: Float
  /// The pass the next `plan` is for (set by the method before each step).
  public var pass: Pass = .sampled
  /// Per mixed op of the last `pair` pass: the candidates drawn (sorted) and their weights (with
  /// gradient); the latency loss and the rescale read them.
  public private(set) var lastPairs: [String: (candidates: [Int], weights: Tensor)] = [:]
  /// Per β choice id of the last pass: softmax(β / T) (with gradient in a `pair` pass).
  public private(set) var lastPaths: [String: Tensor] = [:]

  /// Sampling over `layout` with path temperature `temperature`.
  public init(layout: ChoiceLayout, temperature: Float) {
    self.layout = layout
    self.temperature = temperature
  }

  /// The plan of the pass `pass`.
  public func plan(_ arch: ArchitectureParameters, epoch: Int, rng: inout RNG) -> ForwardPlan {
    var plan = ForwardPlan()
    let gradient = pass == .pair
    lastPairs = [:]
    lastPaths = [:]
    for id in layout.pathChoices {
      guard let beta = arch[id] else { continue }
      let w = ((gradient ? beta.value : beta.value.detached()) * (1 / temperature)).softmax()
      plan.paths[id] = .weights(w)
      lastPaths[id] = w
    }
    for id in layout.opChoices {
      guard let alpha = arch[id] else { continue }
      let n = alpha.value.count
      let p = alpha.value.detached().softmax().scalars
      switch pass {
      case .uniform: plan.ops[id] = .single(index: rng.nextInt(below: n), weight: nil)
      case .sampled: plan.ops[id] = .single(index: BinaryGates.draw(p, rng: &rng), weight: nil)
      case .pair:
        let first = BinaryGates.draw(p, rng: &rng)
        var rest = p
        rest[first] = 0
        let total = rest.reduce(0, +)
        guard n >= 2, total > 0 else {
          plan.ops[id] = .single(index: first, weight: nil)
          continue
        }
        var second = BinaryGates.draw(rest.map { $0 / total }, rng: &rng)
        if second == first { second = rest.indices.max { rest[$0] < rest[$1] }! }
        let pair = [first, second].sorted()
        let w = alpha.value.gathered(pair).softmax()
        plan.ops[id] = .mixture(active: pair, weights: w)
        lastPairs[id] = (pair, w)
      }
    }
    return plan
  }
}
