/// Winograd convolution (Lavin & Gray 2016) for 3×3 kernels at stride 1: F(4×4, 3×3) on large maps
/// (4× fewer multiply-adds than im2col), F(2×2, 3×3) on small ones (2.25×).
///
/// Each m×m output tile is `Aᵀ[(G w Gᵀ) ⊙ (Bᵀ d B)]A` for the α×α input tile d around it (α = m + 2),
/// so a layer becomes α² independent GEMMs, one per position ξ of the transformed tile:
/// `M[ξ] (F×T) = U[ξ] (F×C) · V[ξ] (C×T)` over T tiles. The backward passes are the same algebra
/// run backwards, exactly (every transform is linear):
/// - input gradient: a Winograd convolution of dy with the kernel turned 180° and transposed
///   (F ↔ C), padding 2 − pad;
/// - weight gradient: `dU[ξ] = (A dy Aᵀ)[ξ] · V[ξ]ᵀ` summed over tiles, then `dw = Gᵀ dU G`.
///
/// Layouts: `U[ξ][F][C]`, `V[ξ][C][T]`, `M[ξ][F][T]`, tile t = image·th·tw + ty·tw + tx. The tile
/// transforms (`WinogradF2`, `WinogradF4`) run along rows of tiles, vectorised over neighbouring tiles.
/// ```swift
/// let y = Tensor.conv2d(x, weight: w, bias: nil, padding: 1, algorithm: .winograd)
/// ```
enum Winograd {
    /// 3×3 kernels at stride 1 with enough channels on both sides for the GEMMs to be efficient.
    static func suits(_ g: ConvGeometry) -> Bool {
        g.kh == 3 && g.kw == 3 && g.stride == 1 && g.c >= 16 && g.f >= 16 && g.padY <= 2 && g.padX <= 2
    }

    /// F(4×4, 3×3) from 16×16 outputs up: below that, 4×4 tiles leave too few tiles per image for
    /// the GEMMs (ResNet's 8×8 maps would give 4), and F(2×2, 3×3) does better.
    static func largeTiles(_ g: ConvGeometry) -> Bool { g.ho >= 16 && g.wo >= 16 }

    /// One pass with m×m output tiles: images [cIn, hIn, wIn] padded by (padY, padX) → [cOut, hOut, wOut].
    struct Pass {
        let m, cIn, hIn, wIn, padY, padX, cOut, hOut, wOut: Int
        var th: Int { (hOut &+ m &- 1) / m }
        var tw: Int { (wOut &+ m &- 1) / m }
        var tiles: Int { th &* tw }
        /// Transformed positions ξ per tile, α².
        var planes: Int { (m &+ 2) &* (m &+ 2) }

        /// The forward pass of `g`.
        init(_ g: ConvGeometry, m: Int) {
            self.m = m
            (cIn, hIn, wIn, padY, padX) = (g.c, g.h, g.w, g.padY, g.padX)
            (cOut, hOut, wOut) = (g.f, g.ho, g.wo)
        }

        /// The input-gradient pass of `g`: dy correlated with the turned kernel, padding 2 − pad.
        init(gradientOf g: ConvGeometry, m: Int) {
            self.m = m
            (cIn, hIn, wIn, padY, padX) = (g.f, g.ho, g.wo, 2 &- g.padY, 2 &- g.padX)
            (cOut, hOut, wOut) = (g.c, g.h, g.w)
        }

        /// Images per chunk: the transformed tiles of a chunk stay near `budget` floats (L3-sized),
        /// and every worker gets work.
        func chunk(images n: Int, budget: Int = 1 << 20) -> Int {
            let perImage = planes &* (cIn &+ cOut) &* tiles
            let byMemory = Swift.max(1, budget / Swift.max(perImage, 1))
            return Swift.min(n, byMemory, (n &+ Parallel.workers &- 1) / Parallel.workers)
        }
    }

    /// Floats from one ξ plane of V or M to the next: 16 more than the plane, so the planes a tile
    /// transform touches at once do not all fall into one cache set (planes are often 2ᵏ floats).
    @inline(__always)
    static func pitch(_ channels: Int, _ tiles: Int) -> Int { channels &* tiles &+ 16 }

