/// Winograd F(4×4, 3×3) tiles (Lavin & Gray 2016): 6×6 input tiles, 36 GEMMs, 4× fewer
/// multiply-adds than im2col, for maps of 16×16 and more.
///
/// With the interpolation points 0, ±1, ±2 and ∞:
/// ```text
/// Bᵀ = [4  0 −5  0  1  0]    G = [ ¼     0    0 ]    Aᵀ = [1  1  1  1  1  0]
///      [0 −4 −4  1  1  0]        [−⅙   −⅙   −⅙ ]         [0  1 −1  2 −2  0]
///      [0  4 −4 −1  1  0]        [−⅙    ⅙   −⅙ ]         [0  1  1  4  4  0]
///      [0 −2 −1  2  1  0]        [1/24 1/12  ⅙ ]         [0  1 −1  8 −8  1]
///      [0  2 −1 −2  1  0]        [1/24 −1/12 ⅙ ]
///      [0  4  0 −5  0  1]        [ 0     0    1 ]
/// ```
/// Rows are split into four phases of columns (4j, 4j+1, 4j+2, 4j+3), so tile tx reads
/// P0[tx] … P3[tx], P0[tx+1], P1[tx+1]: every inner loop is contiguous over tiles. Each 2-D transform
/// runs as two 1-D passes through a small buffer that stays in L1.
enum WinogradF4: WinogradTiles {
    static let m = 4

    // MARK: 1-D transforms

    /// Bᵀ d for six values.
    @inline(__always)
    static func bt<L: WinogradLane>(_ d0: L, _ d1: L, _ d2: L, _ d3: L, _ d4: L, _ d5: L) -> (L, L, L, L, L, L) {
        let four = L.splat(4), five = L.splat(5), two = L.splat(2)
        let t0 = four * d0 - five * d2 + d4
        let t1 = d3 + d4 - four * (d1 + d2)
        let t2 = four * (d1 - d2) + d4 - d3
        let t3 = two * (d3 - d1) + d4 - d2
        let t4 = two * (d1 - d3) + d4 - d2
        let t5 = four * d1 - five * d3 + d5
        return (t0, t1, t2, t3, t4, t5)
    }

    /// Aᵀ m for six values.
    @inline(__always)
    static func at<L: WinogradLane>(_ m0: L, _ m1: L, _ m2: L, _ m3: L, _ m4: L, _ m5: L) -> (L, L, L, L) {
        let sum12 = m1 + m2, dif12 = m1 - m2, sum34 = m3 + m4, dif34 = m3 - m4
        let y0 = m0 + sum12 + sum34
        let y1 = dif12 + L.splat(2) * dif34
        let y2 = sum12 + L.splat(4) * sum34
        let y3 = dif12 + L.splat(8) * dif34 + m5
        return (y0, y1, y2, y3)
    }

    /// A g for four values (the adjoint of `at`).
    @inline(__always)
    static func a<L: WinogradLane>(_ g0: L, _ g1: L, _ g2: L, _ g3: L) -> (L, L, L, L, L, L) {
        let even = g0 + g2, odd = g1 + g3
        let even4 = g0 + L.splat(4) * g2, odd8 = L.splat(2) * g1 + L.splat(8) * g3
        return (g0, even + odd, even - odd, even4 + odd8, even4 - odd8, g3)
    }

    /// G applied to three taps.
    @inline(__always)
    static func g3(_ a0: Float, _ a1: Float, _ a2: Float) -> (Float, Float, Float, Float, Float, Float) {
        let outer = a0 + a2, quarterish = a0 / 24 + a2 / 6
        return (a0 / 4, -(outer + a1) / 6, -(outer - a1) / 6, quarterish + a1 / 12, quarterish - a1 / 12, a2)
    }

    /// Gᵀ applied to six values (the adjoint of `g3`).
    @inline(__always)
    static func gt6(_ u0: Float, _ u1: Float, _ u2: Float, _ u3: Float, _ u4: Float, _ u5: Float) -> (Float, Float, Float) {
        let s12 = u1 + u2, s34 = u3 + u4
        return (u0 / 4 - s12 / 6 + s34 / 24, (u2 - u1) / 6 + (u3 - u4) / 12, -s12 / 6 + s34 / 6 + u5)
    }

