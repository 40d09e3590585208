/// Direct 2-D convolution for stride 1 and few output channels (LeNet's first layers, the
/// generator's last): no im2col. With F ≤ 16 the GEMM has too few rows to pay for a column
/// matrix K times the input's size.
///
/// Planes are handled flat: output pixel (oy, ox) sits at `oy·Wp + ox` on the (padded) input's row
/// pitch Wp, so every kernel tap reads the input at one fixed offset, `ki·Wp + kj`, and each tap is a
/// single long multiply-add over the whole plane instead of one short loop per 28-pixel row. The
/// Wp − Wo columns past each output row are scratch, dropped on the way out (forward) or zeroed
/// (backward). Padded inputs are copied into a zero-bordered plane first.
enum DirectConv {
    /// Whether the direct path suits this geometry.
    static func suits(_ g: ConvGeometry) -> Bool { g.stride == 1 && (g.c == 1 || g.f == 1) && g.f <= 16 && g.wo >= 8 }

    /// The padded input extent the kernel reads (rows, row pitch), and the flat span of one output plane.
    @inline(__always)
    static func layout(_ g: ConvGeometry) -> (hp: Int, wp: Int, flat: Int) {
        let hp = g.ho &+ g.kh &- 1, wp = g.wo &+ g.kw &- 1
        return (hp, wp, (g.ho &- 1) &* wp &+ g.wo)
    }

    /// Whether x's own planes already have the padded layout (no padding, nothing to crop).
    @inline(__always)
    static func readsInPlace(_ g: ConvGeometry) -> Bool {
        let (hp, wp, _) = layout(g)
        return g.padY == 0 && g.padX == 0 && hp == g.h && wp == g.w
    }

    /// Image `img`'s channels in the padded layout: x itself, or a zero-bordered copy in `buffer` [C·Hp·Wp].
    static func planes(_ x: UnsafePointer<Float>, img: Int, _ g: ConvGeometry, buffer: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
        let plane = g.h &* g.w
        if readsInPlace(g) { return x + img &* g.c &* plane }
        let (hp, wp, _) = layout(g)
        buffer.initialize(repeating: 0, count: g.c &* hp &* wp)
        let rows = Swift.min(g.h, hp &- g.padY), cols = Swift.min(g.w, wp &- g.padX)
        for ch in 0..<g.c {
            let src = x + (img &* g.c &+ ch) &* plane, dst = buffer + ch &* hp &* wp + g.padY &* wp + g.padX
            for iy in 0..<rows { (dst + iy &* wp).update(from: src + iy &* g.w, count: cols) }
        }
        return UnsafePointer(buffer)
    }

