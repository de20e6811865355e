import NASCKernelSupport

/// Elementwise arithmetic between an `[N, C, H, W]` map and a per-sample, per-channel value (`[N, C, 1, 1]`,
/// or an `[N, C]` vector read as `[N, C, 1, 1]`) that broadcasts over height and width: the
/// squeeze-and-excitation gate `x · σ(…)` and its additive relatives.

/// How a broadcast value combines with a map.
public enum PlaneCombine: Sendable, Equatable {
  case add, sub, mul

  /// The kernels' name for it.
  var op: PlaneOp {
    switch self {
    case .add: .add
    case .sub: .sub
    case .mul: .mul
    }
  }
}

/// What the backward rule of a broadcast combination needs.
struct PlaneBroadcastSaved {
  let kind: PlaneCombine
  /// Whether the map is the first operand (for `sub`: the minuend).
  let mapFirst: Bool
  /// The map and the per-channel value, saved for `mul` only.
  let map: Tensor?
  let plane: Tensor?
  /// The per-channel operand's shape (`[N, C, 1, 1]` or `[N, C]`).
  let planeShape: [Int]
}

extension Tensor {
  /// Whether a tensor of this shape is one value per sample and channel of a map of shape `map`
  /// (`[N, C, 1, 1]` or `[N, C]` against `[N, C, H, W]`).
  static func isPerChannel(_ s: [Int], of map: [Int]) -> Bool {
    guard map.count == 4 else { return false }
    return s == [map[0], map[1], 1, 1] || s == [map[0], map[1]]
  }

  /// Whether two tensors of these shapes are both one value per sample and channel: `[N, C]` and
  /// `[N, C, 1, 1]` (either order).
  static func arePerChannelPair(_ a: [Int], _ b: [Int]) -> Bool {
    (a.count == 2 && b == [a[0], a[1], 1, 1]) || (b.count == 2 && a == [b[0], b[1], 1, 1])
  }
}

/// Whether `combineBroadcasting` can combine tensors of shapes `a` and `b`: equal shapes, an
/// `[N, C, H, W]` map with an `[N, C, 1, 1]` or `[N, C]` value (either order), or `[N, C]` with
/// `[N, C, 1, 1]`.
public func canCombineBroadcasting(_ a: [Int], _ b: [Int]) -> Bool {
  a == b || Tensor.isPerChannel(b, of: a) || Tensor.isPerChannel(a, of: b) || Tensor.arePerChannelPair(a, b)
}

/// `a + b`, `a - b` or `a · b` elementwise, where a per-sample, per-channel operand (`[N, C, 1, 1]`, or
/// `[N, C]` read as `[N, C, 1, 1]`) broadcasts over the height and width of an `[N, C, H, W]` map; equal
/// shapes take the plain elementwise op. `[N, C]` with `[N, C, 1, 1]` gives `[N, C, 1, 1]`. Gradients
/// flow into both operands; the broadcast one's is summed over height and width.
public func combineBroadcasting(_ kind: PlaneCombine, _ a: Tensor, _ b: Tensor) -> Tensor {
  if a.shape == b.shape {
    switch kind {
    case .add: return a + b
    case .sub: return a - b
    case .mul: return a * b
    }
  }
  if Tensor.arePerChannelPair(a.shape, b.shape) {
    let a4 = a.rank == 2 ? a.reshaped([a.shape[0], a.shape[1], 1, 1]) : a
    let b4 = b.rank == 2 ? b.reshaped([b.shape[0], b.shape[1], 1, 1]) : b
    return combineBroadcasting(kind, a4, b4)
  }
  if Tensor.isPerChannel(b.shape, of: a.shape) { return PlaneBroadcast.combine(kind, map: a, plane: b, mapFirst: true) }
  if Tensor.isPerChannel(a.shape, of: b.shape) {
    return PlaneBroadcast.combine(kind, map: b, plane: a, mapFirst: false)
  }
  preconditionFailure("shapes \(a.shape) and \(b.shape) do not broadcast")
}

enum PlaneBroadcast {
  static func combine(_ kind: PlaneCombine, map x: Tensor, plane s: Tensor, mapFirst: Bool) -> Tensor {
    var y = forward(kind, map: x, plane: s, mapFirst: mapFirst)
    let saved = {
      PlaneBroadcastSaved(
        kind: kind, mapFirst: mapFirst, map: kind == .mul ? x.detached() : nil,
        plane: kind == .mul ? s.detached() : nil, planeShape: s.shape)
    }
    if mapFirst { y.record(.planeBroadcast(saved()), x, s) } else { y.record(.planeBroadcast(saved()), s, x) }
    return y
  }

  /// `x ∘ s` (or `s ∘ x` when `!mapFirst`) with `s[n, c]` broadcast over plane (n, c) of `x`.
  static func forward(_ kind: PlaneCombine, map x: Tensor, plane s: Tensor, mapFirst: Bool) -> Tensor {
    let planes = x.shape[0] * x.shape[1], hw = x.count / max(planes, 1)
    precondition(s.count == planes, "a per-channel value \(s.shape) for a map \(x.shape)")
    let out = Tensor(uninitializedShape: x.shape)
    kernels.planeCombine(
      kind.op, mapFirst: mapFirst, map: x.storage.pointer, plane: s.storage.pointer, into: out.storage.pointer,
      planes: planes, hw: hw)
    return out
  }

  /// Σ over each plane of `g` (times `x` when given), times `sign`, shaped `shape`: the gradient of
  /// the broadcast operand. Every plane is summed by one worker in index order (deterministic).
  static func planeSums(_ g: Tensor, times x: Tensor?, sign: Float, shape: [Int]) -> Tensor {
    let planes = g.shape[0] * g.shape[1], hw = g.count / max(planes, 1)
    let out = Tensor(uninitializedShape: shape)
    kernels.planeSums(
      g.storage.pointer, times: x?.storage.pointer, sign: sign, into: out.storage.pointer, planes: planes, hw: hw)
    return out
  }

  /// The gradients of both operands, positionally (the map's first when `mapFirst`).
  static func backward(_ saved: PlaneBroadcastSaved, _ g: Tensor, need: [Bool]) -> [Tensor?] {
    let needMap = saved.mapFirst ? need[0] : need[1]
    let needPlane = saved.mapFirst ? need[1] : need[0]
    var gMap: Tensor? = nil
    var gPlane: Tensor? = nil
    switch saved.kind {
    case .add:
      if needMap { gMap = g }
      if needPlane { gPlane = planeSums(g, times: nil, sign: 1, shape: saved.planeShape) }
    case .sub:
      // map − s: ∂map = g, ∂s = −Σg; s − map: ∂map = −g, ∂s = Σg.
      if needMap { gMap = saved.mapFirst ? g : g.mapped(.scale(-1)) }
      if needPlane { gPlane = planeSums(g, times: nil, sign: saved.mapFirst ? -1 : 1, shape: saved.planeShape) }
    case .mul:
      if needMap { gMap = forward(.mul, map: g, plane: saved.plane!, mapFirst: true) }
      if needPlane { gPlane = planeSums(g, times: saved.map!, sign: 1, shape: saved.planeShape) }
    }
    return saved.mapFirst ? [gMap, gPlane] : [gPlane, gMap]
  }
}
