import NASCSpace
import NASCTensor

/// An engine module that runs one `PrimGraph` (an instantiated op: an edge candidate, a
/// preprocessing op, a stem, a head): the generic interpreter of the IR's primitive vocabulary.
public final class PrimGraphModule: Module {
  /// The graph it runs.
  public let graph: PrimGraph
  private var layers: [Module?]
  /// Whether the graph is the `none` op (zeros), which mixtures skip.
  public let isZero: Bool
  /// Whether the graph returns its input unchanged (drop path skips identity ops).
  public let isIdentity: Bool
  /// Batch norms whose only consumer is the ReLU or ReLU6 right after them, by node: they run as
  /// one fused op (the same values and gradients, one pass and one tensor fewer), and that
  /// activation node passes the fused output on.
  let fusedActivation: [Int: BatchNormActivation]

  /// Builds the layers of `graph`, drawing initial weights from `rng`.
  public init(_ graph: PrimGraph, rng: inout RNG) throws {
    self.graph = graph
    isZero = graph.isZero
    isIdentity = graph.output == 0 || graph.nodes.allSatisfy { if case .identity = $0.op { true } else { false } }
    layers = []
    fusedActivation = Self.fusableActivations(graph)
    super.init()
    for (k, node) in graph.nodes.enumerated() {
      switch node.op {
      case .conv(let c):
        let cfg = Conv2DConfig(
          strideH: c.sh, strideW: c.sw, padH: c.ph, padW: c.pw, dilationH: c.dh, dilationW: c.dw, groups: c.groups)
        let layer = NASCTensor.Conv2d(
          c.cin, c.cout, kernelH: c.kh, kernelW: c.kw, config: cfg, bias: c.bias, rng: &rng)
        layers.append(register("\(k)_conv", layer))
      case .batchNorm(let channels, let affine):
        layers.append(register("\(k)_bn", BatchNorm2d(channels, affine: affine)))
      case .linear(let i, let o, let bias):
        layers.append(register("\(k)_linear", Linear(i, o, bias: bias, rng: &rng)))
      case .maxPool(let p), .avgPool(let p):
        guard p.kh == p.kw, p.sh == p.sw, p.ph == p.pw else {
          throw LoweringError(description: "non-square pooling windows are not supported yet")
        }
        if case .avgPool = node.op, p.countIncludePad, p.ph > 0 {
          throw LoweringError(description: "average pooling that counts padding is not supported yet")
        }
        layers.append(nil)
      case .embedding, .tiedLinear:
        throw LoweringError(
          description: "recurrent-cell primitives (\(node.op.name)) are not lowered to the engine yet")
      default:
        layers.append(nil)
      }
    }
  }

  /// Whether the graph applies ReLU to its input (as every DARTS conv candidate does first), so a
  /// mixed edge can compute `relu(x)` once for all its candidates.
  public private(set) lazy var readsInputReLU: Bool = graph.nodes.contains {
    if case .relu = $0.op { $0.inputs == [0] } else { false }
  }

