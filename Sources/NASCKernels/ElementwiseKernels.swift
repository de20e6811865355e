import NASCKernelSupport

/// Elementwise functions as types, so each kernel loop is specialised and vectorised (a closure
/// captured by a parallel worker would be an indirect call per element).
protocol UnaryKernel {
  func callAsFunction(_ x: Float) -> Float
}

/// A function of two elements (the second is usually a saved activation in a backward rule).
protocol BinaryKernel {
  func callAsFunction(_ a: Float, _ b: Float) -> Float
}

enum K {
  struct Scale: UnaryKernel {
    let s: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x * s }
  }
  struct AddScalar: UnaryKernel {
    let c: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x + c }
  }
  struct Exp: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { _expf(x) } }
  struct Log: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { _logf(x) } }
  struct Relu: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : 0 } }
  struct Relu6: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { min(max(x, 0), 6) }
  }
  struct Tanh: UnaryKernel { @inline(__always) func callAsFunction(_ x: Float) -> Float { _tanhf(x) } }
  struct Sigmoid: UnaryKernel {
    @inline(__always) func callAsFunction(_ x: Float) -> Float { 1 / (1 + _expf(-x)) }
  }
  struct Indicator: UnaryKernel {
    let threshold: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { x > threshold ? 1 : 0 }
  }

  struct Add: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b }
  }
  struct Sub: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b }
  }
  struct Mul: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b }
  }
  struct Div: BinaryKernel {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b }
  }
  /// g · 1[y > 0]
  struct ReluGrad: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Float, _ y: Float) -> Float { y > 0 ? g : 0 }
  }
  /// g · 1[0 < x < 6]
  struct Relu6Grad: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Float, _ x: Float) -> Float { (x > 0 && x < 6) ? g : 0 }
  }
  /// g · (1 − y²)
  struct TanhGrad: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Float, _ y: Float) -> Float { g * (1 - y * y) }
  }
  /// g · y · (1 − y)
  struct SigmoidGrad: BinaryKernel {
    @inline(__always) func callAsFunction(_ g: Float, _ y: Float) -> Float { g * y * (1 - y) }
  }
}
