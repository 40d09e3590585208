// Softmax and log-softmax over the last dimension of [N, K], max-subtracted for stability.

/// Row-wise softmax of `x` [rows, k] into `y`.
func softmaxRows(_ x: UnsafeBufferPointer<Float>, _ y: UnsafeMutableBufferPointer<Float>, rows: Int, k: Int) {
    for r in 0..<rows {
        let base = r &* k
        var mx = -Float.infinity
        for j in 0..<k { mx = Swift.max(mx, x[base &+ j]) }
        var s: Float = 0
        for j in 0..<k { let e = fexp(x[base &+ j] - mx); y[base &+ j] = e; s += e }
        let inv = 1 / s
        for j in 0..<k { y[base &+ j] *= inv }
    }
}

extension Tensor {
    /// softmax along the last dimension.
    public func softmax() -> Tensor {
        let k = shape.last!, rows = count / k
        var out = [Float](repeating: 0, count: count)
        data.withUnsafeBufferPointer { x in out.withUnsafeMutableBufferPointer { softmaxRows(x, $0, rows: rows, k: k) } }
        let input = self, y = out
        return .result(shape: shape, data: out, parents: [self]) { g in
            // dx = y·(g − Σ g·y)
            var dx = [Float](repeating: 0, count: rows &* k)
            for r in 0..<rows {
                let base = r &* k
                var dot: Float = 0
                for j in 0..<k { dot += g[base &+ j] * y[base &+ j] }
                for j in 0..<k { dx[base &+ j] = y[base &+ j] * (g[base &+ j] - dot) }
            }
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }

    /// log-softmax along the last dimension.
    public func logSoftmax() -> Tensor {
        let k = shape.last!, rows = count / k
        var sm = [Float](repeating: 0, count: count)
        data.withUnsafeBufferPointer { x in sm.withUnsafeMutableBufferPointer { softmaxRows(x, $0, rows: rows, k: k) } }
        var out = [Float](repeating: 0, count: count)
        for r in 0..<rows {
            let base = r &* k
            var mx = -Float.infinity
            for j in 0..<k { mx = Swift.max(mx, data[base &+ j]) }
            var s: Float = 0
            for j in 0..<k { s += fexp(data[base &+ j] - mx) }
            let lse = mx + flog(s)
            for j in 0..<k { out[base &+ j] = data[base &+ j] - lse }
        }
        let input = self
        return .result(shape: shape, data: out, parents: [self]) { g in
            // dx = g − softmax·Σg
            var dx = [Float](repeating: 0, count: rows &* k)
            for r in 0..<rows {
                let base = r &* k
                var s: Float = 0
                for j in 0..<k { s += g[base &+ j] }
                for j in 0..<k { dx[base &+ j] = g[base &+ j] - sm[base &+ j] * s }
            }
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }

    /// The index of the largest value in each row of [N, K].
    public func argmaxRows() -> [Int] {
        let k = shape.last!, rows = count / k
        return (0..<rows).map { r in
            var bi = 0
            for j in 1..<k where data[r &* k &+ j] > data[r &* k &+ bi] { bi = j }
            return bi
        }
    }
}
