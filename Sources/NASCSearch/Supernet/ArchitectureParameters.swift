import NASCSpace
import NASCTensor

/// The architecture parameters of a supernet, keyed by choice point id: α (one logit per candidate)
/// for op choices, β of routing blocks (one logit per outgoing connection) and, where the relaxation
/// weights node inputs, β of cell nodes (one logit per incoming edge).
///
/// All cell instances of one template share their template's ids, so every normal cell reads the
/// same α (as DARTS' `alphas_normal`).
public final class ArchitectureParameters {
  /// Parameters in choice-point declaration order.
  public private(set) var entries: [(id: String, parameter: Parameter)] = []
  private var index: [String: Int] = [:]

  /// Creates α for every op choice point, β for every routing block's outgoing connections and,
  /// when `inputs` is set, β for every inputs choice point, each initialised `scale · N(0, 1)` from
  /// `rng` in declaration order.
  public init(ir: SpaceIR, inputs: Bool, scale: Float = 1e-3, rng: inout RNG) {
    let edgeCounts = Self.incomingEdges(ir)
    for cp in ir.choicePoints {
      let size: Int
      switch cp.kind {
      case .op: size = cp.candidates.count
      case .inputs where inputs: size = edgeCounts[cp.id] ?? cp.candidates.count
      case .path: size = cp.candidates.count
      default: continue
      }
      let p = Parameter(Tensor.randn([size], std: scale, rng: &rng), name: cp.id, group: .architecture)
      index[cp.id] = entries.count
      entries.append((cp.id, p))
    }
  }

  /// The parameter of choice point `id`.
  public subscript(_ id: String) -> Parameter? { index[id].map { entries[$0].parameter } }

  /// All parameters, for the architecture optimizer.
  public var parameters: [Parameter] { entries.map(\.parameter) }

  /// The parameters' values, named by choice point id.
  public func tensors() -> [String: Tensor] {
    var d = [String: Tensor]()
    for (id, p) in entries { d[id] = p.value.detached() }
    return d
  }

  /// Restores what `tensors()` returned; throws when a tensor is missing or has another shape.
  public func load(_ d: [String: Tensor]) throws {
    for (id, p) in entries {
      guard let t = d[id] else { throw CheckpointError.missingTensor(id) }
      guard t.shape == p.shape else { throw CheckpointError.shapeMismatch(id, expected: p.shape, found: t.shape) }
      guard t.scalars.allSatisfy(\.isFinite) else {
        throw CheckpointError.corrupt("\(id) holds values that are not finite")
      }
      p.value = t
    }
  }

  /// The number of incoming edges of the node owning each inputs choice point.
  static func incomingEdges(_ ir: SpaceIR) -> [String: Int] {
    var out = [String: Int]()
    for cell in ir.cells {
      for node in cell.nodes { if let id = node.inputsChoice { out[id] = node.edges.count } }
    }
    return out
  }
}
