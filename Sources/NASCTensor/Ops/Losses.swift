/// Mean cross-entropy of `logits` [N, K] against integer `labels` (N of them, each in 0..<K), with
/// optional label smoothing ε (PyTorch semantics: target = (1 − ε)·onehot + ε/K).
public func crossEntropy(logits: Tensor, labels: [Int], labelSmoothing: Float = 0) -> Tensor {
  precondition(
    logits.rank == 2 && logits.shape[0] == labels.count,
    "crossEntropy: logits \(logits.shape) for \(labels.count) labels")
  let n = logits.shape[0], k = logits.shape[1]
  let logp = Tensor.softmaxRows(logits, log: true)
  let lp = logp.storage.pointer
  var total: Double = 0
  for r in 0..<n {
    let y = labels[r]
    precondition(y >= 0 && y < k, "label \(y) out of range 0..<\(k)")
    var rowSum: Float = 0
    for i in 0..<k { rowSum += lp[r * k + i] }
    total += Double(-(1 - labelSmoothing) * lp[r * k + y] - labelSmoothing / Float(k) * rowSum)
  }
  var loss = Tensor(Float(total / Double(n)))
  loss.record(.crossEntropy(logProbs: logp, labels: labels, smoothing: labelSmoothing), logits)
  return loss
}

/// The fraction of rows of `logits` whose argmax equals the label.
public func accuracy(logits: Tensor, labels: [Int]) -> Float {
  let am = logits.argmaxRows()
  var hits = 0
  for (a, y) in zip(am, labels) where a == y { hits += 1 }
  return Float(hits) / Float(max(labels.count, 1))
}

extension Tensor {
  /// The index of the largest element of each row (last axis).
  public func argmaxRows() -> [Int] {
    let k = shape.last!, rows = count / k, p = storage.pointer
    return (0..<rows).map { r in
      var best = 0
      for i in 1..<k where p[r * k + i] > p[r * k + best] { best = i }
      return best
    }
  }
}

enum LossGrad {
  static func crossEntropy(_ logp: Tensor, _ labels: [Int], _ eps: Float, _ g: Tensor) -> Tensor {
    let n = logp.shape[0], k = logp.shape[1]
    let scale = g.storage.pointer[0] / Float(n)
    let dx = Tensor(uninitializedShape: logp.shape)
    let lp = logp.storage.pointer, dp = dx.storage.pointer
    for r in 0..<n {
      for i in 0..<k {
        let q = eps / Float(k) + (i == labels[r] ? 1 - eps : 0)
        dp[r * k + i] = scale * (_expf(lp[r * k + i]) - q)
      }
    }
    return dx
  }
}
