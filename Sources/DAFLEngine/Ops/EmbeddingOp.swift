// Lookup tables and per-row sums: what class conditioning needs (a label embedding in the generator,
// the projection term ⟨embed(y), φ(x)⟩ in the discriminator).

extension Tensor {
    /// Rows of `weight` [V, D] picked by `indices`, as [N, D] (PyTorch's `F.embedding`).
    /// The backward adds each output row's gradient into the row it came from (repeats add up).
    /// ```swift
    /// let h = Tensor.embedding([3, 0, 3], weight: table)   // [3, D]
    /// ```
    public static func embedding(_ indices: [Int], weight w: Tensor) -> Tensor {
        precondition(w.rank == 2, "embedding: weight must be [V, D], got \(w.shape)")
        let v = w.shape[0], d = w.shape[1], n = indices.count
        precondition(indices.allSatisfy { $0 >= 0 && $0 < v }, "embedding: an index is outside 0..<\(v)")
        var out = scratch(n &* d)
        w.data.withUnsafeBufferPointer { wp in
            out.withUnsafeMutableBufferPointer { yp in
                for (r, i) in indices.enumerated() {
                    (yp.baseAddress! + r &* d).update(from: wp.baseAddress! + i &* d, count: d)
                }
            }
        }
        return .result(shape: [n, d], data: out, parents: [w]) { g in
            w.withGradBuffer { dw, _ in
                for (r, i) in indices.enumerated() {
                    let src = g.baseAddress! + r &* d, dst = dw.baseAddress! + i &* d
                    for j in 0..<d { dst[j] += src[j] }
                }
            }
        }
    }

    /// The sum over the last dimension of a [N, D] tensor: [N] (`x.sum(dim=1)`).
    public func sumRows() -> Tensor {
        precondition(rank == 2, "sumRows: needs [N, D], got \(shape)")
        let n = shape[0], d = shape[1]
        var out = [Float](repeating: 0, count: n)
        data.withUnsafeBufferPointer { x in
            for r in 0..<n {
                var s: Float = 0
                for j in 0..<d { s += x[r &* d &+ j] }
                out[r] = s
            }
        }
        let input = self
        return .result(shape: [n], data: out, parents: [self]) { g in
            var dx = scratch(n &* d)
            dx.withUnsafeMutableBufferPointer { dp in
                for r in 0..<n { for j in 0..<d { dp[r &* d &+ j] = g[r] } }
            }
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }
}

extension Tensor {
    /// x·scale + shift with a scale and shift per sample and channel: x [N, C, H, W], scale and shift
    /// [N, C] (PyTorch: `x * s[:, :, None, None] + b[:, :, None, None]`). The affine half of a
    /// class-conditional batch norm, whose γ and β depend on each sample's label.
    public static func channelAffine(_ x: Tensor, scale: Tensor, shift: Tensor) -> Tensor {
        precondition(x.rank == 4 && scale.shape == [x.shape[0], x.shape[1]] && shift.shape == scale.shape,
                     "channelAffine: x \(x.shape), scale \(scale.shape), shift \(shift.shape)")
        let planes = x.shape[0] &* x.shape[1], hw = x.count / Swift.max(planes, 1)
        var out = scratch(x.count)
        x.data.withUnsafeBufferPointer { xp in
            scale.data.withUnsafeBufferPointer { sp in
                shift.data.withUnsafeBufferPointer { bp in
                    out.withUnsafeMutableBufferPointer { yp in
                        for p in 0..<planes {
                            let (s, b, base) = (sp[p], bp[p], p &* hw)
                            for i in base..<(base &+ hw) { yp[i] = xp[i] * s + b }
                        }
                    }
                }
            }
        }
        return .result(shape: x.shape, data: out, parents: [x, scale, shift]) { g in
            var dx = scratch(x.count), ds = [Float](repeating: 0, count: planes), db = ds
            x.data.withUnsafeBufferPointer { xp in
                scale.data.withUnsafeBufferPointer { sp in
                    for p in 0..<planes {
                        let (s, base) = (sp[p], p &* hw)
                        var gs: Float = 0, gb: Float = 0
                        for i in base..<(base &+ hw) { dx[i] = g[i] * s; gs += g[i] * xp[i]; gb += g[i] }
                        ds[p] = gs; db[p] = gb
                    }
                }
            }
            if x.requiresGrad { dx.withUnsafeBufferPointer { x.accumulateGrad($0) } }
            if scale.requiresGrad { ds.withUnsafeBufferPointer { scale.accumulateGrad($0) } }
            if shift.requiresGrad { db.withUnsafeBufferPointer { shift.accumulateGrad($0) } }
        }
    }
}
