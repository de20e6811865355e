import NASCSpace
import NASCTensor

/// SMASH's free weights (METHODS.md §13.1): the candidates of a memory layer that are one chain of
/// the same primitives, differing only in their convolutions' kernels, dilations and groups, share
/// one weight per convolution at the largest kernel with every input channel; a candidate runs on
/// the centred `k × k` crop and, with g groups, the first `cin / g` input channels
/// (`W[:, :cin/g, crop, crop]`). Batch norms are shared as they are.
final class SlicedChainModule: Module {
  /// The candidates' graphs (all chains of one shape).
  let graphs: [PrimGraph]
  /// Per node, the shared conv or batch norm (nil for parameter-free nodes).
  private var convs: [Int: NASCTensor.Conv2d] = [:]
  private var norms: [Int: BatchNorm2d] = [:]

  /// The shared weights at the shape of `chain` (`PrimGraph.slicedChain` of `graphs`).
  init(_ chain: PrimGraph, candidates graphs: [PrimGraph], rng: inout RNG) {
    self.graphs = graphs
    super.init()
    for (k, n) in chain.nodes.enumerated() {
      switch n.op {
      case .conv(let c):
        convs[k] = register(
          "\(k)_conv",
          NASCTensor.Conv2d(c.cin, c.cout, kernelH: c.kh, kernelW: c.kw, config: Conv2DConfig(), bias: false, rng: &rng)
        )
      case .batchNorm(let channels, let affine):
        norms[k] = register("\(k)_bn", BatchNorm2d(channels, affine: affine))
      default: break
      }
    }
  }

  /// The weight candidate `i` runs at conv node `k`: the shared weight's crop and input slice.
  func weight(candidate i: Int, node k: Int) -> Tensor {
    guard case .conv(let c) = graphs[i].nodes[k].op, let shared = convs[k] else {
      preconditionFailure("node \(k) is no conv")
    }
    var w = shared.weight.value
    let kh = w.shape[2], kw = w.shape[3]
    if c.kh < kh { w = w.slice(axis: 2, start: (kh - c.kh) / 2, end: (kh - c.kh) / 2 + c.kh) }
    if c.kw < kw { w = w.slice(axis: 3, start: (kw - c.kw) / 2, end: (kw - c.kw) / 2 + c.kw) }
    if c.groups > 1 { w = w.slice(axis: 1, start: 0, end: c.cin / c.groups) }
    return w
  }

  /// Runs candidate `i` on `x`.
  func callAsFunction(_ x: Tensor, candidate i: Int) -> Tensor {
    var y = x
    for (k, n) in graphs[i].nodes.enumerated() {
      switch n.op {
      case .conv(let c):
        let cfg = Conv2DConfig(
          strideH: c.sh, strideW: c.sw, padH: c.ph, padW: c.pw, dilationH: c.dh, dilationW: c.dw, groups: c.groups)
        y = conv2d(y, weight: weight(candidate: i, node: k), config: cfg)
      case .batchNorm: y = norms[k]!(y)
      case .relu: y = y.relu()
      case .relu6: y = y.relu6()
      case .tanh: y = y.tanh()
      case .sigmoid: y = y.sigmoid()
      default: break
      }
    }
    return y
  }
}
