import Foundation
import NASCSpace

/// The cost of every candidate of a layer-wise space's searchable layers and of its fixed parts
/// (stem, fixed blocks and layers, head), as the hardware-aware methods' latency losses read them:
/// a latency table's medians in milliseconds, or, without a table, MACs in `macUnit`.
public struct LayerCosts: Sendable {
  /// Per searchable layer choice, in declaration order: each candidate's cost (0 for zero). An
  /// array, so that sums run in one order (same seed, same bits).
  public var layers: [(id: String, costs: [Double])]
  /// Stem, fixed blocks, fixed layers and head.
  public var fixed: Double
  /// `ms` with a table; otherwise the MAC unit's name (`MMACs`, `kMACs`).
  public var unit: String
  /// Whether the costs are measured latencies (from a table).
  public let measured: Bool

  /// A MAC unit for spaces without a table: its name and MACs per unit.
  public typealias MACUnit = (name: String, macs: Double)

  /// Reads the costs of `ir` (a layer-wise space) from the table at `tablePath` (none when empty)
  /// or from MACs. A table measured on another processor or by another build kind is `E320` unless
  /// `anyConditions`; a block it lacks is `E319`; a cell space is `E310`.
  public init(
    ir: SpaceIR, tablePath: String, anyConditions: Bool, macUnit: MACUnit, method: String
  ) throws {
    let table = try LatencyTable.forSearch(tablePath, anyConditions: anyConditions)
    guard ir.cells.isEmpty else {
      throw RunError(
        "E310", "\(method) searches layer-wise spaces; \(ir.name) has cells",
        help: "use a layer-wise space such as spaces/proxylessnas-digits.yaml")
    }
    unit = table == nil ? macUnit.name : "ms"
    measured = table != nil
    func cost(_ g: PrimGraph, residual: Bool, name: String) throws -> Double {
      guard let table else { return g.isZero ? 0 : Double(SharedWeightSupernet.standalone(g).macs) / macUnit.macs }
      return try table.ms(of: g, residual: residual, name: name, path: tablePath)
    }
    var fixed = try cost(ir.network.stem, residual: false, name: "stem")
    fixed += try cost(ir.network.head, residual: false, name: "head")
    var layers = [(id: String, costs: [Double])]()
    for item in ir.network.items {
      switch item {
      case .layer(let l):
        let costs = try l.candidates.map {
          try cost($0.graph, residual: l.residual, name: "\(l.choice ?? "layer") = \($0.name)")
        }
        if let id = l.choice {
          if !layers.contains(where: { $0.id == id }) { layers.append((id, costs)) }
        } else {
          fixed += costs.first ?? 0
        }
      case .fixed(let name, let g): fixed += try cost(g, residual: false, name: name)
      case .route:
        throw RunError(
          "E310", "\(method) searches layer-wise spaces; \(ir.name) is a routing space (DenseNAS blocks)",
          help: "search it with --method densenas")
      default:
        throw RunError(
          "E310", "\(method) searches layer-wise spaces of layers and fixed blocks",
          help: "memory banks (SMASH) are searched by their own method")
      }
    }
    self.layers = layers
    self.fixed = fixed
  }

  /// The same costs in another unit: each multiplied by `factor`, named `unit`.
  public func scaled(by factor: Double, unit: String) -> LayerCosts {
    var c = self
    c.layers = layers.map { ($0.id, $0.costs.map { $0 * factor }) }
    c.fixed = fixed * factor
    c.unit = unit
    return c
  }

  /// The cheapest architecture's cost.
  public var cheapest: Double { layers.reduce(fixed) { $0 + ($1.costs.min() ?? 0) } }
  /// The costliest architecture's cost.
  public var largest: Double { layers.reduce(fixed) { $0 + ($1.costs.max() ?? 0) } }

  /// The cost of the architecture that picks candidate `choices[l]` in layer `l`.
  public func cost(of choices: [Int]) -> Double {
    zip(layers, choices).reduce(fixed) { $0 + $1.0.costs[$1.1] }
  }

  /// Σ_layers Σ_j p_j · cost_j + the fixed parts, for per-layer probabilities `p`.
  public func expected(_ p: [[Float]]) -> Double {
    zip(layers, p).reduce(fixed) { acc, lp in acc + zip(lp.0.costs, lp.1).reduce(0) { $0 + $1.0 * Double($1.1) } }
  }

  /// The expected cost under softmax(α) of each layer's architecture parameters in `arch` (no
  /// gradient; a layer without parameters adds nothing).
  public func expected(_ arch: ArchitectureParameters) -> Double {
    expected(layers.map { l in arch[l.id].map { $0.value.detached().softmax().scalars } ?? [] })
  }

  /// The most probable architecture under independent per-layer log-probabilities `logp` whose
  /// cost is at most `budget`: a multiple-choice knapsack solved by dynamic programming over the
  /// budget cut into `bins` steps, each cost rounded up (so what it returns meets the budget).
  /// Nil when even the cheapest architecture costs more than `budget`.
  public func mostProbable(_ logp: [[Double]], within budget: Double, bins: Int = 4000) -> [Int]? {
    let cheapestChoice = layers.map { l in l.costs.indices.min { l.costs[$0] < l.costs[$1] } ?? 0 }
    guard cost(of: cheapestChoice) <= budget else { return nil }
    let room = budget - fixed
    guard room > 0 else { return cheapestChoice }
    let step = room / Double(bins)
    // best[b]: the largest log-probability of the layers so far within b steps; from[l][b]: its choice.
    var best = [Double](repeating: 0, count: bins + 1)
    var from = [[Int]]()
    for (l, layer) in layers.enumerated() {
      var next = [Double](repeating: -.infinity, count: bins + 1)
      var pick = [Int](repeating: -1, count: bins + 1)
      let weight = layer.costs.map { Int(($0 / step).rounded(.up)) }
      for b in 0...bins {
        for (c, w) in weight.enumerated() where w <= b && best[b - w] > -.infinity {
          let v = best[b - w] + logp[l][c]
          if v > next[b] { (next[b], pick[b]) = (v, c) }
        }
      }
      best = next
      from.append(pick)
    }
    guard var b = best.indices.max(by: { best[$0] < best[$1] }), best[b] > -.infinity else { return cheapestChoice }
    var choices = [Int](repeating: 0, count: layers.count)
    for l in stride(from: layers.count - 1, through: 0, by: -1) {
      let c = from[l][b]
      choices[l] = c
      b -= Int((layers[l].costs[c] / step).rounded(.up))
    }
    return choices
  }
}
