extension Tensor {
    /// Max pooling with a square window equal to its stride (PyTorch's `MaxPool2d(k)`), no padding.
    /// The backward routes each gradient to the position that won; ties go to the first, as PyTorch.
    public func maxPool2d(_ k: Int) -> Tensor {
        precondition(rank == 4)
        let n = shape[0], c = shape[1], h = shape[2], w = shape[3]
        let ho = h / k, wo = w / k
        var out = scratch(n &* c &* ho &* wo)
        // Where each maximum came from, for the backward; not needed when no graph is recorded.
        let recording = GradMode.isEnabled && requiresGrad
        var arg = [Int32](unsafeUninitializedCapacity: recording ? out.count : 0) { _, count in count = recording ? out.count : 0 }
        data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { yp in
                arg.withUnsafeMutableBufferPointer { ap in
                    let (xb, yb, ab) = (xp.baseAddress!, yp.baseAddress!, recording ? ap.baseAddress : nil)
                    // Planes are independent: split them across the workers.
                    Parallel.forRange(n &* c, minPerWorker: Swift.max(1, (1 << 14) / Swift.max(h &* w, 1))) { planes in
                        maxPoolPlanes(xb, yb, ab, planes: planes, h: h, w: w, k: k)
                    }
                }
            }
        }
        let input = self, total = count
        return .result(shape: [n, c, ho, wo], data: out, parents: [self]) { g in
            var dx = [Float](repeating: 0, count: total)
            arg.withUnsafeBufferPointer { ap in
                dx.withUnsafeMutableBufferPointer { d in
                    // Windows do not overlap, so each plane's outputs land in that plane alone.
                    let (ab, db, gb, per) = (ap.baseAddress!, d.baseAddress!, g.baseAddress!, ho &* wo)
                    Parallel.forRange(n &* c, minPerWorker: Swift.max(1, (1 << 14) / Swift.max(per, 1))) { planes in
                        for i in (planes.lowerBound &* per)..<(planes.upperBound &* per) { db[Int(ab[i])] += gb[i] }
                    }
                }
            }
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }

    /// The mean of each channel over height and width, [N, C, H, W] → [N, C]: ResNet's final
    /// `avg_pool2d(out, 4)` on its 4×4 maps, flattened. The backward spreads each gradient evenly.
    public func meanOverSpace() -> Tensor {
        precondition(rank == 4)
        let planes = shape[0] &* shape[1], per = shape[2] &* shape[3]
        let scale = 1 / Float(per)
        var out = [Float](repeating: 0, count: planes)
        data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { yp in
                for p in 0..<planes {
                    var s: Float = 0
                    let base = p &* per
                    for i in 0..<per { s += xp[base &+ i] }
                    yp[p] = s * scale
                }
            }
        }
        let input = self, total = count
        return .result(shape: [shape[0], shape[1]], data: out, parents: [self]) { g in
            var dx = [Float](repeating: 0, count: total)
            dx.withUnsafeMutableBufferPointer { d in
                for p in 0..<planes {
                    let v = g[p] * scale, base = p &* per
                    for i in 0..<per { d[base &+ i] = v }
                }
            }
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }

    /// Nearest-neighbour upsampling by 2 in height and width (`F.interpolate(scale_factor=2)`).
    public func upsampleNearest2x() -> Tensor {
        precondition(rank == 4)
        let n = shape[0], c = shape[1], h = shape[2], w = shape[3]
        let w2 = w &* 2
        var out = [Float](repeating: 0, count: count &* 4)
        data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { yp in
                for plane in 0..<(n &* c) {
                    let src = xp.baseAddress! + (plane &* h &* w)
                    let dst = yp.baseAddress! + (plane &* h &* w &* 4)
                    for y in 0..<h {
                        let r0 = dst + ((2 &* y) &* w2), r1 = r0 + w2
                        for x in 0..<w {
                            let v = src[y &* w &+ x]
                            r0[2 &* x] = v; r0[2 &* x &+ 1] = v; r1[2 &* x] = v; r1[2 &* x &+ 1] = v
                        }
                    }
                }
            }
        }
        let input = self, total = count
        return .result(shape: [n, c, h &* 2, w2], data: out, parents: [self]) { g in
            var dx = [Float](repeating: 0, count: total)
            dx.withUnsafeMutableBufferPointer { d in
                for plane in 0..<(n &* c) {
                    let src = g.baseAddress! + (plane &* h &* w &* 4)
                    let dst = d.baseAddress! + (plane &* h &* w)
                    for y in 0..<h {
                        let r0 = src + ((2 &* y) &* w2), r1 = r0 + w2
                        for x in 0..<w {
                            dst[y &* w &+ x] = r0[2 &* x] + r0[2 &* x &+ 1] + r1[2 &* x] + r1[2 &* x &+ 1]
                        }
                    }
                }
            }
            dx.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }
}

