extension Tensor {
  /// The same elements with another shape (no copy). One extent may be -1 (inferred).
  public func reshaped(_ newShape: [Int]) -> Tensor {
    var s = newShape
    if let i = s.firstIndex(of: -1) {
      let rest = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
      precondition(rest > 0 && count % rest == 0, "cannot reshape \(shape) to \(newShape)")
      s[i] = count / rest
    }
    precondition(s.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
    var y = Tensor(storage: storage, shape: s)
    y.record(.reshape(shape), self)
    return y
  }

  /// Flattens every axis after the first: [N, …] → [N, rest].
  public func flattened() -> Tensor { reshaped([shape[0], -1]) }

  /// Elements `start, start+step, …` (below `end`) along `axis`, all of every other axis — a copy.
  ///
  /// Channel slices (`axis: 1`), FactorizedReduce's `x[:, :, 1:, 1:]` (two calls) and the strided
  /// `x[:, :, ::2, ::2]` are all this op.
  public func slice(axis: Int, start: Int, end: Int? = nil, step: Int = 1) -> Tensor {
    precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for \(shape)")
    let dim = shape[axis]
    let end = end ?? dim
    precondition(
      step >= 1 && start >= 0 && start <= end && end <= dim,
      "bad slice \(start)..<\(end) step \(step) of \(dim)")
    let n = (end - start + step - 1) / step
    let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
    var outShape = shape
    outShape[axis] = n
    var y = Tensor(uninitializedShape: outShape)
    Tensor.copyStrided(
      from: storage.pointer, to: y.storage.pointer, outer: outer, n: n, inner: inner,
      srcIndex: { a, j in a * dim + start + j * step }, dstIndex: { a, j in a * n + j })
    y.record(.slice(inShape: shape, axis: axis, start: start, step: step), self)
    return y
  }

  /// Copies `outer × n` blocks of `inner` floats from block `srcIndex(a, j)` to block `dstIndex(a, j)`;
  /// single floats are moved directly (a library call each would dominate `x[:, :, :, 1:]`).
  @inline(__always)
  static func copyStrided(
    from x: UnsafePointer<Float>, to o: UnsafeMutablePointer<Float>, outer: Int, n: Int, inner: Int,
    srcIndex: (Int, Int) -> Int, dstIndex: (Int, Int) -> Int
  ) {
    if inner == 1 {
      for a in 0..<outer { for j in 0..<n { o[dstIndex(a, j)] = x[srcIndex(a, j)] } }
      return
    }
    for a in 0..<outer {
      for j in 0..<n {
        (o + dstIndex(a, j) * inner).update(from: x + srcIndex(a, j) * inner, count: inner)
      }
    }
  }

  /// Channels `range` of an NCHW (or [N, C, …]) tensor.
  public func channels(_ range: Range<Int>) -> Tensor {
    slice(axis: 1, start: range.lowerBound, end: range.upperBound)
  }

  /// Swaps the two axes of a 2-D tensor.
  public func transposed() -> Tensor {
    precondition(rank == 2, "transposed() needs a 2-D tensor, got \(shape)")
    var y = Tensor(uninitializedShape: [shape[1], shape[0]])
    Tensor.transpose(storage.pointer, rows: shape[0], cols: shape[1], into: y.storage.pointer)
    y.record(.transpose2d, self)
    return y
  }

  static func transpose(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into y: UnsafeMutablePointer<Float>) {
    for r in 0..<rows { for c in 0..<cols { y[c * rows + r] = x[r * cols + c] } }
  }

  /// PC-DARTS channel shuffle: [N, C, …] viewed as [N, g, C/g, …], axes 1 and 2 swapped, viewed back.
  public func channelShuffle(groups: Int) -> Tensor {
    precondition(rank >= 2 && groups > 0 && shape[1] % groups == 0, "channelShuffle(\(groups)) of \(shape)")
    var y = Tensor(uninitializedShape: shape)
    Tensor.shuffle(storage.pointer, shape: shape, groups: groups, into: y.storage.pointer, inverse: false)
    y.record(.channelShuffle(groups: groups), self)
    return y
  }

  /// Copies channel planes: out channel (j·g + i) ← in channel (i·C/g + j), or the inverse permutation.
  static func shuffle(
    _ x: UnsafePointer<Float>, shape: [Int], groups g: Int, into y: UnsafeMutablePointer<Float>,
    inverse: Bool
  ) {
    let n = shape[0], c = shape[1], plane = shape[2...].reduce(1, *), cpg = c / g
    for b in 0..<n {
      for i in 0..<g {
        for j in 0..<cpg {
          let src = i * cpg + j, dst = j * g + i
          let (from, to) = inverse ? (dst, src) : (src, dst)
          (y + (b * c + to) * plane).update(from: x + (b * c + from) * plane, count: plane)
        }
      }
    }
  }
}

/// Concatenates tensors along `axis` (all other extents equal) — the DARTS cell output, PC-DARTS'
/// partial channels put back, FactorizedReduce's two halves.
public func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
  precondition(!tensors.isEmpty, "concat of no tensors")
  let first = tensors[0].shape
  precondition(axis >= 0 && axis < first.count, "axis \(axis) out of range for \(first)")
  for t in tensors {
    var a = t.shape, b = first
    precondition(a.count == b.count, "concat ranks differ: \(t.shape) vs \(first)")
    a[axis] = 0
    b[axis] = 0
    precondition(a == b, "concat shapes differ off axis \(axis): \(t.shape) vs \(first)")
  }
  let sizes = tensors.map { $0.shape[axis] }
  let total = sizes.reduce(0, +)
  var outShape = first
  outShape[axis] = total
  let outer = first[..<axis].reduce(1, *), inner = first[(axis + 1)...].reduce(1, *)
  var y = Tensor(uninitializedShape: outShape)
  let o = y.storage.pointer
  var offset = 0
  for (t, sz) in zip(tensors, sizes) {
    let x = t.storage.pointer, block = sz * inner
    for a in 0..<outer {
      (o + a * total * inner + offset * inner).update(from: x + a * block, count: block)
    }
    offset += sz
  }
  y.record(.concat(axis: axis, sizes: sizes), inputs: tensors)
  return y
}

enum ShapeGrad {
  static func slice(_ g: Tensor, inShape: [Int], axis: Int, start: Int, step: Int) -> Tensor {
    let dim = inShape[axis], n = g.shape[axis]
    let outer = inShape[..<axis].reduce(1, *), inner = inShape[(axis + 1)...].reduce(1, *)
    let dx = Tensor.zeros(inShape)
    Tensor.copyStrided(
      from: g.storage.pointer, to: dx.storage.pointer, outer: outer, n: n, inner: inner,
      srcIndex: { a, j in a * n + j }, dstIndex: { a, j in a * dim + start + j * step })
    return dx
  }

  static func concat(_ g: Tensor, axis: Int, sizes: [Int]) -> [Tensor?] {
    var offset = 0
    return sizes.map { sz in
      defer { offset += sz }
      return g.detached().slice(axis: axis, start: offset, end: offset + sz)
    }
  }

  static func channelShuffle(_ g: Tensor, groups: Int) -> Tensor {
    let dx = Tensor(uninitializedShape: g.shape)
    Tensor.shuffle(g.storage.pointer, shape: g.shape, groups: groups, into: dx.storage.pointer, inverse: true)
    return dx
  }
}
