/// y = x · Wᵀ + b for x of shape [N, in], W of shape [out, in] and optional b of shape [out].
public func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
  precondition(
    x.rank == 2 && weight.rank == 2 && x.shape[1] == weight.shape[1],
    "linear: input \(x.shape) and weight \(weight.shape) do not fit")
  let n = x.shape[0], i = x.shape[1], o = weight.shape[0]
  if let bias { precondition(bias.shape == [o], "linear bias \(bias.shape) for \(o) outputs") }
  var y = Tensor(uninitializedShape: [n, o])
  let yp = y.storage.pointer
  if let bias {
    for r in 0..<n { (yp + r * o).update(from: bias.storage.pointer, count: o) }
  }
  BLAS.parallelGemm(
    transA: false, transB: true, m: n, n: o, k: i, a: x.storage.pointer, lda: i,
    b: weight.storage.pointer, ldb: i, beta: bias == nil ? 0 : 1, c: yp, ldc: o)
  y.record(.linear(x.detached(), weight.detached()), inputs: [x, weight, bias ?? Tensor.zeros([0])])
  return y
}

/// Matrix product of two 2-D tensors, [m, k] · [k, n] → [m, n].
public func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
  precondition(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[0], "matmul: \(a.shape) · \(b.shape)")
  let m = a.shape[0], k = a.shape[1], n = b.shape[1]
  var y = Tensor(uninitializedShape: [m, n])
  BLAS.parallelGemm(
    transA: false, transB: false, m: m, n: n, k: k, a: a.storage.pointer, lda: k,
    b: b.storage.pointer, ldb: n, beta: 0, c: y.storage.pointer, ldc: n)
  y.record(.matmul(a.detached(), b.detached()), a, b)
  return y
}

enum LinearGrad {
  static func linear(_ x: Tensor, _ w: Tensor, _ g: Tensor, need: [Bool]) -> [Tensor?] {
    let n = x.shape[0], i = x.shape[1], o = w.shape[0]
    var dx: Tensor? = nil, dw: Tensor? = nil, db: Tensor? = nil
    if need[0] {
      let t = Tensor(uninitializedShape: x.shape)
      BLAS.parallelGemm(
        transA: false, transB: false, m: n, n: i, k: o, a: g.storage.pointer, lda: o,
        b: w.storage.pointer, ldb: i, beta: 0, c: t.storage.pointer, ldc: i)
      dx = t
    }
    if need[1] {
      let t = Tensor(uninitializedShape: w.shape)
      BLAS.parallelGemm(
        transA: true, transB: false, m: o, n: i, k: n, a: g.storage.pointer, lda: o,
        b: x.storage.pointer, ldb: i, beta: 0, c: t.storage.pointer, ldc: i)
      dw = t
    }
    if need[2] {
      let t = Tensor.zeros([o])
      let tp = t.storage.pointer, gp = g.storage.pointer
      for r in 0..<n { for c in 0..<o { tp[c] += gp[r * o + c] } }
      db = t
    }
    return [dx, dw, db]
  }

  static func matmul(_ a: Tensor, _ b: Tensor, _ g: Tensor, need: [Bool]) -> [Tensor?] {
    let m = a.shape[0], k = a.shape[1], n = b.shape[1]
    var da: Tensor? = nil, db: Tensor? = nil
    if need[0] {
      let t = Tensor(uninitializedShape: a.shape)
      BLAS.parallelGemm(
        transA: false, transB: true, m: m, n: k, k: n, a: g.storage.pointer, lda: n,
        b: b.storage.pointer, ldb: n, beta: 0, c: t.storage.pointer, ldc: k)
      da = t
    }
    if need[1] {
      let t = Tensor(uninitializedShape: b.shape)
      BLAS.parallelGemm(
        transA: true, transB: false, m: k, n: n, k: m, a: a.storage.pointer, lda: k,
        b: g.storage.pointer, ldb: n, beta: 0, c: t.storage.pointer, ldc: n)
      db = t
    }
    return [da, db]
  }
}
