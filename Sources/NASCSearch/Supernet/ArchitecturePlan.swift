import NASCSpace
import NASCTensor

/// The forward plan that runs exactly one architecture's ops in a supernet: the single path of
/// SPOS, FairNAS and random search with weight sharing, and the sub-network an inherited-weight
/// evaluator scores. Parameters off the path are not run, so they get no gradient at all (an
/// optimizer then leaves them, their momentum and their weight decay untouched).
public struct ArchitecturePlan: Sendable {
  /// The compiled space.
  public let ir: SpaceIR

  /// A planner for `ir`.
  public init(ir: SpaceIR) { self.ir = ir }

  /// The plan of `a`: on a cell edge the ops its node keeps from that input (the edge is off when
  /// it keeps none), on an op unit or a layer its op; on a route, only its path's connections, each
  /// with its ops.
  public func plan(_ a: Architecture) -> ForwardPlan {
    var plan = ForwardPlan()
    for cell in ir.cells {
      for node in cell.nodes {
        let kept = a.pairs("\(cell.template).node\(node.index)")
        for e in node.edges {
          guard let id = e.choice, plan.ops[id] == nil else { continue }
          let names = e.candidates.map(\.name)
          let chosen: [Int]
          if let kept {
            chosen = kept.filter { $0.input == e.from }.compactMap { names.firstIndex(of: $0.op) }
          } else {
            chosen = a.op(id).flatMap { names.firstIndex(of: $0) }.map { [$0] } ?? []
          }
          plan.ops[id] = Self.edgePlan(chosen)
        }
      }
    }
    for layer in ir.layers {
      if let w = layer.widthChoice, plan.widths[w] == nil, let v = a.op(w),
        let i = ir.choicePoint(w)?.candidates.firstIndex(of: v)
      {
        plan.widths[w] = i
      }
      guard let id = layer.choice, let op = a.op(id), let i = layer.candidates.firstIndex(where: { $0.name == op })
      else { continue }
      plan.ops[id] = .single(index: i, weight: nil)
    }
    for case .route(let r) in ir.network.items {
      guard let key = r.pathChoice, let d = a.route(key) else { continue }
      func single(_ l: LayerIR) {
        guard let id = l.choice, let op = d.ops[id], let i = l.candidates.firstIndex(where: { $0.name == op }) else {
          return
        }
        plan.ops[id] = .single(index: i, weight: nil)
      }
      for (i, j) in zip(d.path, d.path.dropFirst()) {
        if let id = r.block(i)?.next { plan.paths[id] = .single(target: j) }
        if let e = r.edges.first(where: { $0.from == i && $0.to == j }) { single(e.head) }
        for l in r.block(j)?.layers ?? [] { single(l) }
      }
    }
    for case .memory(let m) in ir.network.items {
      for layer in m.layers {
        for id in [layer.readChoice, layer.writeChoice].compactMap({ $0 }) {
          if let name = a.op(id), let banks = ArchSpace.bankSubset(name) { plan.banks[id] = banks }
        }
        guard let id = layer.layer.choice, let op = a.op(id),
          let i = layer.layer.candidates.firstIndex(where: { $0.name == op })
        else { continue }
        plan.ops[id] = .single(index: i, weight: nil)
      }
    }
    return plan
  }

  /// The edge plan that runs `chosen` candidates summed with weight 1 (off when none is).
  public static func edgePlan(_ chosen: [Int]) -> EdgePlan {
    switch chosen.count {
    case 0: return .off
    case 1: return .single(index: chosen[0], weight: nil)
    default: return .mixture(active: chosen, weights: Tensor([Float](repeating: 1, count: chosen.count)))
    }
  }
}