  /// Runs the graph on `x` (NCHW). `inputReLU`, when given, must be `x.relu()`; it then serves
  /// every ReLU of the input instead of a fresh one. `narrower`, when given, is a graph of the same
  /// `widthSignature` with smaller widths: it then runs on the leading slices of this module's
  /// weights (a weight-shared width choice). `linearInput`, when given, is what linear layers that
  /// read the graph's input see instead of `x` (a recurrent cell's variational dropout, which masks
  /// only the inputs of its weight matrices).
  public func callAsFunction(
    _ x: Tensor, context: inout ForwardContext, inputReLU: Tensor? = nil, narrower: PrimGraph? = nil,
    linearInput: Tensor? = nil
  ) -> Tensor {
    let graph = narrower ?? self.graph
    if graph.output == 0 { return x }
    var values = [Tensor?](repeating: nil, count: graph.nodes.count + 1)
    values[0] = x
    // The last use of each value, so intermediate tensors are released as soon as possible.
    var lastUse = [Int](repeating: -1, count: values.count)
    for (k, node) in graph.nodes.enumerated() { for i in node.inputs { lastUse[i] = k } }
    for (k, node) in graph.nodes.enumerated() {
      var ins = node.inputs.map { values[$0]! }
      // A per-channel vector (`global_avg_pool`, `linear`: [N, C]) that meets an op of NCHW maps reads
      // as the [N, C, 1, 1] map it stands for in the IR.
      if Self.readsMaps(node.op) || (node.op == .concat && ins.contains { $0.rank == 4 }) {
        ins = ins.map { $0.rank == 2 ? $0.reshaped([$0.shape[0], $0.shape[1], 1, 1]) : $0 }
      }
      let afterFusedNorm = k > 0 && fusedActivation[k - 1] != nil
      let y: Tensor
      switch node.op {
      case .conv(let c):
        let conv = layers[k] as! NASCTensor.Conv2d
        y = narrower == nil ? conv(ins[0]) : conv(ins[0], outChannels: c.cout)
      case .batchNorm:
        let bn = layers[k] as! BatchNorm2d
        let act = fusedActivation[k] ?? .identity
        y = narrower == nil ? bn(ins[0], activation: act) : bn(sliced: ins[0], activation: act)
      case .linear(_, let o, _):
        let read = node.inputs == [0] ? (linearInput ?? ins[0]) : ins[0]
        let v = read.rank == 2 ? read : read.flattened()
        let lin = layers[k] as! Linear
        y = narrower == nil ? lin(v) : lin(v, outFeatures: o)
      case .relu where afterFusedNorm, .relu6 where afterFusedNorm: y = ins[0]
      case .relu: y = node.inputs == [0] ? (inputReLU ?? ins[0].relu()) : ins[0].relu()
      case .relu6: y = ins[0].relu6()
      case .tanh: y = ins[0].tanh()
      case .sigmoid: y = ins[0].sigmoid()
      case .identity: y = ins[0]
      case .zero:
        let s = node.shape
        // A vector input (a recurrent cell's state) gives a vector of zeros.
        y =
          ins[0].rank == 2 && s.height == 1 && s.width == 1
          ? Tensor.zeros([ins[0].shape[0], s.channels])
          : Tensor.zeros([ins[0].shape[0], s.channels, s.height, s.width])
      case .maxPool(let p): y = maxPool2d(ins[0], Pool2DConfig(kernel: p.kh, stride: p.sh, padding: p.ph))
      case .avgPool(let p): y = avgPool2d(ins[0], Pool2DConfig(kernel: p.kh, stride: p.sh, padding: p.ph))
      case .globalAvgPool: y = globalAvgPool(ins[0])
      case .dropout(let p): y = ins[0].dropout(Float(p), training: isTraining, rng: &context.rng)
      case .shift: y = Self.shift(ins[0])
      case .channelShuffle(let g): y = ins[0].channelShuffle(groups: g)
      case .slice(let start, let count, let step):
        y = ins[0].slice(axis: 1, start: start, end: start + (count - 1) * step + 1, step: step)
      case .concat: y = concat(ins, axis: 1)
      case .add: y = Self.combine(.add, ins)
      case .mul: y = Self.combine(.mul, ins)
      case .sub: y = Self.combine(.sub, ins)
      case .embedding, .tiedLinear: preconditionFailure("rejected when the module was built")
      }
      values[k + 1] = y
      for i in node.inputs where lastUse[i] == k && i != graph.output { values[i] = nil }
    }
    return values[graph.output]!
  }

  /// Whether `op` needs NCHW input (a convolution, a pooling window, the pixel shift).
  static func readsMaps(_ op: Primitive) -> Bool {
    switch op {
    case .conv, .maxPool, .avgPool, .globalAvgPool, .shift: true
    default: false
    }
  }

  /// `add` (sum of all), `mul` (product of all) or `sub` (the first minus the rest), left to right: equal
  /// shapes combine elementwise, and an `[N, C, 1, 1]` map or `[N, C]` vector broadcasts over the height
  /// and width of an `[N, C, H, W]` map (the compiler admits nothing else).
  static func combine(_ kind: PlaneCombine, _ ins: [Tensor]) -> Tensor {
    if kind == .add, ins.allSatisfy({ $0.shape == ins[0].shape }) { return sum(ins) }
    var acc = ins[0]
    for t in ins.dropFirst() { acc = combineBroadcasting(kind, acc, t) }
    return acc
  }

  /// The batch-norm nodes whose output only the ReLU / ReLU6 node right after them reads (and that
  /// is not the graph's output), with that activation.
  static func fusableActivations(_ graph: PrimGraph) -> [Int: BatchNormActivation] {
    var readers = [Int](repeating: 0, count: graph.nodes.count + 1)
    for node in graph.nodes { for i in node.inputs { readers[i] += 1 } }
    var fused: [Int: BatchNormActivation] = [:]
    for k in graph.nodes.indices.dropLast() {
      guard case .batchNorm = graph.nodes[k].op, graph.nodes[k + 1].inputs == [k + 1], readers[k + 1] == 1,
        graph.output != k + 1
      else { continue }
      switch graph.nodes[k + 1].op {
      case .relu: fused[k] = .relu
      case .relu6: fused[k] = .relu6
      default: break
      }
    }
    return fused
  }

  /// `y[:, :, i, j] = x[:, :, i+1, j+1]`, zero beyond the border (FactorizedReduce's offset branch).
  static func shift(_ x: Tensor) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    var y = x.slice(axis: 2, start: 1)
    y = concat([y, Tensor.zeros([n, c, 1, w])], axis: 2)
    y = y.slice(axis: 3, start: 1)
    return concat([y, Tensor.zeros([n, c, h, 1])], axis: 3)
  }
}