    /// `dst[j] = line[step·j + offset − pad]` for j in 0..<span, 0 outside [0, w): one phase of a
    /// padded row, so that tile tx's columns sit at index tx (and tx + 1) of the phases.
    @inline(__always)
    static func split(_ line: UnsafePointer<Float>, w: Int, pad: Int, step: Int, offset: Int,
                      into dst: UnsafeMutablePointer<Float>, span: Int) {
        let shift = pad &- offset   // column step·j − shift
        let lo = Swift.min(span, shift > 0 ? (shift &+ step &- 1) / step : 0)
        let last = w &- 1 &+ shift
        let hi = Swift.max(lo, Swift.min(span, last >= 0 ? last / step &+ 1 : 0))
        var j = 0
        while j < lo { dst[j] = 0; j &+= 1 }
        while j < hi { dst[j] = line[step &* j &- shift]; j &+= 1 }
        while j < span { dst[j] = 0; j &+= 1 }
    }

    /// One channel's padded plane split into `step` column phases of `rows` × `span`: phase q, row r,
    /// index j holds padded pixel (r, step·j + q), 0 outside the image.
    static func splitPlane(_ src: UnsafePointer<Float>, _ p: Pass, step: Int, rows: Int, span: Int,
                           into phases: UnsafeMutablePointer<Float>) {
        let phase = rows &* span
        for row in 0..<rows {
            let iy = row &- p.padY
            for q in 0..<step {
                let dst = phases + (q &* phase &+ row &* span)
                if iy < 0 || iy >= p.hIn { dst.update(repeating: 0, count: span); continue }
                split(src + iy &* p.wIn, w: p.wIn, pad: p.padX, step: step, offset: q, into: dst, span: span)
            }
        }
    }

    /// The m output rows of tile row `ty` of one output-gradient plane, each split into m column phases:
    /// `rows[(m·a + b)·tw + tx]` = gy[m·ty + a][m·tx + b], 0 outside the map.
    static func splitTileRows(_ src: UnsafePointer<Float>, _ p: Pass, ty: Int, into rows: UnsafeMutablePointer<Float>) {
        let (m, tw) = (p.m, p.tw)
        for a in 0..<m {
            let oy = m &* ty &+ a
            for b in 0..<m {
                let dst = rows + (m &* a &+ b) &* tw
                if oy >= p.hOut { dst.update(repeating: 0, count: tw); continue }
                split(src + oy &* p.wOut, w: p.wOut, pad: 0, step: m, offset: b, into: dst, span: tw)
            }
        }
    }

    /// Σ of `count` floats (a bias gradient's share of one plane).
    @inline(__always)
    static func sum(_ src: UnsafePointer<Float>, _ count: Int) -> Float {
        var s: Float = 0
        for i in 0..<count { s += src[i] }
        return s
    }

    /// Adds three rows of a 3×3 kernel gradient to `k`.
    @inline(__always)
    static func add(_ r0: (Float, Float, Float), _ r1: (Float, Float, Float), _ r2: (Float, Float, Float), to k: UnsafeMutablePointer<Float>) {
        k[0] += r0.0; k[1] += r0.1; k[2] += r0.2
        k[3] += r1.0; k[4] += r1.1; k[5] += r1.2
        k[6] += r2.0; k[7] += r2.1; k[8] += r2.2
    }

    /// Calls `body` with every (f, c) kernel of w [F, C, 3, 3] (turned 180° with `flipped`) and its index
    /// in a transformed plane: f·C + c, or c·F + f when flipped (the input gradient's kernels are [C, F]).
    @inline(__always)
    static func forEachKernel(_ w: UnsafePointer<Float>, f: Int, c: Int, flipped: Bool, _ body: (Kernel, Int) -> Void) {
        for fi in 0..<f {
            for ci in 0..<c {
                let i = fi &* c &+ ci
                body(Kernel(w + i &* 9, flipped: flipped), flipped ? ci &* f &+ fi : i)
            }
        }
    }

    /// A 3×3 kernel read as it is, or turned 180° (the input gradient's kernel).
    struct Kernel {
        let taps: UnsafePointer<Float>
        let flipped: Bool
        init(_ taps: UnsafePointer<Float>, flipped: Bool) { (self.taps, self.flipped) = (taps, flipped) }
        @inline(__always) subscript(_ i: Int, _ j: Int) -> Float { flipped ? taps[8 &- (i &* 3 &+ j)] : taps[i &* 3 &+ j] }
    }

