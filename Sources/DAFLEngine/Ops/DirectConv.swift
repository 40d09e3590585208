/// Direct 2-D convolution for stride 1 and few output channels (LeNet's first layers, the
/// generator's last): no im2col. With F ≤ 16 the GEMM has too few rows to pay for a column
/// matrix K times the input's size; here every output row accumulates kernel-tap × input-row
/// products in loops that vectorise.
enum DirectConv {
    /// Whether the direct path suits this geometry.
    static func suits(_ g: ConvGeometry) -> Bool { g.stride == 1 && (g.c == 1 || g.f == 1) && g.f <= 16 && g.wo >= 8 }

    /// The output columns that read input column `ox - padX + kj` inside [0, w).
    @inline(__always)
    static func columns(_ g: ConvGeometry, kj: Int) -> (Int, Int) {
        let lo = Swift.max(0, g.padX &- kj), hi = Swift.min(g.wo, g.w &+ g.padX &- kj)
        return (lo, Swift.max(lo, hi))
    }

    /// y[img] = conv(x[img]) + b for the images in `range`.
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?,
                        _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry, range: Range<Int>) {
        let (c, h, wd, f, kh, kw, padY, padX, ho, wo) = (g.c, g.h, g.w, g.f, g.kh, g.kw, g.padY, g.padX, g.ho, g.wo)
        for img in range {
            for o in 0..<f {
                let out = y + ((img &* f &+ o) &* ho &* wo)
                let bias = b?[o] ?? 0
                for i in 0..<(ho &* wo) { out[i] = bias }
                for ch in 0..<c {
                    let plane = x + ((img &* c &+ ch) &* h &* wd)
                    for ki in 0..<kh {
                        for kj in 0..<kw {
                            let wv = w[((o &* c &+ ch) &* kh &+ ki) &* kw &+ kj]
                            let (lo, hi) = columns(g, kj: kj)
                            for oy in 0..<ho {
                                let iy = oy &- padY &+ ki
                                if iy < 0 || iy >= h { continue }
                                let src = plane + (iy &* wd &- padX &+ kj), dst = out + oy &* wo
                                var ox = lo
                                while ox < hi { dst[ox] += wv * src[ox]; ox &+= 1 }
                            }
                        }
                    }
                }
            }
        }
    }

    /// dW += Σ g·x and db += Σ g over `range` (into this worker's accumulators); dx += Wᵀ g if asked.
    static func backward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                         dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>?,
                         _ g: ConvGeometry, range: Range<Int>) {
        let (c, h, wd, f, kh, kw, padY, padX, ho, wo) = (g.c, g.h, g.w, g.f, g.kh, g.kw, g.padY, g.padX, g.ho, g.wo)
        for img in range {
            for o in 0..<f {
                let grad = gy + ((img &* f &+ o) &* ho &* wo)
                if let db {
                    var s: Float = 0
                    for i in 0..<(ho &* wo) { s += grad[i] }
                    db[o] += s
                }
                for ch in 0..<c {
                    let plane = x + ((img &* c &+ ch) &* h &* wd)
                    let dplane = dx.map { $0 + ((img &* c &+ ch) &* h &* wd) }
                    for ki in 0..<kh {
                        for kj in 0..<kw {
                            let wi = ((o &* c &+ ch) &* kh &+ ki) &* kw &+ kj
                            let wv = w[wi]
                            let (lo, hi) = columns(g, kj: kj)
                            var acc: Float = 0
                            for oy in 0..<ho {
                                let iy = oy &- padY &+ ki
                                if iy < 0 || iy >= h { continue }
                                let off = iy &* wd &- padX &+ kj
                                let grow = grad + oy &* wo
                                if dw != nil {
                                    // Four partial sums: a float reduction in one chain neither pipelines nor vectorises.
                                    let src = plane + off
                                    var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
                                    var ox = lo
                                    while ox &+ 4 <= hi {
                                        s0 += grow[ox] * src[ox]; s1 += grow[ox &+ 1] * src[ox &+ 1]
                                        s2 += grow[ox &+ 2] * src[ox &+ 2]; s3 += grow[ox &+ 3] * src[ox &+ 3]
                                        ox &+= 4
                                    }
                                    while ox < hi { s0 += grow[ox] * src[ox]; ox &+= 1 }
                                    acc += (s0 + s1) + (s2 + s3)
                                }
                                if let dplane {
                                    let dst = dplane + off
                                    var ox = lo
                                    while ox < hi { dst[ox] += wv * grow[ox]; ox &+= 1 }
                                }
                            }
                            dw?[wi] += acc
                        }
                    }
                }
            }
        }
    }
}