    // MARK: Weights

    static func transformWeights(_ w: UnsafePointer<Float>, f: Int, c: Int, flipped: Bool, into u: UnsafeMutablePointer<Float>) {
        let plane = f &* c
        Winograd.forEachKernel(w, f: f, c: c, flipped: flipped) { k, at in
            // G w (6×3), column by column; then (G w) Gᵀ, row by row.
            let c0 = g3(k[0, 0], k[1, 0], k[2, 0]), c1 = g3(k[0, 1], k[1, 1], k[2, 1]), c2 = g3(k[0, 2], k[1, 2], k[2, 2])
            let dst = u + at
            @inline(__always) func put(_ r: Int, _ v: (Float, Float, Float, Float, Float, Float)) {
                let row = dst + (r &* 6) &* plane
                row[0] = v.0; row[plane] = v.1; row[2 &* plane] = v.2
                row[3 &* plane] = v.3; row[4 &* plane] = v.4; row[5 &* plane] = v.5
            }
            put(0, g3(c0.0, c1.0, c2.0)); put(1, g3(c0.1, c1.1, c2.1)); put(2, g3(c0.2, c1.2, c2.2))
            put(3, g3(c0.3, c1.3, c2.3)); put(4, g3(c0.4, c1.4, c2.4)); put(5, g3(c0.5, c1.5, c2.5))
        }
    }

