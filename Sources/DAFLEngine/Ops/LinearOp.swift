// Fully connected layer and matrix product, over cblas_sgemm.

extension Tensor {
    /// y = x·Wᵀ + b for x [N, in], W [out, in], b [out] (PyTorch's `F.linear`).
    public static func linear(_ x: Tensor, weight w: Tensor, bias b: Tensor?) -> Tensor {
        precondition(x.rank == 2 && w.rank == 2 && x.shape[1] == w.shape[1],
                     "linear: input \(x.shape) does not fit weight \(w.shape)")
        let n = x.shape[0], inF = w.shape[1], outF = w.shape[0]
        var out = [Float](repeating: 0, count: n * outF)
        if let b {
            out.withUnsafeMutableBufferPointer { y in
                b.data.withUnsafeBufferPointer { bp in
                    for r in 0..<n { for j in 0..<outF { y[r &* outF &+ j] = bp[j] } }
                }
            }
        }
        x.data.withUnsafeBufferPointer { xp in
            w.data.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { yp in
                    BLAS.gemm(transA: false, transB: true, m: n, n: outF, k: inF,
                              a: xp.baseAddress!, lda: inF, b: wp.baseAddress!, ldb: inF,
                              beta: b == nil ? 0 : 1, c: yp.baseAddress!, ldc: outF)
                }
            }
        }
        let parents = [x, w] + (b.map { [$0] } ?? [])
        return .result(shape: [n, outF], data: out, parents: parents) { g in
            let gp = g.baseAddress!
            if x.requiresGrad {
                // dx = g · W
                x.withGradBuffer { dx, fresh in
                    w.data.withUnsafeBufferPointer { wp in
                        BLAS.gemm(transA: false, transB: false, m: n, n: inF, k: outF, a: gp, lda: outF,
                                  b: wp.baseAddress!, ldb: inF, beta: fresh ? 0 : 1, c: dx.baseAddress!, ldc: inF)
                    }
                }
            }
            if w.requiresGrad {
                // dW = gᵀ · x
                w.withGradBuffer { dw, fresh in
                    x.data.withUnsafeBufferPointer { xp in
                        BLAS.gemm(transA: true, transB: false, m: outF, n: inF, k: n, a: gp, lda: outF,
                                  b: xp.baseAddress!, ldb: inF, beta: fresh ? 0 : 1, c: dw.baseAddress!, ldc: inF)
                    }
                }
            }
            if let b, b.requiresGrad {
                b.withGradBuffer { db, _ in
                    for r in 0..<n { for j in 0..<outF { db[j] += g[r &* outF &+ j] } }
                }
            }
        }
    }
}