    /// Σ a[i]·b[i] in vector registers (a float sum in one chain would stay scalar).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
        var i = 0
        while i &+ 16 <= n {
            s0 += ra.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: i &* 4, as: SIMD8<Float>.self)
            s1 += ra.loadUnaligned(fromByteOffset: (i &+ 8) &* 4, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: (i &+ 8) &* 4, as: SIMD8<Float>.self)
            i &+= 16
        }
        var s = (s0 + s1).sum()
        while i < n { s += a[i] * b[i]; i &+= 1 }
        return s
    }

    /// y[img] = conv(x[img]) + b for the images in `range`.
    static func forward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>?,
                        _ y: UnsafeMutablePointer<Float>, _ g: ConvGeometry, range: Range<Int>) {
        let (c, f, kh, kw, ho, wo) = (g.c, g.f, g.kh, g.kw, g.ho, g.wo)
        let (hp, wp, flat) = layout(g)
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: readsInPlace(g) ? 1 : c &* hp &* wp)
        let acc = UnsafeMutablePointer<Float>.allocate(capacity: flat)
        defer { padded.deallocate(); acc.deallocate() }
        for img in range {
            let xs = planes(x, img: img, g, buffer: padded)
            for o in 0..<f {
                // 16 outputs at a time stay in registers through every tap (bias, then taps in order:
                // the same sums as one pass per tap, without reloading and storing acc per tap).
                let bias = b?[o] ?? 0, taps = w + o &* c &* kh &* kw
                var t = 0
                while t &+ 16 <= flat {
                    var a0 = SIMD8<Float>(repeating: bias), a1 = a0
                    for ch in 0..<c {
                        let src = xs + (ch &* hp &* wp &+ t)
                        for ki in 0..<kh {
                            let row = UnsafeRawPointer(src + ki &* wp), wrow = taps + (ch &* kh &+ ki) &* kw
                            for kj in 0..<kw {
                                let wv = wrow[kj]
                                a0 += wv * row.loadUnaligned(fromByteOffset: kj &* 4, as: SIMD8<Float>.self)
                                a1 += wv * row.loadUnaligned(fromByteOffset: (kj &+ 8) &* 4, as: SIMD8<Float>.self)
                            }
                        }
                    }
                    UnsafeMutableRawPointer(acc + t).storeBytes(of: a0, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(acc + (t &+ 8)).storeBytes(of: a1, as: SIMD8<Float>.self)
                    t &+= 16
                }
                while t < flat {
                    var a = bias
                    for ch in 0..<c {
                        for ki in 0..<kh {
                            let row = xs + (ch &* hp &* wp &+ ki &* wp &+ t), wrow = taps + (ch &* kh &+ ki) &* kw
                            for kj in 0..<kw { a += wrow[kj] * row[kj] }
                        }
                    }
                    acc[t] = a
                    t &+= 1
                }
                let out = y + (img &* f &+ o) &* ho &* wo
                for oy in 0..<ho { (out + oy &* wo).update(from: acc + oy &* wp, count: wo) }
            }
        }
    }

    /// dW += Σ g·x and db += Σ g over `range` (into this worker's accumulators); dx += Wᵀ g if asked.
    static func backward(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                         dw: UnsafeMutablePointer<Float>?, db: UnsafeMutablePointer<Float>?, dx: UnsafeMutablePointer<Float>?,
                         _ g: ConvGeometry, range: Range<Int>) {
        let (c, h, wd, f, kh, kw, ho, wo) = (g.c, g.h, g.w, g.f, g.kh, g.kw, g.ho, g.wo)
        let (hp, wp, flat) = layout(g)
        let inPlace = readsInPlace(g)
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: inPlace ? 1 : c &* hp &* wp)
        let dpadded = UnsafeMutablePointer<Float>.allocate(capacity: inPlace || dx == nil ? 1 : c &* hp &* wp)
        let grads = UnsafeMutablePointer<Float>.allocate(capacity: f &* flat)
        defer { padded.deallocate(); dpadded.deallocate(); grads.deallocate() }
        for img in range {
            let xs = planes(x, img: img, g, buffer: padded)
            // The output gradient on the input's row pitch, zero past each row's Wo pixels.
            grads.initialize(repeating: 0, count: f &* flat)
            for o in 0..<f {
                let src = gy + (img &* f &+ o) &* ho &* wo
                for oy in 0..<ho { (grads + o &* flat + oy &* wp).update(from: src + oy &* wo, count: wo) }
                if let db {
                    var s: Float = 0
                    for i in 0..<(ho &* wo) { s += src[i] }
                    db[o] += s
                }
            }
            // dx accumulates straight into x's gradient when the layouts agree, else into a padded plane.
            let dxs: UnsafeMutablePointer<Float>? = dx.map { inPlace ? $0 + img &* c &* h &* wd : dpadded }
            if dx != nil && !inPlace { dpadded.initialize(repeating: 0, count: c &* hp &* wp) }
            for o in 0..<f {
                let grad = grads + o &* flat
                for ch in 0..<c {
                    let plane = xs + ch &* hp &* wp
                    for ki in 0..<kh {
                        for kj in 0..<kw {
                            let wi = ((o &* c &+ ch) &* kh &+ ki) &* kw &+ kj
                            let off = ki &* wp &+ kj
                            if let dw { dw[wi] += dot(grad, plane + off, flat) }
                            if let dxs {
                                let dst = dxs + ch &* hp &* wp + off, wv = w[wi]
                                for t in 0..<flat { dst[t] += wv * grad[t] }
                            }
                        }
                    }
                }
            }
            if let dx, !inPlace {
                let rows = Swift.min(h, hp &- g.padY), cols = Swift.min(wd, wp &- g.padX)
                for ch in 0..<c {
                    let src = dpadded + ch &* hp &* wp + g.padY &* wp + g.padX, dst = dx + (img &* c &+ ch) &* h &* wd
                    for iy in 0..<rows {
                        let s = src + iy &* wp, d = dst + iy &* wd
                        for ix in 0..<cols { d[ix] += s[ix] }
                    }
                }
            }
        }
    }
}
