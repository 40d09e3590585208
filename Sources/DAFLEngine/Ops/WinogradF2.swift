/// Winograd F(2×2, 3×3) tiles (Lavin & Gray 2016): 4×4 input tiles, 16 GEMMs, 2.25× fewer
/// multiply-adds than im2col. For the small maps of a network's last stages, where F(4×4, 3×3)'s
/// larger tiles would leave too few tiles per GEMM.
///
/// Bᵀ = [[1,0,−1,0], [0,1,1,0], [0,−1,1,0], [0,1,0,−1]], G = [[1,0,0], [½,½,½], [½,−½,½], [0,0,1]],
/// Aᵀ = [[1,1,1,0], [0,1,−1,−1]]. Rows are split into even and odd columns, so tile tx of a row
/// reads E[tx], O[tx], E[tx+1], O[tx+1]: every inner loop is contiguous over tiles.
enum WinogradF2: WinogradTiles {
    static let m = 2

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

    /// U[ξ][f][c] = (G w[f][c] Gᵀ)[ξ], G = [[1,0,0], [½,½,½], [½,−½,½], [0,0,1]]; with `flipped`,
    /// U'[ξ][c][f] of the kernel turned 180° (the input gradient's convolution).
    static func transformWeights(_ w: UnsafePointer<Float>, f: Int, c: Int, flipped: Bool, into u: UnsafeMutablePointer<Float>) {
        let plane = f &* c
        Winograd.forEachKernel(w, f: f, c: c, flipped: flipped) { k, at in
            // G w (4×3), column by column.
            let c0 = g3(k[0, 0], k[1, 0], k[2, 0]), c1 = g3(k[0, 1], k[1, 1], k[2, 1]), c2 = g3(k[0, 2], k[1, 2], k[2, 2])
            // (G w) Gᵀ, row by row.
            let dst = u + at
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
            Winograd.add(r0, r1, r2, to: dw + i &* 9)
        }
    }

    /// V[ξ][c][t] = (Bᵀ d B)[ξ] for every 4×4 input tile d of images `first..<first+nb`,
    /// Bᵀ = [[1,0,−1,0], [0,1,1,0], [0,−1,1,0], [0,1,0,−1]].
    static func transformInput(_ x: UnsafePointer<Float>, _ p: Winograd.Pass, first: Int, nb: Int, into v: UnsafeMutablePointer<Float>) {
        let (th, tw, tiles, c) = (p.th, p.tw, p.tiles, p.cIn)
        let ld = nb &* tiles, stride = Winograd.pitch(c, ld)
        let span = tw &+ 1, hp = 2 &* th &+ 2
        // The padded plane split into even and odd columns: tile tx of a row reads E[tx], O[tx], E[tx+1], O[tx+1].
        let even = UnsafeMutablePointer<Float>.allocate(capacity: 2 &* hp &* span)
        defer { even.deallocate() }
        let odd = even + hp &* span
        let plane = p.hIn &* p.wIn
        for img in 0..<nb {
            for ch in 0..<c {
                let src = x + ((first &+ img) &* c &+ ch) &* plane
                Winograd.splitPlane(src, p, step: 2, rows: hp, span: span, into: even)
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
    static func transformOutput(_ m: UnsafePointer<Float>, _ p: Winograd.Pass, first: Int, nb: Int, into y: UnsafeMutablePointer<Float>,
                                bias: UnsafePointer<Float>?, accumulate: Bool) {
        let (th, tw, tiles, f) = (p.th, p.tw, p.tiles, p.cOut)
        let ld = nb &* tiles, stride = Winograd.pitch(f, ld)
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
    static func transformOutputGradient(_ gy: UnsafePointer<Float>, _ p: Winograd.Pass, first: Int, nb: Int, into mb: UnsafeMutablePointer<Float>,
                                        db: UnsafeMutablePointer<Float>?) {
        let (th, tw, tiles, f) = (p.th, p.tw, p.tiles, p.cOut)
        let ld = nb &* tiles, stride = Winograd.pitch(f, ld)
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: 4 &* tw)
        defer { rows.deallocate() }
        let plane = p.hOut &* p.wOut
        for img in 0..<nb {
            for ch in 0..<f {
                let src = gy + ((first &+ img) &* f &+ ch) &* plane
                if let db { db[ch] += Winograd.sum(src, plane) }
                for ty in 0..<th {
                    Winograd.splitTileRows(src, p, ty: ty, into: rows)
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
}
