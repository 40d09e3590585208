// Views: a new shape over the same values. Arrays are copy-on-write, so no copy is made.

extension Tensor {
    /// The same values with a new shape; one dimension may be −1 (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var s = newShape
        if let i = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            s[i] = count / Swift.max(known, 1)
        }
        precondition(s.reduce(1, *) == count, "cannot view \(shape) as \(newShape)")
        let input = self
        return .result(shape: s, data: data, parents: [self]) { g in input.accumulateGrad(g) }
    }

    /// [N, ...] → [N, product of the rest].
    public func flattened() -> Tensor { reshaped([shape[0], -1]) }
}

extension Tensor {
    /// The transpose of a matrix [N, K] → [K, N] (PyTorch: `x.t()`), so that a per-row op can act on columns.
    /// ```swift
    /// let perClass = logits.transposed()   // [K, N]: one row per class, across the batch
    /// ```
    public func transposed() -> Tensor {
        precondition(rank == 2, "transposed: a matrix [N, K], not \(shape)")
        let n = shape[0], k = shape[1]
        var out = scratch(count)
        data.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBufferPointer { y in
                for i in 0..<n { for j in 0..<k { y[j &* n &+ i] = x[i &* k &+ j] } }
            }
        }
        let input = self
        return .result(shape: [k, n], data: out, parents: [self]) { g in
            var dx = scratch(n &* k)
            dx.withUnsafeMutableBufferPointer { d in
                for i in 0..<n { for j in 0..<k { d[i &* k &+ j] = g[j &* n &+ i] } }
            }
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }
}
