/// Winograd F(2×2, 3×3): 3×3 convolutions at stride 1 with 2.25× fewer multiply-adds than im2col.
///
/// Each 2×2 output tile is `Aᵀ[(G w Gᵀ) ⊙ (Bᵀ d B)]A` for the 4×4 input tile d around it, so a layer
/// becomes 16 independent GEMMs, one per position ξ of the 4×4 transformed tile:
/// `M[ξ] (F×T) = U[ξ] (F×C) · V[ξ] (C×T)` over T tiles. The backward passes are the same algebra run
/// backwards, exactly (the transforms are linear):
/// - input gradient: a Winograd convolution of dy with the flipped, transposed kernel. Its transformed
///   weights are U with ξ's rows and columns 0↔3 swapped, used transposed in the GEMM: no new transform.
/// - weight gradient: `dU[ξ] = (A dy Aᵀ)[ξ] · V[ξ]ᵀ` summed over tiles, then `dw = Gᵀ dU G`.
///
/// Layouts: `U[ξ][F][C]`, `V[ξ][C][T]`, `M[ξ][F][T]`, tile t = image·th·tw + ty·tw + tx.
/// The transforms run along rows of tiles over even/odd split rows, so every inner loop is contiguous.
/// ```swift
/// let y = Tensor.conv2d(x, weight: w, bias: nil, padding: 1, algorithm: .winograd)
/// ```
enum Winograd {
    /// 3×3 kernels at stride 1 with enough channels on both sides for the 16 GEMMs to be efficient.
    static func suits(_ g: ConvGeometry) -> Bool {
        g.kh == 3 && g.kw == 3 && g.stride == 1 && g.c >= 16 && g.f >= 16 && g.padY <= 2 && g.padX <= 2
    }

    /// One pass: images [cIn, hIn, wIn] padded by (padY, padX) → outputs [cOut, hOut, wOut].
    struct Pass {
        let cIn, hIn, wIn, padY, padX, cOut, hOut, wOut: Int
        var th: Int { (hOut &+ 1) >> 1 }
        var tw: Int { (wOut &+ 1) >> 1 }
        var tiles: Int { th &* tw }

        /// The forward pass of `g`.
        init(_ g: ConvGeometry) {
            (cIn, hIn, wIn, padY, padX) = (g.c, g.h, g.w, g.padY, g.padX)
            (cOut, hOut, wOut) = (g.f, g.ho, g.wo)
        }

        /// The input-gradient pass of `g`: dy correlated with the flipped kernel, padding 2 − pad.
        init(gradientOf g: ConvGeometry) {
            (cIn, hIn, wIn, padY, padX) = (g.f, g.ho, g.wo, 2 &- g.padY, 2 &- g.padX)
            (cOut, hOut, wOut) = (g.c, g.h, g.w)
        }

        /// Images per chunk: the transformed tiles of a chunk stay near `budget` floats (L3-sized),
        /// and every worker gets work.
        func chunk(images n: Int, budget: Int = 1 << 21) -> Int {
            let perImage = 16 &* (cIn &+ cOut) &* tiles
            let byMemory = Swift.max(1, budget / Swift.max(perImage, 1))
            return Swift.min(n, byMemory, (n &+ Parallel.workers &- 1) / Parallel.workers)
        }
    }

    // MARK: Weights

    /// G applied to three taps: (a0, ½(a0+a1+a2), ½(a0−a1+a2), a2).
    @inline(__always)
    static func g3(_ a0: Float, _ a1: Float, _ a2: Float) -> (Float, Float, Float, Float) {
        (a0, 0.5 * (a0 + a1 + a2), 0.5 * (a0 - a1 + a2), a2)
    }

    /// Gᵀ applied to four values (the adjoint of `g3`).
    @inline(__always)
    static func gt4(_ m0: Float, _ m1: Float, _ m2: Float, _ m3: Float) -> (Float, Float, Float) {
        (m0 + 0.5 * (m1 + m2), 0.5 * (m1 - m2), 0.5 * (m1 + m2) + m3)
    }

