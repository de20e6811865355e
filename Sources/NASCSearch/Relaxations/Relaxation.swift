import NASCSpace
import NASCTensor

/// How a method makes the choice points of a supernet trainable or sampleable (DESIGN.md's
/// relaxations): it turns architecture parameters into a `ForwardPlan` for one forward pass.
public protocol Relaxation {
  /// Plans one forward pass at `epoch`, drawing any samples from `rng`.
  func plan(_ arch: ArchitectureParameters, epoch: Int, rng: inout RNG) -> ForwardPlan
}

/// Facts about a space's op choice points that relaxations need.
public struct ChoiceLayout: Sendable {
  /// Per op choice id, the candidate indices that are not the `none` op.
  public var nonZero: [String: [Int]]
  /// Per op choice id, the candidate names.
  public var names: [String: [String]]
  /// Op choice ids in declaration order.
  public var opChoices: [String]
  /// Inputs choice ids in declaration order.
  public var inputChoices: [String]
  /// Op choices on edges of nodes that keep every edge (no inputs choice), as in NAS-Bench-201.
  public var keepAllEdges: Set<String>
  /// Path-weight (β) choice ids of routing blocks, in declaration order.
  public var pathChoices: [String]

  /// Reads the layout from the IR's cells and layers.
  public init(_ ir: SpaceIR) {
    var nonZero = [String: [Int]]()
    var names = [String: [String]]()
    func note(_ id: String?, _ candidates: [Candidate]) {
      guard let id, nonZero[id] == nil else { return }
      nonZero[id] = candidates.indices.filter { !candidates[$0].graph.isZero }
      names[id] = candidates.map(\.name)
    }
    var keepAll = Set<String>()
    for cell in ir.cells {
      for node in cell.nodes {
        for e in node.edges {
          note(e.choice, e.candidates)
          if node.inputsChoice == nil, let id = e.choice { keepAll.insert(id) }
        }
      }
    }
    keepAllEdges = keepAll
    for layer in ir.layers { note(layer.choice, layer.candidates) }
    for case .route(let r) in ir.network.items {
      for e in r.edges { note(e.head.choice, e.head.candidates) }
      for b in r.blocks { for l in b.layers { note(l.choice, l.candidates) } }
    }
    self.nonZero = nonZero
    self.names = names
    opChoices = ir.choicePoints.filter { $0.kind == .op && nonZero[$0.id] != nil }.map(\.id)
    inputChoices = ir.choicePoints.filter { $0.kind == .inputs }.map(\.id)
    pathChoices = ir.choicePoints.filter { $0.kind == .path }.map(\.id)
  }
}

extension Tensor {
  /// Elements `indices` of a 1-D tensor, with gradient (a contiguous run is one slice).
  func gathered(_ indices: [Int]) -> Tensor {
    if let first = indices.first, indices == Array(first..<(first + indices.count)) {
      return indices.count == count ? self : slice(axis: 0, start: first, end: first + indices.count)
    }
    return concat(indices.map { slice(axis: 0, start: $0, end: $0 + 1) }, axis: 0)
  }
}
