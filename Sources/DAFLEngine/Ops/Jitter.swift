extension Tensor {
    /// Images [N, C, H, W] rolled by `dy` rows and `dx` columns (wrapping round), then mirrored left–right
    /// if `mirrored` (as `torch.roll(x, (dy, dx), (2, 3))`, then `.flip(3)`).
    ///
    /// DeepInversion's jitter: the teacher judges a shifted, possibly mirrored view of the generator's
    /// images, so the generator cannot rely on features at fixed pixel positions. A permutation of the
    /// pixels, so the backward routes each gradient back to the pixel it came from.
    /// ```swift
    /// let view = generator(z).jittered(dy: 1, dx: -2, mirrored: true)
    /// ```
    public func jittered(dy: Int, dx: Int, mirrored: Bool) -> Tensor {
        precondition(rank == 4, "jittered: images [N, C, H, W], not \(shape)")
        let planes = shape[0] &* shape[1], h = shape[2], w = shape[3], plane = h &* w
        // The source column of each output column, and the source row of each output row.
        let rows = (0..<h).map { y in ((y &- dy) % h &+ h) % h }
        let cols = (0..<w).map { x in (((mirrored ? w &- 1 &- x : x) &- dx) % w &+ w) % w }
        var out = [Float](repeating: 0, count: count)
        data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                cols.withUnsafeBufferPointer { cp in
                    for p in 0..<planes {
                        let x = xp.baseAddress! + p &* plane, o = op.baseAddress! + p &* plane
                        for y in 0..<h {
                            let src = x + rows[y] &* w, dst = o + y &* w
                            for c in 0..<w { dst[c] = src[cp[c]] }
                        }
                    }
                }
            }
        }
        let input = self
        return .result(shape: shape, data: out, parents: [self]) { g in
            var dx = [Float](repeating: 0, count: input.count)
            dx.withUnsafeMutableBufferPointer { dp in
                cols.withUnsafeBufferPointer { cp in
                    for p in 0..<planes {
                        let gi = g.baseAddress! + p &* plane, d = dp.baseAddress! + p &* plane
                        for y in 0..<h {
                            let src = gi + y &* w, dst = d + rows[y] &* w
                            for c in 0..<w { dst[cp[c]] = src[c] }
                        }
                    }
                }
            }
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }
}