    static func weightGradient(_ du: UnsafePointer<Float>, f: Int, c: Int, into dw: UnsafeMutablePointer<Float>) {
        let plane = f &* c
        for i in 0..<plane {
            @inline(__always) func column(_ s: Int) -> (Float, Float, Float) {
                let q = du + (s &* plane &+ i)
                return gt6(q[0], q[6 &* plane], q[12 &* plane], q[18 &* plane], q[24 &* plane], q[30 &* plane])
            }
            // Gᵀ dU (3×6), column by column; then (Gᵀ dU) G, row by row.
            let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3), c4 = column(4), c5 = column(5)
            let r0 = gt6(c0.0, c1.0, c2.0, c3.0, c4.0, c5.0)
            let r1 = gt6(c0.1, c1.1, c2.1, c3.1, c4.1, c5.1)
            let r2 = gt6(c0.2, c1.2, c2.2, c3.2, c4.2, c5.2)
            Winograd.add(r0, r1, r2, to: dw + i &* 9)
        }
    }

    // MARK: Tiles

    static func transformInput(_ x: UnsafePointer<Float>, _ p: Winograd.Pass, first: Int, nb: Int, into v: UnsafeMutablePointer<Float>) {
        let (th, tw, tiles, c) = (p.th, p.tw, p.tiles, p.cIn)
        let ld = nb &* tiles, stride = Winograd.pitch(c, ld)
        let span = tw &+ 1, hp = 4 &* th &+ 2, phase = hp &* span
        // The padded plane in four column phases: phase q, row r, index j holds column 4j + q.
        let phases = UnsafeMutablePointer<Float>.allocate(capacity: 4 &* phase)
        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: 36 &* 4)
        defer { phases.deallocate(); tmp.deallocate() }
        let plane = p.hIn &* p.wIn
        for img in 0..<nb {
            for ch in 0..<c {
                let src = x + ((first &+ img) &* c &+ ch) &* plane
                Winograd.splitPlane(src, p, step: 4, rows: hp, span: span, into: phases)
                for ty in 0..<th {
                    let rows = phases + 4 &* ty &* span
                    let base = v + (ch &* ld &+ img &* tiles &+ ty &* tw)
                    var tx = 0
                    while tx &+ 4 <= tw { inputTile(SIMD4<Float>.self, rows, span, phase, base, stride, tx, tmp); tx &+= 4 }
                    while tx < tw { inputTile(Float.self, rows, span, phase, base, stride, tx, tmp); tx &+= 1 }
                }
            }
        }
    }

    /// Bᵀ d B for `L.width` neighbouring tiles from tx on: d B row by row into `tmp`, then Bᵀ column by column.
    @inline(__always)
    static func inputTile<L: WinogradLane>(_: L.Type, _ rows: UnsafePointer<Float>, _ span: Int, _ phase: Int,
                                           _ base: UnsafeMutablePointer<Float>, _ stride: Int, _ tx: Int,
                                           _ tmp: UnsafeMutablePointer<Float>) {
        let w = L.width
        for r in 0..<6 {
            let q = rows + (r &* span &+ tx)
            let t = bt(L.load(q), L.load(q + phase), L.load(q + 2 &* phase), L.load(q + 3 &* phase),
                       L.load(q + 1), L.load(q + (phase &+ 1)))
            let o = tmp + r &* 6 &* w
            t.0.store(o); t.1.store(o + w); t.2.store(o + 2 &* w); t.3.store(o + 3 &* w); t.4.store(o + 4 &* w); t.5.store(o + 5 &* w)
        }
        for s in 0..<6 {
            @inline(__always) func e(_ r: Int) -> L { L.load(tmp + (r &* 6 &+ s) &* w) }
            let t = bt(e(0), e(1), e(2), e(3), e(4), e(5))
            let o = base + (tx &+ s &* stride)
            let six = 6 &* stride
            t.0.store(o); t.1.store(o + six); t.2.store(o + 2 &* six); t.3.store(o + 3 &* six); t.4.store(o + 4 &* six); t.5.store(o + 5 &* six)
        }
    }

    static func transformOutput(_ m: UnsafePointer<Float>, _ p: Winograd.Pass, first: Int, nb: Int, into y: UnsafeMutablePointer<Float>,
                                bias: UnsafePointer<Float>?, accumulate: Bool) {
        let (th, tw, tiles, f) = (p.th, p.tw, p.tiles, p.cOut)
        let ld = nb &* tiles, stride = Winograd.pitch(f, ld)
        // 16 rows of tw: output row a, column phase b of each tile at (4a + b)·tw.
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: 16 &* tw)
        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: 36 &* 4)
        defer { rows.deallocate(); tmp.deallocate() }
        let plane = p.hOut &* p.wOut, quads = p.wOut >> 2, rest = p.wOut & 3
        for img in 0..<nb {
            for ch in 0..<f {
                let dst = y + ((first &+ img) &* f &+ ch) &* plane
                let bv = bias?[ch] ?? 0
                for ty in 0..<th {
                    let base = m + (ch &* ld &+ img &* tiles &+ ty &* tw)
                    var tx = 0
                    while tx &+ 4 <= tw { outputTile(SIMD4<Float>.self, base, stride, rows, tw, tx, bv, tmp); tx &+= 4 }
                    while tx < tw { outputTile(Float.self, base, stride, rows, tw, tx, bv, tmp); tx &+= 1 }
                    for a in 0..<4 {
                        let oy = 4 &* ty &+ a
                        if oy >= p.hOut { break }
                        let line = dst + oy &* p.wOut
                        let (p0, p1, p2, p3) = (rows + 4 &* a &* tw, rows + (4 &* a &+ 1) &* tw, rows + (4 &* a &+ 2) &* tw, rows + (4 &* a &+ 3) &* tw)
                        if accumulate {
                            for j in 0..<quads {
                                let o = line + 4 &* j
                                o[0] += p0[j]; o[1] += p1[j]; o[2] += p2[j]; o[3] += p3[j]
                            }
                            for b in 0..<rest { line[4 &* quads &+ b] += rows[(4 &* a &+ b) &* tw &+ quads] }
                        } else {
                            for j in 0..<quads {
                                let o = line + 4 &* j
                                o[0] = p0[j]; o[1] = p1[j]; o[2] = p2[j]; o[3] = p3[j]
                            }
                            for b in 0..<rest { line[4 &* quads &+ b] = rows[(4 &* a &+ b) &* tw &+ quads] }
                        }
                    }
                }
            }
        }
    }

    /// Aᵀ m A (+ bias) for `L.width` neighbouring tiles from tx on: Aᵀ m column by column into `tmp`,
    /// then · A row by row into the 16 phase rows.
    @inline(__always)
    static func outputTile<L: WinogradLane>(_: L.Type, _ base: UnsafePointer<Float>, _ stride: Int,
                                            _ rows: UnsafeMutablePointer<Float>, _ tw: Int, _ tx: Int, _ bias: Float,
                                            _ tmp: UnsafeMutablePointer<Float>) {
        let w = L.width, six = 6 &* stride
        for s in 0..<6 {
            let q = base + (tx &+ s &* stride)
            let t = at(L.load(q), L.load(q + six), L.load(q + 2 &* six), L.load(q + 3 &* six), L.load(q + 4 &* six), L.load(q + 5 &* six))
            t.0.store(tmp + s &* w); t.1.store(tmp + (6 &+ s) &* w); t.2.store(tmp + (12 &+ s) &* w); t.3.store(tmp + (18 &+ s) &* w)
        }
        let b = L.splat(bias)
        for a in 0..<4 {
            @inline(__always) func e(_ s: Int) -> L { L.load(tmp + (a &* 6 &+ s) &* w) }
            let t = at(e(0), e(1), e(2), e(3), e(4), e(5))
            let o = rows + (4 &* a &* tw &+ tx)
            (t.0 + b).store(o); (t.1 + b).store(o + tw); (t.2 + b).store(o + 2 &* tw); (t.3 + b).store(o + 3 &* tw)
        }
    }

    static func transformOutputGradient(_ gy: UnsafePointer<Float>, _ p: Winograd.Pass, first: Int, nb: Int,
                                        into mb: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?) {
        let (th, tw, tiles, f) = (p.th, p.tw, p.tiles, p.cOut)
        let ld = nb &* tiles, stride = Winograd.pitch(f, ld)
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: 16 &* tw)
        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: 36 &* 4)
        defer { rows.deallocate(); tmp.deallocate() }
        let plane = p.hOut &* p.wOut
        for img in 0..<nb {
            for ch in 0..<f {
                let src = gy + ((first &+ img) &* f &+ ch) &* plane
                if let db { db[ch] += Winograd.sum(src, plane) }
                for ty in 0..<th {
                    Winograd.splitTileRows(src, p, ty: ty, into: rows)
                    let base = mb + (ch &* ld &+ img &* tiles &+ ty &* tw)
                    var tx = 0
                    while tx &+ 4 <= tw { gradientTile(SIMD4<Float>.self, rows, tw, base, stride, tx, tmp); tx &+= 4 }
                    while tx < tw { gradientTile(Float.self, rows, tw, base, stride, tx, tmp); tx &+= 1 }
                }
            }
        }
    }

    /// A g Aᵀ for `L.width` neighbouring tiles from tx on: g Aᵀ row by row into `tmp`, then A column by column.
    @inline(__always)
    static func gradientTile<L: WinogradLane>(_: L.Type, _ rows: UnsafePointer<Float>, _ tw: Int,
                                              _ base: UnsafeMutablePointer<Float>, _ stride: Int, _ tx: Int,
                                              _ tmp: UnsafeMutablePointer<Float>) {
        let w = L.width
        for r in 0..<4 {
            let q = rows + (4 &* r &* tw &+ tx)
            let t = a(L.load(q), L.load(q + tw), L.load(q + 2 &* tw), L.load(q + 3 &* tw))
            let o = tmp + r &* 6 &* w
            t.0.store(o); t.1.store(o + w); t.2.store(o + 2 &* w); t.3.store(o + 3 &* w); t.4.store(o + 4 &* w); t.5.store(o + 5 &* w)
        }
        let six = 6 &* stride
        for s in 0..<6 {
            @inline(__always) func e(_ r: Int) -> L { L.load(tmp + (r &* 6 &+ s) &* w) }
            let t = a(e(0), e(1), e(2), e(3))
            let o = base + (tx &+ s &* stride)
            t.0.store(o); t.1.store(o + six); t.2.store(o + 2 &* six); t.3.store(o + 3 &* six); t.4.store(o + 4 &* six); t.5.store(o + 5 &* six)
        }
    }
}