/// Max-pools whole planes (window = stride = k). Locals only, so the loops vectorise; k = 2 unrolled
/// into selects, without branches. Strictly greater keeps the first of equal values (PyTorch); a NaN wins its window.
func maxPoolPlanes(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ arg: UnsafeMutablePointer<Int32>?,
                   planes: Range<Int>, h: Int, w: Int, k: Int) {
    let ho = h / k, wo = w / k
    @inline(__always) func takes(_ v: Float, over best: Float) -> Bool { v > best || (v != v && best == best) }
    for plane in planes {
        let src = plane &* h &* w, dst = plane &* ho &* wo
        for oy in 0..<ho {
            if k == 2 {
                let r0 = src &+ (2 &* oy) &* w, r1 = r0 &+ w
                let out = y + (dst &+ oy &* wo), outArg = arg.map { $0 + (dst &+ oy &* wo) }
                // Four windows at a time: even and odd lanes of two 8-float loads are the windows' columns.
                var ox = 0
                while ox &+ 4 <= wo {
                    let top = UnsafeRawPointer(x + (r0 &+ 2 &* ox)).loadUnaligned(as: SIMD8<Float>.self)
                    let bottom = UnsafeRawPointer(x + (r1 &+ 2 &* ox)).loadUnaligned(as: SIMD8<Float>.self)
                    let base = SIMD4<Int32>(0, 2, 4, 6) &+ Int32(truncatingIfNeeded: r0 &+ 2 &* ox)
                    var best = top.evenHalf, bi = base
                    @inline(__always) func consider(_ v: SIMD4<Float>, _ offset: Int32) {
                        let take = (v .> best) .| ((v .!= v) .& (best .== best))
                        best.replace(with: v, where: take)
                        bi.replace(with: base &+ offset, where: take)
                    }
                    consider(top.oddHalf, 1)
                    consider(bottom.evenHalf, Int32(truncatingIfNeeded: w))
                    consider(bottom.oddHalf, Int32(truncatingIfNeeded: w &+ 1))
                    UnsafeMutableRawPointer(out + ox).storeBytes(of: best, as: SIMD4<Float>.self)
                    if let outArg { UnsafeMutableRawPointer(outArg + ox).storeBytes(of: bi, as: SIMD4<Int32>.self) }
                    ox &+= 4
                }
                while ox < wo {
                    let i0 = r0 &+ 2 &* ox, i2 = r1 &+ 2 &* ox
                    var best = x[i0], bi = i0
                    if takes(x[i0 &+ 1], over: best) { best = x[i0 &+ 1]; bi = i0 &+ 1 }
                    if takes(x[i2], over: best) { best = x[i2]; bi = i2 }
                    if takes(x[i2 &+ 1], over: best) { best = x[i2 &+ 1]; bi = i2 &+ 1 }
                    out[ox] = best
                    outArg?[ox] = Int32(truncatingIfNeeded: bi)
                    ox &+= 1
                }
                continue
            }
            for ox in 0..<wo {
                var bi = src &+ (oy &* k) &* w &+ ox &* k
                var best = x[bi]
                for ki in 0..<k {
                    let row = src &+ (oy &* k &+ ki) &* w &+ ox &* k
                    for kj in 0..<k {
                        let v = x[row &+ kj]
                        if takes(v, over: best) { best = v; bi = row &+ kj }
                    }
                }
                y[dst &+ oy &* wo &+ ox] = best
                arg?[dst &+ oy &* wo &+ ox] = Int32(bi)
            }
        }
    }
}
