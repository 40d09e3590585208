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

extension Tensor {
    /// Mean squared distance of the pixels in a band along the images' edges from a background level,
    /// over every channel: a prior that the edges of a picture are background, as in Fashion-MNIST's
    /// articles on black.
    ///
    /// The band is the outermost `width` rows and columns; the mean runs over its pixels only
    /// (as `((x − level)² · mask).sum() / mask.sum()` with `mask` 1 on the band).
    /// ```swift
    /// let black = Preprocessing.fashionMNIST.blackAndWhite.black
    /// let loss = generator(z).borderDeviation(from: black, width: 2)
    /// ```
    public func borderDeviation(from level: Float, width band: Int) -> Tensor {
        precondition(rank == 4 && band >= 1 && 2 &* band <= Swift.min(shape[2], shape[3]),
                     "borderDeviation: images [N, C, H, W] with a band of 1…min(H, W)/2 pixels, not \(shape), band \(band)")
        let planes = shape[0] &* shape[1], h = shape[2], w = shape[3], plane = h &* w
        let inner = (h &- 2 &* band) &* (w &- 2 &* band)
        let scale = 1 / Float(planes &* (plane &- inner))
        // The band's columns of row y: every column on the top and bottom rows, else the two side strips.
        func onBand(_ y: Int, _ c: Int) -> Bool { y < band || y >= h &- band || c < band || c >= w &- band }
        var s: Double = 0
        data.withUnsafeBufferPointer { xp in
            for p in 0..<planes {
                let x = xp.baseAddress! + p &* plane
                for y in 0..<h { for c in 0..<w where onBand(y, c) { let d = x[y &* w &+ c] - level; s += Double(d * d) } }
            }
        }
        let input = self
        return .result(shape: [], data: [Float(s) * scale], parents: [self]) { g in
            let k = 2 * g[0] * scale
            var dx = [Float](repeating: 0, count: input.count)
            input.data.withUnsafeBufferPointer { xp in
                dx.withUnsafeMutableBufferPointer { dp in
                    for p in 0..<planes {
                        let x = xp.baseAddress! + p &* plane, d = dp.baseAddress! + p &* plane
                        for y in 0..<h { for c in 0..<w where onBand(y, c) { let i = y &* w &+ c; d[i] = (x[i] - level) * k } }
                    }
                }
            }
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }
}

extension Tensor {
    /// Mean squared difference between images [N, C, H, W] and their mirror images (left and right swapped):
    /// a prior that a picture is symmetric about its vertical axis, as Fashion-MNIST's garments and bags
    /// are seen from the front (as `(x − x.flip(3)).pow(2).mean()`). Its gradient is 4·(x − mirror(x))/count:
    /// each pixel meets its mirror twice.
    /// ```swift
    /// let loss = generator(z).mirrorAsymmetry()
    /// ```
    public func mirrorAsymmetry() -> Tensor {
        precondition(rank == 4, "mirrorAsymmetry: images [N, C, H, W], not \(shape)")
        let d = self - jittered(dy: 0, dx: 0, mirrored: true)
        return (d * d).mean()
    }
}
