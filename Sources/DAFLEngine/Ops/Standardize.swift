// Row-wise standardisation of logits (z-score), for logit-standardised distillation.

extension Tensor {
    /// Each row of `x` [N, K] minus its mean, over its sample standard deviation plus `epsilon`
    /// (PyTorch: `(x − x.mean(1, keepdim=True)) / (epsilon + x.std(1, keepdim=True))`, the unbiased std).
    /// Sun et al., "Logit Standardization in Knowledge Distillation" (CVPR 2024), distil such logits so that
    /// the student need not match the teacher's logit range, only its shape.
    /// ```swift
    /// let z = logits.standardizedRows()   // every row: mean 0, std ≈ 1
    /// ```
    public func standardizedRows(epsilon: Float = 1e-7) -> Tensor {
        precondition(rank == 2 && shape[1] >= 2, "standardizedRows: x [N, K ≥ 2], not \(shape)")
        let rows = shape[0], k = shape[1]
        var out = scratch(count), centred = scratch(count), sd = [Float](repeating: 0, count: rows)
        data.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                centred.withUnsafeMutableBufferPointer { c in
                    for r in 0..<rows {
                        let base = r &* k
                        var mean: Float = 0
                        for j in 0..<k { mean += x[base &+ j] }
                        mean /= Float(k)
                        var ss: Float = 0
                        for j in 0..<k { let d = x[base &+ j] - mean; c[base &+ j] = d; ss += d * d }
                        let s = (ss / Float(k &- 1)).squareRoot()
                        sd[r] = s
                        let inv = 1 / (s + epsilon)
                        for j in 0..<k { y[base &+ j] = c[base &+ j] * inv }
                    }
                }
            }
        }
        let input = self
        return .result(shape: shape, data: out, parents: [self]) { g in
            // y = c / d with c = x − mean, d = s + ε, s² = Σc² / (K − 1):
            // dx_j = (g_j − mean(g)) / d − c_j · Σ_i g_i c_i / (d² (K − 1) s).
            var dx = scratch(rows &* k)
            for r in 0..<rows {
                let base = r &* k, s = sd[r], d = s + epsilon
                var gMean: Float = 0, gc: Float = 0
                for j in 0..<k { gMean += g[base &+ j]; gc += g[base &+ j] * centred[base &+ j] }
                gMean /= Float(k)
                // A constant row has s = 0: its output is 0 whatever small change, so only the first term remains.
                let second = s > 0 ? gc / (d * d * Float(k &- 1) * s) : 0
                for j in 0..<k { dx[base &+ j] = (g[base &+ j] - gMean) / d - centred[base &+ j] * second }
            }
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }
}
