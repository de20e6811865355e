import NASCKernelSupport

#if canImport(Accelerate)
  import Accelerate
#else
  import CBLAS
#endif

/// Thin wrappers over `cblas_sgemm` (row-major). OpenBLAS is kept single-threaded: the engine
/// parallelises over the batch itself, so BLAS calls run inside its workers.
enum BLAS {
  /// Makes the BLAS library single-threaded once per process.
  static let configured: Bool = {
    #if !canImport(Accelerate)
      openblas_set_num_threads(1)
    #endif
    return true
  }()

  /// C[m×n] = alpha · op(A) · op(B) + beta · C, row-major with leading dimensions.
  @inline(__always)
  static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    _ = configured
    cblas_sgemm(
      CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }

  /// The same product as `gemm`, with the columns of C split into chunks for the engine's workers
  /// (deterministic: each column block is computed by exactly one single-threaded call).
  static func parallelGemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    let a = SendablePointer(UnsafeMutablePointer(mutating: a))
    let b = SendablePointer(UnsafeMutablePointer(mutating: b))
    let c = SendablePointer(c)
    let blocks = (n + 15) / 16
    parallelChunks(blocks, chunks: n >= 64 ? Engine.workChunks(blocks) : 1) { _, r in
      let lo = r.lowerBound * 16
      let hi = min(n, r.upperBound * 16)
      if hi <= lo { return }
      let bOff = transB ? lo * ldb : lo
      gemm(
        transA: transA, transB: transB, m: m, n: hi - lo, k: k, alpha: alpha, a: a.p, lda: lda,
        b: b.p + bOff, ldb: ldb, beta: beta, c: c.p + lo, ldc: ldc)
    }
  }
}
