extension Tensor {
    /// Each unit (channel, dimension 1) times a constant: x [N, C] or [N, C, H, W], `scales` [C]
    /// (PyTorch: `x * s.view(1, -1, 1, 1)`). The scales are not trained; the gradient reaches x only.
    /// A gradually pruned student fades its dropped units out this way (`LeNet5.unitScales`).
    /// ```swift
    /// let faded = h.scalingUnits(by: [1, 1, 0.25])   // the third channel at a quarter
    /// ```
    public func scalingUnits(by scales: [Float]) -> Tensor {
        precondition(rank >= 2 && shape[1] == scales.count, "scalingUnits: x \(shape), \(scales.count) scales")
        let c = shape[1], planes = shape[0] &* c, per = count / Swift.max(planes, 1)
        var out = scratch(count)
        data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { yp in
                for p in 0..<planes {
                    let (s, base) = (scales[p % c], p &* per)
                    for i in base..<(base &+ per) { yp[i] = xp[i] * s }
                }
            }
        }
        let input = self, total = count
        return .result(shape: shape, data: out, parents: [self]) { g in
            var dx = scratch(total)
            dx.withUnsafeMutableBufferPointer { dp in
                for p in 0..<planes {
                    let (s, base) = (scales[p % c], p &* per)
                    for i in base..<(base &+ per) { dp[i] = g[i] * s }
                }
            }
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }
}