    /// One pass over a chunk: V = tiles of x, M[ξ] = U[ξ]·V[ξ], then the output tiles.
    static func run<T: WinogradTiles>(_: T.Type, _ x: UnsafePointer<Float>, _ u: UnsafePointer<Float>, _ p: Pass,
                                      first: Int, nb: Int, into y: UnsafeMutablePointer<Float>,
                                      bias: UnsafePointer<Float>?, accumulate: Bool) {
        let t = nb &* p.tiles
        let (vPitch, mPitch) = (pitch(p.cIn, t), pitch(p.cOut, t))
        let v = UnsafeMutablePointer<Float>.allocate(capacity: p.planes &* vPitch)
        let m = UnsafeMutablePointer<Float>.allocate(capacity: p.planes &* mPitch)
        defer { v.deallocate(); m.deallocate() }
        T.transformInput(x, p, first: first, nb: nb, into: v)
        let uPlane = p.cOut &* p.cIn
        for xi in 0..<p.planes {
            BLAS.gemm(transA: false, transB: false, m: p.cOut, n: t, k: p.cIn, a: u + xi &* uPlane, lda: p.cIn,
                      b: v + xi &* vPitch, ldb: t, c: m + xi &* mPitch, ldc: t)
        }
        T.transformOutput(m, p, first: first, nb: nb, into: y, bias: bias, accumulate: accumulate)
    }
}

/// One Winograd tile size: its transforms, in the layouts `Winograd` describes.
protocol WinogradTiles {
    /// Output tile side m (the input tile is m + 2).
    static var m: Int { get }
    /// U[ξ][f][c] = (G w[f][c] Gᵀ)[ξ]; with `flipped`, U'[ξ][c][f] of the kernel turned 180°.
    static func transformWeights(_ w: UnsafePointer<Float>, f: Int, c: Int, flipped: Bool, into u: UnsafeMutablePointer<Float>)
    /// dw[f][c] += Gᵀ dU[·][f][c] G (the adjoint of `transformWeights`).
    static func weightGradient(_ du: UnsafePointer<Float>, f: Int, c: Int, into dw: UnsafeMutablePointer<Float>)
    /// V[ξ][c][t] = (Bᵀ d B)[ξ] for every input tile d of images `first..<first+nb`.
    static func transformInput(_ x: UnsafePointer<Float>, _ p: Winograd.Pass, first: Int, nb: Int, into v: UnsafeMutablePointer<Float>)
    /// Output tiles Aᵀ M A written (or added, with `accumulate`) into images `first..<first+nb` of y, plus `bias`.
    static func transformOutput(_ m: UnsafePointer<Float>, _ p: Winograd.Pass, first: Int, nb: Int, into y: UnsafeMutablePointer<Float>,
                                bias: UnsafePointer<Float>?, accumulate: Bool)
    /// M̄[ξ][f][t] = (A g Aᵀ)[ξ] for the output-gradient tiles g (the adjoint of `transformOutput`),
    /// and `db[f] += Σ gy` when asked.
    static func transformOutputGradient(_ gy: UnsafePointer<Float>, _ p: Winograd.Pass, first: Int, nb: Int,
                                        into mb: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?)
}

extension Tensor {
    /// A 3×3, stride-1 convolution by Winograd (see `Winograd`); same results as `conv2d` up to rounding.
    static func winogradConv(_ x: Tensor, weight w: Tensor, bias b: Tensor?, g: ConvGeometry) -> Tensor {
        Winograd.largeTiles(g) ? winogradConv(WinogradF4.self, x, weight: w, bias: b, g: g)
                               : winogradConv(WinogradF2.self, x, weight: w, bias: b, g: g)
    }

    private static func winogradConv<T: WinogradTiles>(_ tiles: T.Type, _ x: Tensor, weight w: Tensor, bias b: Tensor?,
                                                       g: ConvGeometry) -> Tensor {
        let p = Winograd.Pass(g, m: T.m)
        var u = scratch(p.planes &* g.f &* g.c)
        w.data.withUnsafeBufferPointer { wp in
            u.withUnsafeMutableBufferPointer { T.transformWeights(wp.baseAddress!, f: g.f, c: g.c, flipped: false, into: $0.baseAddress!) }
        }
        var out = scratch(g.n &* g.f &* g.p)
        let bias = b?.data
        x.data.withUnsafeBufferPointer { xp in
            u.withUnsafeBufferPointer { up in
                out.withUnsafeMutableBufferPointer { yp in
                    (bias ?? []).withUnsafeBufferPointer { bp in
                        let (xb, ub, yb, bb) = (xp.baseAddress!, up.baseAddress!, yp.baseAddress!, bias == nil ? nil : bp.baseAddress)
                        Parallel.forEachChunk(count: g.n, chunk: p.chunk(images: g.n)) { _, r in
                            Winograd.run(T.self, xb, ub, p, first: r.lowerBound, nb: r.count, into: yb, bias: bb, accumulate: false)
                        }
                    }
                }
            }
        }
        let parents = [x, w] + (b.map { [$0] } ?? [])
        return .result(shape: [g.n, g.f, g.ho, g.wo], data: out, parents: parents) { gy in
            winogradBackward(T.self, x: x, w: w, b: b, g: g, gy: gy)
        }
    }

