/// Thin, named wrappers over `cblas_sgemm` for row-major matrices.
///
/// `C = alpha * op(A) * op(B) + beta * C`, where `op` transposes when asked. The library behind it is
/// loaded on first use with kernels chosen for this processor (`BLASLibrary`).
/// ```swift
/// BLAS.gemm(transA: false, transB: true, m: 4, n: 3, k: 5, a: x, lda: 5, b: w, ldb: 5, c: y, ldc: 3)
/// ```
public enum BLAS {
    // CBLAS's enumeration values (cblas.h), fixed by the standard interface.
    static let rowMajor: Int32 = 101, noTrans: Int32 = 111, trans: Int32 = 112

    @inline(__always)
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        BLASLibrary.shared.sgemm(rowMajor, transA ? trans : noTrans, transB ? trans : noTrans,
                                 Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Sets the number of threads OpenBLAS uses (the engine sets 1 and splits work itself: `Parallel`).
    public static func setThreads(_ n: Int) { BLASLibrary.shared.setThreads(Int32(n)) }
}