    /// U[ξ][f][c] = (G w[f][c] Gᵀ)[ξ], G = [[1,0,0], [½,½,½], [½,−½,½], [0,0,1]].
    static func transformWeights(_ w: UnsafePointer<Float>, f: Int, c: Int, into u: UnsafeMutablePointer<Float>) {
        let plane = f &* c
        for i in 0..<plane {
            let k = w + i &* 9
            // G w (4×3), column by column.
            let c0 = g3(k[0], k[3], k[6]), c1 = g3(k[1], k[4], k[7]), c2 = g3(k[2], k[5], k[8])
            // (G w) Gᵀ, row by row.
            let dst = u + i
            @inline(__always) func put(_ r: Int, _ v: (Float, Float, Float, Float)) {
                let row = dst + (r &* 4) &* plane
                row[0] = v.0; row[plane] = v.1; row[2 &* plane] = v.2; row[3 &* plane] = v.3
            }
            put(0, g3(c0.0, c1.0, c2.0)); put(1, g3(c0.1, c1.1, c2.1))
            put(2, g3(c0.2, c1.2, c2.2)); put(3, g3(c0.3, c1.3, c2.3))
        }
    }

    /// dw[f][c] += Gᵀ dU[·][f][c] G (the adjoint of `transformWeights`).
    static func weightGradient(_ du: UnsafePointer<Float>, f: Int, c: Int, into dw: UnsafeMutablePointer<Float>) {
        let plane = f &* c
        for i in 0..<plane {
            @inline(__always) func at(_ r: Int, _ s: Int) -> Float { du[(r &* 4 &+ s) &* plane &+ i] }
            // Gᵀ dU (3×4), column by column.
            let c0 = gt4(at(0, 0), at(1, 0), at(2, 0), at(3, 0)), c1 = gt4(at(0, 1), at(1, 1), at(2, 1), at(3, 1))
            let c2 = gt4(at(0, 2), at(1, 2), at(2, 2), at(3, 2)), c3 = gt4(at(0, 3), at(1, 3), at(2, 3), at(3, 3))
            // (Gᵀ dU) G, row by row.
            let r0 = gt4(c0.0, c1.0, c2.0, c3.0), r1 = gt4(c0.1, c1.1, c2.1, c3.1), r2 = gt4(c0.2, c1.2, c2.2, c3.2)
            let k = dw + i &* 9
            k[0] += r0.0; k[1] += r0.1; k[2] += r0.2
            k[3] += r1.0; k[4] += r1.1; k[5] += r1.2
            k[6] += r2.0; k[7] += r2.1; k[8] += r2.2
        }
    }

    // MARK: Tiles

    /// Floats from one ξ plane of V or M to the next: 16 more than the plane, so the 16 planes a tile
    /// transform touches at once do not all fall into one cache set (planes are often 2ᵏ floats).
    @inline(__always)
    static func pitch(_ channels: Int, _ tiles: Int) -> Int { channels &* tiles &+ 16 }

    /// `dst[j] = line[2j + parity − pad]` for j in 0..<span, 0 outside [0, w): one parity of a padded row.
    @inline(__always)
    static func deinterleave(_ line: UnsafePointer<Float>, w: Int, pad: Int, parity: Int, into dst: UnsafeMutablePointer<Float>, span: Int) {
        let shift = pad &- parity   // column 2j − shift
        let lo = Swift.min(span, Swift.max(0, (shift &+ 1) >> 1))
        let hi = Swift.max(lo, Swift.min(span, (w &- 1 &+ shift) >= 0 ? ((w &- 1 &+ shift) >> 1) &+ 1 : 0))
        var j = 0
        while j < lo { dst[j] = 0; j &+= 1 }
        while j < hi { dst[j] = line[2 &* j &- shift]; j &+= 1 }
        while j < span { dst[j] = 0; j &+= 1 }
    }

