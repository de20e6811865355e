extension Tensor {
  /// Back-propagates from this one-element tensor (seed gradient 1): gradients accumulate into every
  /// `Parameter` it depends on, and the graph behind it is released.
  public func backward() {
    precondition(count == 1, "backward() without a seed needs a one-element tensor, got \(shape)")
    backward(seed: Tensor(repeating: 1, shape: shape))
  }

  /// Back-propagates `seed` (the gradient of some scalar with respect to this tensor).
  public func backward(seed: Tensor) {
    precondition(seed.shape == shape, "seed shape \(seed.shape) differs from \(shape)")
    guard let root = node else { return }
    withNoGrad {
      let order = Tensor.reverseTopologicalOrder(from: root)
      root.accumulate(seed)
      for n in order {
        if n.isLeaf { continue }
        guard let g = n.grad else {
          n.release()
          continue
        }
        let grads: [Tensor?]
        if let p = Profiler.current {
          let (t0, op, need) = (Profiler.now(), n.op, n.inputs.map { $0 != nil })
          p.mark = t0
          grads = backwardRule(n, grad: g)
          Profiler.backward(p, op, since: t0, elements: g.count, need: need)
        } else {
          grads = backwardRule(n, grad: g)
        }
        for (input, gi) in zip(n.inputs, grads) {
          if let input, let gi { input.accumulate(gi) }
        }
        n.release()
      }
    }
  }

  /// Every node reachable from `root` (leaves included), latest first.
  static func reverseTopologicalOrder(from root: Node) -> [Node] {
    let stamp = Node.nextNumber()
    var found: [Node] = []
    var stack: [Node] = [root]
    root.mark = stamp
    while let n = stack.popLast() {
      found.append(n)
      for case let i? in n.inputs where i.mark != stamp {
        i.mark = stamp
        stack.append(i)
      }
    }
    found.sort { $0.id > $1.id }
    return found
  }
}

extension Node {
  /// Drops everything backward no longer needs (saved activations, links, the gradient).
  func release() {
    op = .released
    inputs = []
    grad = nil
  }
}
