import NASCKernelSupport

/// A first-order optimizer over a fixed list of parameters.
public protocol Optimizer: AnyObject {
  /// The parameters it updates, in a fixed order (state is keyed by position).
  var parameters: [Parameter] { get }
  /// The current learning rate (set it from a schedule).
  var learningRate: Float { get set }
  /// Applies one update from the accumulated gradients (parameters without a gradient are skipped).
  func step()
  /// Its internal state as named tensors (for checkpoints).
  func stateDict() -> [String: Tensor]
  /// Restores what `stateDict()` returned; throws on missing or mis-shaped entries.
  func load(stateDict: [String: Tensor]) throws
}

extension Optimizer {
  /// Clears the gradients of all its parameters.
  public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}

/// Rescales all gradients so that their joint L2 norm is at most `maxNorm` (torch `clip_grad_norm_`:
/// coefficient maxNorm / (norm + 1e-6), applied only when below 1). Returns the norm before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
  var total: Double = 0
  for p in parameters {
    guard let g = p.grad else { continue }
    g.withUnsafeBufferPointer { b in for v in b { total += Double(v) * Double(v) } }
  }
  let norm = Float(total.squareRoot())
  let coef = maxNorm / (norm + 1e-6)
  if coef < 1 {
    for p in parameters {
      guard var g = p.grad else { continue }
      g.withUnsafeMutableBufferPointer { b in
        kernels.map(.scale(coef), b.baseAddress!, into: b.baseAddress!, count: b.count)
      }
      p.grad = g
    }
  }
  return norm
}

/// Per-parameter optional state tensors, saved as "<key>.<index>".
struct SlotState {
  var slots: [Tensor?]
  init(count: Int) { slots = Array(repeating: nil, count: count) }

  func save(_ key: String, into d: inout [String: Tensor]) {
    for (i, s) in slots.enumerated() { if let s { d["\(key).\(i)"] = s } }
  }

  mutating func load(_ key: String, from d: [String: Tensor], shapes: [[Int]]) throws {
    for i in slots.indices {
      if let t = d["\(key).\(i)"] {
        guard t.shape == shapes[i] else {
          throw CheckpointError.shapeMismatch("\(key).\(i)", expected: shapes[i], found: t.shape)
        }
        slots[i] = t
      } else {
        slots[i] = nil
      }
    }
  }
}