    /// V[ξ][c][t] = (Bᵀ d B)[ξ] for every 4×4 input tile d of images `first..<first+nb`,
    /// Bᵀ = [[1,0,−1,0], [0,1,1,0], [0,−1,1,0], [0,1,0,−1]].
    static func transformInput(_ x: UnsafePointer<Float>, _ p: Pass, first: Int, nb: Int, into v: UnsafeMutablePointer<Float>) {
        let (th, tw, tiles, c) = (p.th, p.tw, p.tiles, p.cIn)
        let ld = nb &* tiles, stride = pitch(c, ld)
        let span = tw &+ 1, hp = 2 &* th &+ 2
        // The padded plane split into even and odd columns: tile tx of a row reads E[tx], O[tx], E[tx+1], O[tx+1].
        let even = UnsafeMutablePointer<Float>.allocate(capacity: 2 &* hp &* span)
        defer { even.deallocate() }
        let odd = even + hp &* span
        let plane = p.hIn &* p.wIn
        for img in 0..<nb {
            for ch in 0..<c {
                let src = x + ((first &+ img) &* c &+ ch) &* plane
                for row in 0..<hp {
                    let iy = row &- p.padY
                    let (e, o) = (even + row &* span, odd + row &* span)
                    if iy < 0 || iy >= p.hIn {
                        e.update(repeating: 0, count: span); o.update(repeating: 0, count: span)
                    } else {
                        deinterleave(src + iy &* p.wIn, w: p.wIn, pad: p.padX, parity: 0, into: e, span: span)
                        deinterleave(src + iy &* p.wIn, w: p.wIn, pad: p.padX, parity: 1, into: o, span: span)
                    }
                }
                for ty in 0..<th {
                    let e = even + 2 &* ty &* span, o = odd + 2 &* ty &* span
                    let base = v + (ch &* ld &+ img &* tiles &+ ty &* tw)
                    var tx = 0
                    while tx &+ 4 <= tw { inputTile(SIMD4<Float>.self, e, o, span, base, stride, tx); tx &+= 4 }
                    while tx < tw { inputTile(Float.self, e, o, span, base, stride, tx); tx &+= 1 }
                }
            }
        }
    }

    /// Bᵀ d B for `L.width` neighbouring tiles from tx on.
    @inline(__always)
    static func inputTile<L: WinogradLane>(_: L.Type, _ e: UnsafePointer<Float>, _ o: UnsafePointer<Float>, _ span: Int,
                                           _ base: UnsafeMutablePointer<Float>, _ stride: Int, _ tx: Int) {
        // d_r = (E_r[tx], O_r[tx], E_r[tx+1], O_r[tx+1]); first Bᵀ d (rows combined), then ·B (columns).
        @inline(__always) func d(_ r: Int) -> (L, L, L, L) {
            let at = r &* span &+ tx
            return (L.load(e + at), L.load(o + at), L.load(e + (at &+ 1)), L.load(o + (at &+ 1)))
        }
        let d0 = d(0), d1 = d(1), d2 = d(2), d3 = d(3)
        @inline(__always) func put(_ r: Int, _ a: (L, L, L, L)) {
            let q = base + (tx &+ 4 &* r &* stride)
            (a.0 - a.2).store(q); (a.1 + a.2).store(q + stride)
            (a.2 - a.1).store(q + 2 &* stride); (a.1 - a.3).store(q + 3 &* stride)
        }
        put(0, (d0.0 - d2.0, d0.1 - d2.1, d0.2 - d2.2, d0.3 - d2.3))
        put(1, (d1.0 + d2.0, d1.1 + d2.1, d1.2 + d2.2, d1.3 + d2.3))
        put(2, (d2.0 - d1.0, d2.1 - d1.1, d2.2 - d1.2, d2.3 - d1.3))
        put(3, (d1.0 - d3.0, d1.1 - d3.1, d1.2 - d3.2, d1.3 - d3.3))
    }

