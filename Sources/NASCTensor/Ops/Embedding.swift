/// Rows `indices` of `table` ([vocabulary, dim]) as an [indices.count, dim] tensor; the gradient is
/// scatter-added back into the table rows.
public func embedding(_ indices: [Int], table: Tensor) -> Tensor {
  precondition(table.rank == 2, "embedding table must be [vocabulary, dim], got \(table.shape)")
  let v = table.shape[0], d = table.shape[1]
  var y = Tensor(uninitializedShape: [indices.count, d])
  let tp = table.storage.pointer, yp = y.storage.pointer
  for (r, i) in indices.enumerated() {
    precondition(i >= 0 && i < v, "embedding index \(i) out of range 0..<\(v)")
    (yp + r * d).update(from: tp + i * d, count: d)
  }
  y.record(.embedding(indices: indices, vocabulary: v), table)
  return y
}

extension Tensor {
  /// Splits along `axis` into consecutive pieces of the given sizes (which must add up to the extent).
  public func split(sizes: [Int], axis: Int) -> [Tensor] {
    precondition(sizes.reduce(0, +) == shape[axis], "split sizes \(sizes) do not add up to \(shape[axis])")
    var start = 0
    return sizes.map { s in
      defer { start += s }
      return slice(axis: axis, start: start, end: start + s)
    }
  }
}

enum EmbeddingGrad {
  static func backward(_ g: Tensor, indices: [Int], vocabulary v: Int) -> Tensor {
    let d = g.shape[1]
    let dt = Tensor.zeros([v, d])
    let gp = g.storage.pointer, tp = dt.storage.pointer
    for (r, i) in indices.enumerated() {
      for j in 0..<d { tp[i * d + j] += gp[r * d + j] }
    }
    return dt
  }
}
