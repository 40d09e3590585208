// Reductions: to a scalar, or over the batch dimension.

extension Tensor {
    /// The sum of every element, as a scalar tensor. Accumulates in Double.
    public func sum() -> Tensor {
        var s: Double = 0
        data.withUnsafeBufferPointer { x in for v in x { s += Double(v) } }
        let input = self, n = count
        return .result(shape: [], data: [Float(s)], parents: [self]) { g in
            let d = [Float](repeating: g[0], count: n)
            d.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }

    /// The mean of every element, as a scalar tensor.
    public func mean() -> Tensor { sum() * (1 / Float(count)) }

    /// The mean over the first dimension: [N, rest...] → [rest...].
    public func meanOverBatch() -> Tensor {
        precondition(rank >= 1)
        let n = shape[0], inner = count / Swift.max(n, 1)
        var out = [Double](repeating: 0, count: inner)
        data.withUnsafeBufferPointer { x in
            for r in 0..<n {
                let base = r &* inner
                for j in 0..<inner { out[j] += Double(x[base &+ j]) }
            }
        }
        let input = self
        return .result(shape: Array(shape.dropFirst()), data: out.map { Float($0 / Double(n)) },
                       parents: [self]) { g in
            var d = [Float](repeating: 0, count: n &* inner)
            let scale = 1 / Float(n)
            d.withUnsafeMutableBufferPointer { dp in
                for r in 0..<n {
                    let base = r &* inner
                    for j in 0..<inner { dp[base &+ j] = g[j] * scale }
                }
            }
            d.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }
}