    /// Output tiles Aᵀ M[·][f][t] A, Aᵀ = [[1,1,1,0], [0,1,−1,−1]], written (or added, with `accumulate`)
    /// into images `first..<first+nb` of `y` [N, cOut, hOut, wOut], plus `bias` when given.
    static func transformOutput(_ m: UnsafePointer<Float>, _ p: Pass, first: Int, nb: Int, into y: UnsafeMutablePointer<Float>,
                                bias: UnsafePointer<Float>?, accumulate: Bool) {
        let (th, tw, tiles, f) = (p.th, p.tw, p.tiles, p.cOut)
        let ld = nb &* tiles, stride = pitch(f, ld)
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: 4 &* tw)
        defer { rows.deallocate() }
        let plane = p.hOut &* p.wOut, pairs = p.wOut >> 1
        for img in 0..<nb {
            for ch in 0..<f {
                let dst = y + ((first &+ img) &* f &+ ch) &* plane
                let bv = bias?[ch] ?? 0
                for ty in 0..<th {
                    let base = m + (ch &* ld &+ img &* tiles &+ ty &* tw)
                    var tx = 0
                    while tx &+ 4 <= tw { outputTile(SIMD4<Float>.self, base, stride, rows, tw, tx, bv); tx &+= 4 }
                    while tx < tw { outputTile(Float.self, base, stride, rows, tw, tx, bv); tx &+= 1 }
                    for half in 0..<2 {
                        let oy = 2 &* ty &+ half
                        if oy >= p.hOut { break }
                        let line = dst + oy &* p.wOut
                        let ev = rows + (2 &* half) &* tw, od = ev + tw
                        if accumulate {
                            for j in 0..<pairs { line[2 &* j] += ev[j]; line[2 &* j &+ 1] += od[j] }
                            if p.wOut & 1 == 1 { line[p.wOut &- 1] += ev[pairs] }
                        } else {
                            for j in 0..<pairs { line[2 &* j] = ev[j]; line[2 &* j &+ 1] = od[j] }
                            if p.wOut & 1 == 1 { line[p.wOut &- 1] = ev[pairs] }
                        }
                    }
                }
            }
        }
    }

    /// Aᵀ m A for `L.width` neighbouring tiles from tx on, into rows (y00, y01, y10, y11) of `tw` each.
    @inline(__always)
    static func outputTile<L: WinogradLane>(_: L.Type, _ base: UnsafePointer<Float>, _ stride: Int,
                                            _ rows: UnsafeMutablePointer<Float>, _ tw: Int, _ tx: Int, _ bias: Float) {
        @inline(__always) func m(_ r: Int) -> (L, L, L, L) {
            let q = base + (tx &+ 4 &* r &* stride)
            return (L.load(q), L.load(q + stride), L.load(q + 2 &* stride), L.load(q + 3 &* stride))
        }
        let m0 = m(0), m1 = m(1), m2 = m(2), m3 = m(3)
        // Aᵀ m: rows (m0 + m1 + m2, m1 − m2 − m3); then the same on columns.
        let p0: (L, L, L, L) = (m0.0 + m1.0 + m2.0, m0.1 + m1.1 + m2.1, m0.2 + m1.2 + m2.2, m0.3 + m1.3 + m2.3)
        let p1: (L, L, L, L) = (m1.0 - m2.0 - m3.0, m1.1 - m2.1 - m3.1, m1.2 - m2.2 - m3.2, m1.3 - m2.3 - m3.3)
        let b = L.splat(bias)
        (p0.0 + p0.1 + p0.2 + b).store(rows + tx)
        (p0.1 - p0.2 - p0.3 + b).store(rows + (tw &+ tx))
        (p1.0 + p1.1 + p1.2 + b).store(rows + (2 &* tw &+ tx))
        (p1.1 - p1.2 - p1.3 + b).store(rows + (3 &* tw &+ tx))
    }

    /// M̄[ξ][f][t] = (A g Aᵀ)[ξ] for the 2×2 output-gradient tiles g of images `first..<first+nb` of
    /// `gy` [N, cOut, hOut, wOut] (the adjoint of `transformOutput`; outside the map g is 0), and
    /// `db[f] += Σ gy` when asked.
    static func transformOutputGradient(_ gy: UnsafePointer<Float>, _ p: Pass, first: Int, nb: Int, into mb: UnsafeMutablePointer<Float>,
                                        db: UnsafeMutablePointer<Float>?) {
        let (th, tw, tiles, f) = (p.th, p.tw, p.tiles, p.cOut)
        let ld = nb &* tiles, stride = pitch(f, ld)
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: 4 &* tw)
        defer { rows.deallocate() }
        let plane = p.hOut &* p.wOut
        for img in 0..<nb {
            for ch in 0..<f {
                let src = gy + ((first &+ img) &* f &+ ch) &* plane
                if let db {
                    var sum: Float = 0
                    for i in 0..<plane { sum += src[i] }
                    db[ch] += sum
                }
                for ty in 0..<th {
                    for half in 0..<2 {
                        let ev = rows + (2 &* half) &* tw, od = ev + tw
                        let oy = 2 &* ty &+ half
                        if oy >= p.hOut { ev.update(repeating: 0, count: 2 &* tw); continue }
                        deinterleave(src + oy &* p.wOut, w: p.wOut, pad: 0, parity: 0, into: ev, span: tw)
                        deinterleave(src + oy &* p.wOut, w: p.wOut, pad: 0, parity: 1, into: od, span: tw)
                    }
                    let base = mb + (ch &* ld &+ img &* tiles &+ ty &* tw)
                    var tx = 0
                    while tx &+ 4 <= tw { gradientTile(SIMD4<Float>.self, rows, tw, base, stride, tx); tx &+= 4 }
                    while tx < tw { gradientTile(Float.self, rows, tw, base, stride, tx); tx &+= 1 }
                }
            }
        }
    }

    /// A g Aᵀ for `L.width` neighbouring tiles from tx on, g from rows (g00, g01, g10, g11) of `tw` each.
    @inline(__always)
    static func gradientTile<L: WinogradLane>(_: L.Type, _ rows: UnsafePointer<Float>, _ tw: Int,
                                              _ base: UnsafeMutablePointer<Float>, _ stride: Int, _ tx: Int) {
        let g00 = L.load(rows + tx), g01 = L.load(rows + (tw &+ tx))
        let g10 = L.load(rows + (2 &* tw &+ tx)), g11 = L.load(rows + (3 &* tw &+ tx))
        let zero = L.splat(0)
        // A g: rows (g0, g0 + g1, g0 − g1, −g1); then the same on columns.
        @inline(__always) func put(_ r: Int, _ a: L, _ b: L) {
            let q = base + (tx &+ 4 &* r &* stride)
            a.store(q); (a + b).store(q + stride); (a - b).store(q + 2 &* stride); (zero - b).store(q + 3 &* stride)
        }
        put(0, g00, g01)
        put(1, g00 + g10, g01 + g11)
        put(2, g00 - g10, g01 - g11)
        put(3, zero - g10, zero - g11)
    }

    // MARK: Passes

    /// One pass over a chunk: V = tiles of x, M[ξ] = U[ξ]·V[ξ] (or U[σξ]ᵀ·V[ξ] with `transposed`, σ
    /// swapping 0↔3 in both tile coordinates: the flipped kernel), then the output tiles.
    static func run(_ x: UnsafePointer<Float>, _ u: UnsafePointer<Float>, _ p: Pass, first: Int, nb: Int,
                    transposed: Bool, into y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, accumulate: Bool) {
        let t = nb &* p.tiles
        let (vPitch, mPitch) = (pitch(p.cIn, t), pitch(p.cOut, t))
        let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 &* vPitch)
        let m = UnsafeMutablePointer<Float>.allocate(capacity: 16 &* mPitch)
        defer { v.deallocate(); m.deallocate() }
        transformInput(x, p, first: first, nb: nb, into: v)
        let uPlane = p.cOut &* p.cIn
        for xi in 0..<16 {
            let ux = transposed ? flipped(xi) : xi
            BLAS.gemm(transA: transposed, transB: false, m: p.cOut, n: t, k: p.cIn,
                      a: u + ux &* uPlane, lda: transposed ? p.cOut : p.cIn,
                      b: v + xi &* vPitch, ldb: t, c: m + xi &* mPitch, ldc: t)
        }
        transformOutput(m, p, first: first, nb: nb, into: y, bias: bias, accumulate: accumulate)
    }

    /// ξ = 4r + s with r and s mapped 0↔3 (1 and 2 stay): the flipped kernel's transformed position.
    @inline(__always)
    static func flipped(_ xi: Int) -> Int {
        let r = xi >> 2, s = xi & 3
        let fr = r == 0 ? 3 : (r == 3 ? 0 : r), fs = s == 0 ? 3 : (s == 3 ? 0 : s)
        return fr &* 4 &+ fs
    }
}

