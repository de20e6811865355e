import Foundation
import NASCSpace
import NASCTensor

/// Single-Path NAS' superkernel (METHODS.md §10.2): one MBConv layer whose candidates k ∈ {k_s,
/// k_l} × e ∈ {e_s, e_l} (plus, optionally, `none` = skip) share one set of weights at the largest
/// kernel and expansion. The choices are masks on that kernel, decided by indicators of its norms:
///
/// ```
/// w3 = w ⊙ M_inner ;  w5o = w ⊙ (1 − M_inner)
/// d5   = I(‖w5o‖ − t5)                 kernel k_l when 1, k_s when 0
/// wk   = w3 + d5 · w5o
/// d100 = I(‖wk ⊙ M100‖ − t100)         expansion e_l when 1, e_s when 0 (M100: channels past e_s·C)
/// d50  = I(‖wk ⊙ M50‖ − t50)           the layer runs when 1, is skipped when 0 (layers with skip; else 1)
/// I(x) = sg(1[x ≥ 0] − σ(x)) + σ(x)     (value 0/1, gradient of σ)
/// ```
///
/// The depthwise output past the first e_s·C channels is multiplied by d100 (after its BN and
/// ReLU6) and the layer's output by d50, so that with the indicators at any 0/1 values the forward
/// pass equals that of the explicit candidate on the matching slices of the weights (the paper
/// folds the same gates into the kernel; values agree, BN statistics of gated channels aside).
public final class SuperkernelModule: Module {
  /// The kernel sizes and expansions of a layer's superkernel, and each candidate's place in it.
  public struct Grid: Sendable, Equatable {
    /// Input and output channels, and the depthwise stride.
    public var cin: Int, cout: Int, stride: Int
    /// The small and large kernel sizes.
    public var kernels: (small: Int, large: Int)
    /// The small and large expansions.
    public var expansions: (small: Int, large: Int)
    /// Per candidate: its (kernel, expansion), or nil for `none` (skip).
    public var cells: [(k: Int, e: Int)?]

    /// Whether the layer may be skipped (has a `none` candidate).
    public var skippable: Bool { cells.contains { $0 == nil } }

    /// The candidate index of (k, e), or of skip when `k` is nil.
    public func index(k: Int?, e: Int) -> Int? {
      cells.firstIndex { c in k == nil ? c == nil : c.map { $0.k == k && $0.e == e } ?? false }
    }

    /// Equal when every field is.
    public static func == (a: Grid, b: Grid) -> Bool {
      (a.cin, a.cout, a.stride) == (b.cin, b.cout, b.stride) && a.kernels == b.kernels
        && a.expansions == b.expansions
        && a.cells.map { $0.map { [$0.k, $0.e] } } == b.cells.map { $0.map { [$0.k, $0.e] } }
    }
  }

  /// The grid of `candidates` when they are MBConvs (1×1 expand, BN, ReLU6, depthwise k×k, BN,
  /// ReLU6, 1×1 project, BN) over exactly two kernel sizes × two expansions, plus optionally
  /// `none`; nil otherwise.
  public static func grid(_ candidates: [Candidate]) -> Grid? {
    var cells = [(k: Int, e: Int)?]()
    var shape: (cin: Int, cout: Int, stride: Int)? = nil
    for c in candidates {
      if c.graph.isZero {
        cells.append(nil)
        continue
      }
      let ops = c.graph.nodes.map(\.op)
      guard ops.count == 8, case .conv(let ex) = ops[0], case .batchNorm = ops[1], case .relu6 = ops[2],
        case .conv(let dw) = ops[3], case .batchNorm = ops[4], case .relu6 = ops[5], case .conv(let pr) = ops[6],
        case .batchNorm = ops[7], ex.kh == 1, ex.kw == 1, ex.groups == 1, ex.sh == 1, dw.groups == dw.cin,
        dw.cin == dw.cout, dw.kh == dw.kw, dw.sh == dw.sw, dw.dh == 1, dw.ph == dw.kh / 2, pr.kh == 1, pr.groups == 1,
        ex.cout % ex.cin == 0, !ex.bias, !dw.bias, !pr.bias
      else { return nil }
      let s = (cin: ex.cin, cout: pr.cout, stride: dw.sh)
      if let shape, shape != s { return nil }
      shape = s
      cells.append((dw.kh, ex.cout / ex.cin))
    }
    guard let shape else { return nil }
    let ks = Set(cells.compactMap { $0?.k }).sorted(), es = Set(cells.compactMap { $0?.e }).sorted()
    guard ks.count == 2, es.count == 2, cells.compactMap({ $0 }).count == 4, cells.filter({ $0 == nil }).count <= 1
    else { return nil }
    for k in ks {
      for e in es where !cells.contains(where: { $0.map { $0.k == k && $0.e == e } ?? false }) { return nil }
    }
    return Grid(
      cin: shape.cin, cout: shape.cout, stride: shape.stride, kernels: (ks[0], ks[1]), expansions: (es[0], es[1]),
      cells: cells)
  }

  /// The layer's choice point id.
  public let choice: String
  /// The grid.
  public let grid: Grid
  let expand: NASCTensor.Conv2d
  let bn1: BatchNorm2d
  /// The depthwise superkernel, `[e_l·C, 1, k_l, k_l]`.
  public let depthwise: Parameter
  let bn2: BatchNorm2d
  let project: NASCTensor.Conv2d
  let bn3: BatchNorm2d
  /// The thresholds t5, t100 and t50 (architecture parameters, initially 0).
  public let t5: Parameter, t100: Parameter, t50: Parameter
  /// The inner-kernel mask and the outer ring.
  let inner: Tensor, ring: Tensor
  /// Expanded channels of the small expansion, and of the large.
  let small: Int, large: Int
  /// Dropout on the indicators during the warm-up (its drop probability; 0 = off). Kept values
  /// are scaled by 1/(1 − p), as TensorFlow's dropout does in the authors' code.
  public var indicatorDropout: Float = 0
  /// The indicators of the last forward pass (d5, d100, d50), with gradient.
  public private(set) var lastIndicators: (d5: Tensor, d100: Tensor, d50: Tensor)?

