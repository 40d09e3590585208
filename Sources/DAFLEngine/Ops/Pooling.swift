extension Tensor {
    /// Max pooling with a square window equal to its stride (PyTorch's `MaxPool2d(k)`), no padding.
    /// The backward routes each gradient to the position that won; ties go to the first, as PyTorch.
    public func maxPool2d(_ k: Int) -> Tensor {
        precondition(rank == 4)
        let n = shape[0], c = shape[1], h = shape[2], w = shape[3]
        let ho = h / k, wo = w / k
        var out = scratch(n &* c &* ho &* wo)
        var arg = [Int32](repeating: 0, count: out.count)
        data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { yp in
                arg.withUnsafeMutableBufferPointer { ap in
                    let (xb, yb, ab) = (xp.baseAddress!, yp.baseAddress!, ap.baseAddress!)
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
                    for i in 0..<g.count { d[Int(ap[i])] += g[i] }
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

/// Max-pools whole planes (window = stride = k). Locals only, so the loops vectorise; k = 2 unrolled.
/// Strictly greater keeps the first of equal values (PyTorch); a NaN wins its window.
func maxPoolPlanes(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ arg: UnsafeMutablePointer<Int32>,
                   planes: Range<Int>, h: Int, w: Int, k: Int) {
    let ho = h / k, wo = w / k
    for plane in planes {
        let src = plane &* h &* w, dst = plane &* ho &* wo
        for oy in 0..<ho {
            for ox in 0..<wo {
                var bi = src &+ (oy &* k) &* w &+ ox &* k
                var best = x[bi]
                if k == 2 {
                    let i1 = bi &+ 1, i2 = bi &+ w, i3 = i2 &+ 1
                    if x[i1] > best || (x[i1] != x[i1] && best == best) { best = x[i1]; bi = i1 }
                    if x[i2] > best || (x[i2] != x[i2] && best == best) { best = x[i2]; bi = i2 }
                    if x[i3] > best || (x[i3] != x[i3] && best == best) { best = x[i3]; bi = i3 }
                } else {
                    for ki in 0..<k {
                        let row = src &+ (oy &* k &+ ki) &* w &+ ox &* k
                        for kj in 0..<k {
                            let v = x[row &+ kj]
                            if v > best || (v != v && best == best) { best = v; bi = row &+ kj }
                        }
                    }
                }
                y[dst &+ oy &* wo &+ ox] = best
                arg[dst &+ oy &* wo &+ ox] = Int32(bi)
            }
        }
    }
}