extension Tensor {
    /// A 3×3, stride-1 convolution by Winograd F(2×2, 3×3) (see `Winograd`); same results as `conv2d`
    /// up to rounding.
    static func winogradConv(_ x: Tensor, weight w: Tensor, bias b: Tensor?, g: ConvGeometry) -> Tensor {
        let p = Winograd.Pass(g)
        var u = scratch(16 &* g.f &* g.c)
        w.data.withUnsafeBufferPointer { wp in
            u.withUnsafeMutableBufferPointer { Winograd.transformWeights(wp.baseAddress!, f: g.f, c: g.c, into: $0.baseAddress!) }
        }
        var out = scratch(g.n &* g.f &* g.p)
        let bias = b?.data
        x.data.withUnsafeBufferPointer { xp in
            u.withUnsafeBufferPointer { up in
                out.withUnsafeMutableBufferPointer { yp in
                    (bias ?? []).withUnsafeBufferPointer { bp in
                        let (xb, ub, yb, bb) = (xp.baseAddress!, up.baseAddress!, yp.baseAddress!, bias == nil ? nil : bp.baseAddress)
                        Parallel.forEachChunk(count: g.n, chunk: p.chunk(images: g.n)) { _, r in
                            Winograd.run(xb, ub, p, first: r.lowerBound, nb: r.count, transposed: false,
                                         into: yb, bias: bb, accumulate: false)
                        }
                    }
                }
            }
        }
        let parents = [x, w] + (b.map { [$0] } ?? [])
        let transformed = u
        return .result(shape: [g.n, g.f, g.ho, g.wo], data: out, parents: parents) { gy in
            winogradBackward(x: x, w: w, b: b, u: transformed, g: g, gy: gy)
        }
    }