    private static func winogradBackward<T: WinogradTiles>(_: T.Type, x: Tensor, w: Tensor, b: Tensor?, g: ConvGeometry,
                                                           gy: UnsafeBufferPointer<Float>) {
        let needW = w.requiresGrad, needB = b?.requiresGrad ?? false
        let forward = Winograd.Pass(g, m: T.m), back = Winograd.Pass(gradientOf: g, m: T.m)
        let uCount = forward.planes &* g.f &* g.c
        // The turned, transposed kernel's transform, for the input gradient.
        var turned: [Float] = []
        if x.requiresGrad {
            turned = scratch(uCount)
            w.data.withUnsafeBufferPointer { wp in
                turned.withUnsafeMutableBufferPointer { T.transformWeights(wp.baseAddress!, f: g.f, c: g.c, flipped: true, into: $0.baseAddress!) }
            }
        }
        let acc = WorkerAccumulators(workers: Parallel.workers, count: needW || needB ? uCount &+ g.f : 0, zeroed: false)
        let chunk = Swift.min(forward.chunk(images: g.n), back.chunk(images: g.n))
        x.data.withUnsafeBufferPointer { xp in
            turned.withUnsafeBufferPointer { up in
                x.withGradPointer(if: x.requiresGrad) { dxb, fresh in
                    Parallel.forEachChunk(count: g.n, chunk: chunk) { worker, r in
                        let nb = r.count
                        if needW || needB {
                            let t = nb &* forward.tiles
                            let du = acc.buffer(worker)
                            // A worker's first chunk overwrites its accumulator: no zero fill of α²·F·C floats.
                            let first = acc.firstUse(worker)
                            if first { (du + uCount).update(repeating: 0, count: g.f) }
                            let mPitch = Winograd.pitch(g.f, t), vPitch = Winograd.pitch(g.c, t)
                            let mb = UnsafeMutablePointer<Float>.allocate(capacity: forward.planes &* mPitch)
                            defer { mb.deallocate() }
                            T.transformOutputGradient(gy.baseAddress!, forward, first: r.lowerBound, nb: nb, into: mb,
                                                      db: needB ? du + uCount : nil)
                            if needW {
                                let v = UnsafeMutablePointer<Float>.allocate(capacity: forward.planes &* vPitch)
                                defer { v.deallocate() }
                                T.transformInput(xp.baseAddress!, forward, first: r.lowerBound, nb: nb, into: v)
                                for xi in 0..<forward.planes {
                                    BLAS.gemm(transA: false, transB: true, m: g.f, n: g.c, k: t,
                                              a: mb + xi &* mPitch, lda: t, b: v + xi &* vPitch, ldb: t,
                                              beta: first ? 0 : 1, c: du + xi &* g.f &* g.c, ldc: g.c)
                                }
                            }
                        }
                        if let dxb {
                            // A new gradient is written, not added to: every pixel of these images is covered.
                            Winograd.run(T.self, gy.baseAddress!, up.baseAddress!, back, first: r.lowerBound, nb: nb,
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
                dw.withUnsafeMutableBufferPointer { T.weightGradient(tp.baseAddress!, f: g.f, c: g.c, into: $0.baseAddress!) }
            }
            dw.withUnsafeBufferPointer { w.accumulateGrad($0) }
        }
        if needB, let b { total[uCount...].withUnsafeBufferPointer { b.accumulateGrad($0) } }
    }
}

/// What the tile transforms compute on: one float, or four neighbouring tiles in a vector register
/// (four, not eight: the engine builds for baseline x86-64, where eight would spill registers).
protocol WinogradLane {
    static var width: Int { get }
    static func load(_ p: UnsafePointer<Float>) -> Self
    static func splat(_ v: Float) -> Self
    func store(_ p: UnsafeMutablePointer<Float>)
    static func + (a: Self, b: Self) -> Self
    static func - (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
}

extension Float: WinogradLane {
    @inline(__always) static var width: Int { 1 }
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Float { p.pointee }
    @inline(__always) static func splat(_ v: Float) -> Float { v }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { p.pointee = self }
}

extension SIMD4: WinogradLane where Scalar == Float {
    @inline(__always) static var width: Int { 4 }
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
    @inline(__always) static func splat(_ v: Float) -> Self { Self(repeating: v) }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: self, as: Self.self) }
}
