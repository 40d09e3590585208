extension Tensor {
    /// Squared total variation of images [N, C, H, W]: mean (x[h+1,w] − x[h,w])² plus mean (x[h,w+1] − x[h,w])²,
    /// each over all neighbouring pairs (as `diff(x, dim=2).pow(2).mean() + diff(x, dim=3).pow(2).mean()`).
    ///
    /// An image prior (DeepInversion's R_TV): low on smooth pictures, high on the pixel noise a generator
    /// can use to excite a classifier.
    /// ```swift
    /// let loss = generator(z).totalVariation()
    /// ```
    public func totalVariation() -> Tensor {
        precondition(rank == 4 && shape[2] >= 2 && shape[3] >= 2, "totalVariation: images [N, C, H, W] of at least 2×2, not \(shape)")
        let planes = shape[0] &* shape[1], h = shape[2], w = shape[3], plane = h &* w
        // Each sum is divided by its own pair count, so a square image weighs both directions alike.
        let scaleV = 1 / Float(planes &* (h &- 1) &* w), scaleH = 1 / Float(planes &* h &* (w &- 1))
        var sv: Double = 0, sh: Double = 0
        data.withUnsafeBufferPointer { xp in
            for p in 0..<planes {
                let x = xp.baseAddress! + p &* plane
                for y in 0..<h {
                    let row = x + y &* w
                    for c in 0..<w {
                        if y &+ 1 < h { let d = row[c &+ w] - row[c]; sv += Double(d * d) }
                        if c &+ 1 < w { let d = row[c &+ 1] - row[c]; sh += Double(d * d) }
                    }
                }
            }
        }
        let input = self
        return .result(shape: [], data: [Float(sv) * scaleV + Float(sh) * scaleH], parents: [self]) { g in
            let gv = 2 * g[0] * scaleV, gh = 2 * g[0] * scaleH
            var dx = [Float](repeating: 0, count: input.count)
            input.data.withUnsafeBufferPointer { xp in
                dx.withUnsafeMutableBufferPointer { dp in
                    for p in 0..<planes {
                        let x = xp.baseAddress! + p &* plane, d = dp.baseAddress! + p &* plane
                        for y in 0..<h {
                            for c in 0..<w {
                                let i = y &* w &+ c
                                if y &+ 1 < h { let v = (x[i &+ w] - x[i]) * gv; d[i &+ w] += v; d[i] -= v }
                                if c &+ 1 < w { let v = (x[i &+ 1] - x[i]) * gh; d[i &+ 1] += v; d[i] -= v }
                            }
                        }
                    }
                }
            }
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }
}