    private static func winogradBackward(x: Tensor, w: Tensor, b: Tensor?, u: [Float], g: ConvGeometry, gy: UnsafeBufferPointer<Float>) {
        let needW = w.requiresGrad, needB = b?.requiresGrad ?? false
        let forward = Winograd.Pass(g), back = Winograd.Pass(gradientOf: g)
        let uCount = 16 &* g.f &* g.c
        let acc = WorkerAccumulators(workers: Parallel.workers, count: needW || needB ? uCount &+ g.f : 0, zeroed: false)
        let chunk = Swift.min(forward.chunk(images: g.n), back.chunk(images: g.n))
        x.data.withUnsafeBufferPointer { xp in
            u.withUnsafeBufferPointer { up in
                x.withGradPointer(if: x.requiresGrad) { dxb, fresh in
                    Parallel.forEachChunk(count: g.n, chunk: chunk) { worker, r in
                        let nb = r.count
                        if needW || needB {
                            let t = nb &* forward.tiles
                            let du = acc.buffer(worker)
                            // A worker's first chunk overwrites its accumulator: no zero fill of 16·F·C floats.
                            let first = acc.firstUse(worker)
                            if first { (du + uCount).update(repeating: 0, count: g.f) }
                            let mPitch = Winograd.pitch(g.f, t), vPitch = Winograd.pitch(g.c, t)
                            let mb = UnsafeMutablePointer<Float>.allocate(capacity: 16 &* mPitch)
                            defer { mb.deallocate() }
                            Winograd.transformOutputGradient(gy.baseAddress!, forward, first: r.lowerBound, nb: nb, into: mb,
                                                             db: needB ? du + uCount : nil)
                            if needW {
                                let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 &* vPitch)
                                defer { v.deallocate() }
                                Winograd.transformInput(xp.baseAddress!, forward, first: r.lowerBound, nb: nb, into: v)
                                for xi in 0..<16 {
                                    BLAS.gemm(transA: false, transB: true, m: g.f, n: g.c, k: t,
                                              a: mb + xi &* mPitch, lda: t, b: v + xi &* vPitch, ldb: t,
                                              beta: first ? 0 : 1, c: du + xi &* g.f &* g.c, ldc: g.c)
                                }
                            }
                        }
                        if let dxb {
                            // A new gradient is written, not added to: every pixel of these images is covered.
                            Winograd.run(gy.baseAddress!, up.baseAddress!, back, first: r.lowerBound, nb: nb, transposed: true,
                                         into: dxb, bias: nil, accumulate: !fresh)
                        }
                    }
                }
            }
        }
        guard needW || needB else { return }
        let total = acc.sum()
        if needW {
            var dw = [Float](repeating: 0, count: g.f &* g.c &* 9)
            total.withUnsafeBufferPointer { tp in
                dw.withUnsafeMutableBufferPointer { Winograd.weightGradient(tp.baseAddress!, f: g.f, c: g.c, into: $0.baseAddress!) }
            }
            dw.withUnsafeBufferPointer { w.accumulateGrad($0) }
        }
        if needB, let b { total[uCount...].withUnsafeBufferPointer { b.accumulateGrad($0) } }
    }
}

/// What the tile transforms compute on: one float, or eight neighbouring tiles in a vector register.
protocol WinogradLane {
    static func load(_ p: UnsafePointer<Float>) -> Self
    static func splat(_ v: Float) -> Self
    func store(_ p: UnsafeMutablePointer<Float>)
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
}

extension Float: WinogradLane {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Float { p.pointee }
    @inline(__always) static func splat(_ v: Float) -> Float { v }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { p.pointee = self }
}

extension SIMD4: WinogradLane where Scalar == Float {
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
    @inline(__always) static func splat(_ v: Float) -> Self { Self(repeating: v) }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: self, as: Self.self) }
}