  /// Builds the superkernel of a layer whose candidates form `grid`, drawing the weights from `rng`
  /// (expand, depthwise, project, in that order).
  public init(choice: String, grid: Grid, rng: inout RNG) {
    self.choice = choice
    self.grid = grid
    small = grid.expansions.small * grid.cin
    large = grid.expansions.large * grid.cin
    let k = grid.kernels.large
    expand = NASCTensor.Conv2d(grid.cin, large, kernel: 1, rng: &rng)
    bn1 = BatchNorm2d(large, affine: true)
    let bound = 1 / Float(k * k).squareRoot()
    depthwise = Parameter(.uniform([large, 1, k, k], low: -bound, high: bound, rng: &rng))
    bn2 = BatchNorm2d(large, affine: true)
    project = NASCTensor.Conv2d(large, grid.cout, kernel: 1, rng: &rng)
    bn3 = BatchNorm2d(grid.cout, affine: true)
    t5 = Parameter(Tensor([0]), group: .architecture)
    t100 = Parameter(Tensor([0]), group: .architecture)
    t50 = Parameter(Tensor([0]), group: .architecture)
    let margin = (k - grid.kernels.small) / 2
    var m = [Float](repeating: 0, count: large * k * k)
    for c in 0..<large {
      for i in margin..<(k - margin) { for j in margin..<(k - margin) { m[(c * k + i) * k + j] = 1 } }
    }
    inner = Tensor(shape: [large, 1, k, k], scalars: m)
    ring = Tensor(shape: [large, 1, k, k], scalars: m.map { 1 - $0 })
    super.init()
    register("expand", expand)
    register("bn1", bn1)
    register("depthwise", depthwise)
    register("bn2", bn2)
    register("project", project)
    register("bn3", bn3)
    register("t5", t5)
    register("t100", t100)
    register("t50", t50)
  }

  /// I(x): the step 1[x ≥ 0] in value, the gradient of σ(x).
  public static func indicator(_ x: Tensor) -> Tensor {
    let s = x.sigmoid()
    return s + (Tensor([x.scalars[0] >= 0 ? 1 : 0]) - s.detached())
  }

  /// ‖t‖₂ (with a 1e-12 floor under the square root).
  static func norm(_ t: Tensor) -> Tensor { ((t * t).sum().adding(1e-12).log() * 0.5).exp() }

  /// The kernel after the kernel-size choice, and the three indicators (`forced` replaces them by
  /// constants, without gradient: tests use it to reach every setting).
  func gates(forced: (d5: Float, d100: Float, d50: Float)?, rng: inout RNG) -> (
    kernel: Tensor, d5: Tensor, d100: Tensor, d50: Tensor
  ) {
    func gate(_ x: Tensor, _ force: Float?) -> Tensor {
      let d = force.map { Tensor([$0]) } ?? Self.indicator(x)
      return indicatorDropout > 0 && isTraining ? d.dropout(indicatorDropout, training: true, rng: &rng) : d
    }
    let w = depthwise.value
    let w3 = w.masked(by: inner), w5o = w.masked(by: ring)
    let d5 = gate(Self.norm(w5o) - t5.value, forced?.d5)
    let wk = w3 + w5o.scaled(by: d5)
    let d100 = gate(Self.norm(wk.slice(axis: 0, start: small, end: large)) - t100.value, forced?.d100)
    let d50 =
      grid.skippable
      ? gate(Self.norm(wk.slice(axis: 0, start: 0, end: small)) - t50.value, forced?.d50) : Tensor([1])
    return (wk, d5, d100, d50)
  }

  /// Runs the layer's branch on `x` (the caller adds the residual).
  public func callAsFunction(
    _ x: Tensor, context: inout ForwardContext, forced: (d5: Float, d100: Float, d50: Float)? = nil
  ) -> Tensor {
    let (wk, d5, d100, d50) = gates(forced: forced, rng: &context.rng)
    lastIndicators = (d5, d100, d50)
    let k = grid.kernels.large
    let h = bn1(expand(x)).relu6()
    let cfg = Conv2DConfig(stride: grid.stride, padding: k / 2, groups: large)
    let y = bn2(conv2d(h, weight: wk, config: cfg)).relu6()
    let gated = concat([y.channels(0..<small), y.channels(small..<large).scaled(by: d100)], axis: 1)
    return bn3(project(gated)).scaled(by: d50)
  }

  /// The candidate the indicators pick now (no dropout): skip when d50 = 0, else the kernel of d5
  /// and the expansion of d100.
  public func decision() -> Int {
    var rng = RNG(seed: 0)
    let saved = indicatorDropout
    indicatorDropout = 0
    defer { indicatorDropout = saved }
    let g = withNoGrad { gates(forced: nil, rng: &rng) }
    if g.d50.scalars[0] < 0.5, let skip = grid.index(k: nil, e: 0) { return skip }
    let k = g.d5.scalars[0] >= 0.5 ? grid.kernels.large : grid.kernels.small
    let e = g.d100.scalars[0] >= 0.5 ? grid.expansions.large : grid.expansions.small
    return grid.index(k: k, e: e)!
  }
}
