import NASCSpace
import NASCTensor

/// A lowered memory-bank block (SMASH, METHODS.md §13.1): the input is split into `banks` banks of
/// `width` channels; every layer reads a subset of banks (concatenated), runs its op and adds the
/// result into a subset of banks; the output concatenates the banks.
///
/// A memory layer's op must begin with per-channel ops (batch norm, activations) and then a 1×1
/// convolution: the layer's *reading conv*, whose weights SMASH's hypernetwork generates. In a
/// supernet (reads undecided) the prefix and the reading conv are built on every bank and sliced to
/// the banks a pass reads; what follows the reading conv is one candidate per op choice.
final class MemoryBlockModule: Module {
  /// The block's IR.
  let block: MemoryBlockIR
  /// Its index among the network's memory blocks (`memory[i]`).
  let index: Int
  /// The layers in order.
  let layers: [MemoryLayerModule]

  init(_ block: MemoryBlockIR, index: Int, rng: inout RNG) throws {
    self.block = block
    self.index = index
    layers = try block.layers.enumerated().map { l, layer in
      try MemoryLayerModule(layer, key: "memory[\(index)].layer[\(l)]", width: block.width, rng: &rng)
    }
    super.init()
    for (l, m) in layers.enumerated() { register("layer\(l)", m) }
  }

  /// Runs the block on `x` (`banks × width` channels).
  func callAsFunction(_ x: Tensor, plan: ForwardPlan, context: inout ForwardContext) -> Tensor {
    let w = block.width
    var banks = (0..<block.banks).map { x.channels($0 * w..<($0 + 1) * w) }
    for layer in layers { layer.run(&banks, plan: plan, context: &context) }
    return concat(banks, axis: 1)
  }
}

/// One memory layer: prefix → reading 1×1 conv → the chosen candidate's remainder → added into the
/// written banks.
final class MemoryLayerModule: Module {
  /// `memory[i].layer[l]`: the key of generated weights.
  let key: String
  let layer: MemoryLayer
  let width: Int
  /// The per-channel ops before the reading conv, on the banks the IR lists.
  let prefix: PrimGraphModule
  /// The reading conv's own weights (`[out, IR reads × width, 1, 1]`).
  let readConv: NASCTensor.Conv2d
  /// What follows the reading conv, one candidate per op choice (with `shared`, unused
  /// candidates that hold no weights of their own are not built: `rest` then holds none).
  let rest: MixedEdgeModule?
  /// SMASH's sliced free weights, when the op choices differ only in conv kernels, dilations and
  /// groups (see `SlicedChainModule`).
  let shared: SlicedChainModule?

  init(_ layer: MemoryLayer, key: String, width: Int, rng: inout RNG) throws {
    self.key = key
    self.layer = layer
    self.width = width
    let split: MemoryLayerLowering
    switch layer.lowering(key: key) {
    case .success(let l): split = l
    case .failure(let p): throw LoweringError(description: p.description)
    }
    prefix = try PrimGraphModule(split.prefix, rng: &rng)
    let c = split.readConv
    readConv = NASCTensor.Conv2d(
      c.cin, c.cout, kernelH: 1, kernelW: 1, config: Conv2DConfig(), bias: c.bias, rng: &rng)
    shared = split.shared.map { SlicedChainModule($0, candidates: split.rest.map(\.graph), rng: &rng) }
    rest =
      shared != nil
      ? nil
      : try MixedEdgeModule(
        choice: layer.layer.choice, candidates: split.rest, stride: 1, partialChannels: nil, rng: &rng)
    super.init()
    register("prefix", prefix)
    register("read", readConv)
    if let rest { register("ops", rest) }
    if let shared { register("shared", shared) }
  }

  /// The output channels of the reading conv.
  var readOut: Int { readConv.weight.value.shape[0] }

  /// The banks this pass reads and writes.
  func banks(_ plan: ForwardPlan) -> (reads: [Int], writes: [Int]) {
    (
      layer.readChoice.flatMap { plan.banks[$0] } ?? layer.reads,
      layer.writeChoice.flatMap { plan.banks[$0] } ?? layer.writes
    )
  }

  func run(_ banks: inout [Tensor], plan: ForwardPlan, context: inout ForwardContext) {
    let (reads, writes) = self.banks(plan)
    let all = layer.reads
    let x = prefix(concat(all.map { banks[$0] }, axis: 1), context: &context)
    // Positions (within the IR's reads) of the banks read now: their channel ranges.
    let positions = reads.map { r in all.firstIndex(of: r)! }
    let sameBanks = positions == Array(all.indices)
    let read = sameBanks ? x : concat(positions.map { x.channels($0 * width..<($0 + 1) * width) }, axis: 1)
    var weight: Tensor
    if let g = plan.generatedWeights[key] {
      precondition(g.shape == [readOut, reads.count * width, 1, 1], "generated weight \(g.shape) for \(key)")
      weight = g
    } else {
      weight = readConv.weight.value
      if !sameBanks {
        weight = concat(positions.map { weight.slice(axis: 1, start: $0 * width, end: ($0 + 1) * width) }, axis: 1)
      }
    }
    var y = conv2d(read, weight: weight)
    if let b = readConv.bias { y = y.addingChannelBias(b.value) }
    let edge = layer.layer.choice.flatMap { plan.ops[$0] }
    let out: Tensor
    if let shared {
      switch edge {
      case .single(let i, let w)?:
        out = w.map { shared(y, candidate: i).scaled(by: $0) } ?? shared(y, candidate: i)
      case .singleWithOthers(let i, let w, let others)?:
        // As a mixed edge runs it: the others' hard weights (0 in value) carry α's gradient.
        let one = shared(y, candidate: i).scaled(by: w)
        out = one + Tensor.ones(one.shape).scaled(by: others.sum())
      case .mixture(let active, let weights)?:
        out = weightedSum(active.map { shared(y, candidate: $0) }, weights: weights)
      case .off?:
        return
      case nil:
        let n = shared.graphs.count
        out = weightedSum(
          (0..<n).map { shared(y, candidate: $0) }, weights: Tensor([Float](repeating: 1 / Float(n), count: n)))
      }
    } else {
      out = rest!(y, plan: edge, context: &context)
    }
    for w in writes { banks[w] = banks[w] + out }
  }
}
