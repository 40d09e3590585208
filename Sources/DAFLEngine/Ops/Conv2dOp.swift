import Dispatch

/// Geometry of one 2-D convolution: input [N, C, H, W], weight [F, C, KH, KW].
/// `padY`/`padX` are the zero rows/columns before the input (after it, as many as the output needs).
struct ConvGeometry {
    let n, c, h, w, f, kh, kw, stride, padY, padX, ho, wo: Int

    init(n: Int, c: Int, h: Int, w: Int, f: Int, kh: Int, kw: Int, stride: Int, pad: Int, ho: Int, wo: Int) {
        self.init(n: n, c: c, h: h, w: w, f: f, kh: kh, kw: kw, stride: stride, padY: pad, padX: pad, ho: ho, wo: wo)
    }

    init(n: Int, c: Int, h: Int, w: Int, f: Int, kh: Int, kw: Int, stride: Int, padY: Int, padX: Int, ho: Int, wo: Int) {
        (self.n, self.c, self.h, self.w, self.f, self.kh, self.kw) = (n, c, h, w, f, kh, kw)
        (self.stride, self.padY, self.padX, self.ho, self.wo) = (stride, padY, padX, ho, wo)
    }

    /// Rows of the column matrix (C·KH·KW) and output pixels per image (Ho·Wo).
    var k: Int { c &* kh &* kw }
    var p: Int { ho &* wo }

    /// Images per GEMM: as many as fit a column buffer of `budget` floats, so one large GEMM
    /// replaces many small ones while memory stays bounded.
    /// The column buffer stays near `budget` floats (2 MB: cache-sized, so im2col's writes are still
    /// in cache when the GEMM reads them) but spans at least `minColumns` so the GEMM stays efficient;
    /// and there are at least two chunks per worker when the batch allows, so both cores stay busy.
    func chunk(budget: Int = 1 << 19, minColumns: Int = 2048) -> Int {
        let byMemory = Swift.max(1, budget / Swift.max(k &* p, 1), (minColumns + p - 1) / Swift.max(p, 1))
        let byBalance = Swift.max(1, (n + 2 &* Parallel.workers &- 1) / (2 &* Parallel.workers))
        return Swift.min(n, byMemory, byBalance)
    }
}

/// The output columns `ox` whose input column `ox·stride − pad + kj` lies inside [0, w).
@inline(__always)
func validColumns(_ g: ConvGeometry, kj: Int) -> Range<Int> {
    // ox·s − padX + kj ≥ 0  ⇔  ox ≥ ceil((pad − kj) / s);   ox·s − pad + kj < w  ⇔  ox ≤ (w − 1 + pad − kj) / s
    let lo = Swift.max(0, (g.padX &- kj &+ g.stride &- 1) / g.stride)
    let hiNum = g.w &- 1 &+ g.padX &- kj
    let hi = hiNum < 0 ? 0 : Swift.min(g.wo, hiNum / g.stride &+ 1)
    return lo..<Swift.max(lo, hi)
}

/// Fills `col` [K, nb·P] (column = image·P + pixel) from images `first..<first+nb` of `x`.
/// Each output row segment is a zero-filled border around a copy: no per-element bounds tests.
/// Plain loops over local constants, no closure: captured state would be reloaded on every
/// element (it might alias `col`) and block vectorisation.
func im2col(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, _ g: ConvGeometry, first: Int, nb: Int) {
    let (c, h, w, kh, kw, stride, padY, padX, ho, wo, p) = (g.c, g.h, g.w, g.kh, g.kw, g.stride, g.padY, g.padX, g.ho, g.wo, g.p)
    let ld = nb &* p, plane = h &* w
    for img in 0..<nb {
        let src = x + ((first &+ img) &* c &* plane)
        for ch in 0..<c {
            let base = src + ch &* plane
            for ki in 0..<kh {
                for kj in 0..<kw {
                    let row = (ch &* kh &+ ki) &* kw &+ kj
                    let valid = validColumns(g, kj: kj)
                    let (lo, hi) = (valid.lowerBound, valid.upperBound)
                    var dst = col + (row &* ld &+ img &* p)
                    for oy in 0..<ho {
                        let iy = oy &* stride &- padY &+ ki
                        if iy < 0 || iy >= h {
                            for ox in 0..<wo { dst[ox] = 0 }
                        } else {
                            let line = base + (iy &* w &- padX &+ kj)
                            for ox in 0..<lo { dst[ox] = 0 }
                            if stride == 1 {
                                var ox = lo
                                while ox < hi { dst[ox] = line[ox]; ox &+= 1 }
                            } else {
                                var ox = lo
                                while ox < hi { dst[ox] = line[ox &* stride]; ox &+= 1 }
                            }
                            var ox = hi
                            while ox < wo { dst[ox] = 0; ox &+= 1 }
                        }
                        dst += wo
                    }
                }
            }
        }
    }
}

/// Adds `col` [K, nb·P] back into the input gradient `dx` (the adjoint of `im2col`).
func col2im(_ col: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry, first: Int, nb: Int) {
    let (c, h, w, kh, kw, stride, padY, padX, ho, wo, p) = (g.c, g.h, g.w, g.kh, g.kw, g.stride, g.padY, g.padX, g.ho, g.wo, g.p)
    let ld = nb &* p, plane = h &* w
    for img in 0..<nb {
        let dst = dx + ((first &+ img) &* c &* plane)
        for ch in 0..<c {
            let base = dst + ch &* plane
            for ki in 0..<kh {
                for kj in 0..<kw {
                    let row = (ch &* kh &+ ki) &* kw &+ kj
                    let valid = validColumns(g, kj: kj)
                    let (lo, hi) = (valid.lowerBound, valid.upperBound)
                    var src = col + (row &* ld &+ img &* p)
                    for oy in 0..<ho {
                        let iy = oy &* stride &- padY &+ ki
                        if iy >= 0 && iy < h {
                            let line = base + (iy &* w &- padX &+ kj)
                            var ox = lo
                            if stride == 1 {
                                while ox < hi { line[ox] += src[ox]; ox &+= 1 }
                            } else {
                                while ox < hi { line[ox &* stride] += src[ox]; ox &+= 1 }
                            }
                        }
                        src += wo
                    }
                }
            }
        }
    }
}

/// How `conv2d` computes a convolution it could compute several ways.
public enum ConvAlgorithm: String, Sendable, CaseIterable {
    /// Column matrices and one GEMM per chunk of images (or a direct kernel for few channels):
    /// exact to the order of summation, the default.
    case gemm
    /// Winograd F(2×2, 3×3) for 3×3 kernels at stride 1 with 16 or more channels in and out
    /// (2.25× fewer multiply-adds; rounding differs from `gemm` at the 1e-6 level); anything else
    /// falls back to `gemm`.
    case winograd
}

extension Tensor {
    /// 2-D convolution (cross-correlation, as PyTorch) with square stride and zero padding.
    ///
    /// Each worker takes chunks of images and runs im2col → one GEMM → scatter on its own chunk,
    /// with its own bounded column buffer; the backward recomputes the columns instead of keeping them.
    /// ```swift
    /// let y = Tensor.conv2d(x, weight: w, bias: b, stride: 1, padding: 1)
    /// ```
    public static func conv2d(_ x: Tensor, weight w: Tensor, bias b: Tensor?, stride: Int = 1, padding: Int = 0,
                              algorithm: ConvAlgorithm = .gemm) -> Tensor {
        precondition(x.rank == 4 && w.rank == 4 && x.shape[1] == w.shape[1],
                     "conv2d: input \(x.shape) does not fit weight \(w.shape)")
        let h = x.shape[2], wd = x.shape[3], kh = w.shape[2], kw = w.shape[3]
        let g = ConvGeometry(n: x.shape[0], c: x.shape[1], h: h, w: wd, f: w.shape[0], kh: kh, kw: kw,
                             stride: stride, pad: padding,
                             ho: (h + 2 * padding - kh) / stride + 1, wo: (wd + 2 * padding - kw) / stride + 1)
        precondition(g.ho > 0 && g.wo > 0, "conv2d: kernel \(kh)x\(kw) larger than padded input \(h)x\(wd)")
        if g.ho == 1 && g.wo == 1 && padding == 0 && kh == h && kw == wd {
            // The kernel covers the whole image (LeNet's conv3): one output per filter is a dot product
            // with the flattened image, so the layer is a linear one and needs no column matrix.
            return linear(x.reshaped([g.n, g.k]), weight: w.reshaped([g.f, g.k]), bias: b).reshaped([g.n, g.f, 1, 1])
        }
        if algorithm == .winograd && Winograd.suits(g) { return winogradConv(x, weight: w, bias: b, g: g) }
        if stride == 1 && !DirectConv.suits(g) && FlatColumns.pays(g) { return flatConv(x, weight: w, bias: b, g: g) }
        var out = scratch(g.n &* g.f &* g.p)
        let bias = b?.data
        if DirectConv.suits(g) {
            x.data.withUnsafeBufferPointer { xp in
                w.data.withUnsafeBufferPointer { wp in
                    out.withUnsafeMutableBufferPointer { yp in
                        (bias ?? []).withUnsafeBufferPointer { bp in
                            let (xb, wb, yb, bb) = (xp.baseAddress!, wp.baseAddress!, yp.baseAddress!, bias == nil ? nil : bp.baseAddress)
                            Parallel.forEachChunk(count: g.n, chunk: Swift.max(1, (g.n + 2 &* Parallel.workers &- 1) / (2 &* Parallel.workers))) { _, r in
                                DirectConv.forward(xb, wb, bb, yb, g, range: r)
                            }
                        }
                    }
                }
            }
            let parents = [x, w] + (b.map { [$0] } ?? [])
            return .result(shape: [g.n, g.f, g.ho, g.wo], data: out, parents: parents) { gy in
                directBackward(x: x, w: w, b: b, g: g, gy: gy)
            }
        }
        x.data.withUnsafeBufferPointer { xp in
            w.data.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { yp in
                    let (xb, wb, yb) = (xp.baseAddress!, wp.baseAddress!, yp.baseAddress!)
                    Parallel.forEachChunk(count: g.n, chunk: g.chunk()) { _, r in
                        let nb = r.count, cols = nb &* g.p
                        var col = scratch(g.k &* cols), tmp = scratch(g.f &* cols)
                        col.withUnsafeMutableBufferPointer { cp in
                            tmp.withUnsafeMutableBufferPointer { tp in
                                im2col(xb, cp.baseAddress!, g, first: r.lowerBound, nb: nb)
                                BLAS.gemm(transA: false, transB: false, m: g.f, n: cols, k: g.k,
                                          a: wb, lda: g.k, b: cp.baseAddress!, ldb: cols, c: tp.baseAddress!, ldc: cols)
                                // [F, nb·P] → NCHW, adding the bias on the way.
                                for img in 0..<nb {
                                    for f in 0..<g.f {
                                        let bv = bias?[f] ?? 0
                                        let src = tp.baseAddress! + (f &* cols &+ img &* g.p)
                                        let dst = yb + (((r.lowerBound &+ img) &* g.f &+ f) &* g.p)
                                        for q in 0..<g.p { dst[q] = src[q] + bv }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let parents = [x, w] + (b.map { [$0] } ?? [])
        return .result(shape: [g.n, g.f, g.ho, g.wo], data: out, parents: parents) { gy in
            conv2dBackward(x: x, w: w, b: b, g: g, gy: gy)
        }
    }

    /// Stride 1 through `FlatColumns`: per chunk, pad (if needed) → flat im2col → GEMM → scatter.
    private static func flatConv(_ x: Tensor, weight w: Tensor, bias b: Tensor?, g: ConvGeometry) -> Tensor {
        let flat = FlatColumns(g)
        let inPlace = g.padY == 0 && g.padX == 0 && flat.hp == g.h && flat.wp == g.w
        let chunk = flat.chunk(images: g.n), per = flat.perImage, image = g.c &* g.h &* g.w
        var out = scratch(g.n &* g.f &* g.p)
        let bias = b?.data
        /// The chunk's images as padded planes: x itself, or a copy in `buffer`.
        func planes(_ xb: UnsafePointer<Float>, _ r: Range<Int>, _ buffer: UnsafeMutablePointer<Float>) -> UnsafePointer<Float> {
            if inPlace { return xb + r.lowerBound &* image }
            flat.pad(xb + r.lowerBound &* image, h: g.h, w: g.w, padY: g.padY, padX: g.padX, into: buffer, images: r.count)
            return UnsafePointer(buffer)
        }
        x.data.withUnsafeBufferPointer { xp in
            w.data.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { yp in
                    let (xb, wb, yb) = (xp.baseAddress!, wp.baseAddress!, yp.baseAddress!)
                    Parallel.forEachChunk(count: g.n, chunk: chunk) { _, r in
                        let nb = r.count, cols = nb &* per
                        let col = UnsafeMutablePointer<Float>.allocate(capacity: flat.k &* cols)
                        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: g.f &* cols)
                        let padded = UnsafeMutablePointer<Float>.allocate(capacity: inPlace ? 1 : nb &* g.c &* flat.plane)
                        defer { col.deallocate(); tmp.deallocate(); padded.deallocate() }
                        flat.im2col(planes(xb, r, padded), col, images: nb)
                        BLAS.gemm(transA: false, transB: false, m: g.f, n: cols, k: flat.k,
                                  a: wb, lda: flat.k, b: col, ldb: cols, c: tmp, ldc: cols)
                        // [F, nb·Ho·Wp] → NCHW, dropping the unused columns and adding the bias.
                        for img in 0..<nb {
                            for f in 0..<g.f {
                                let bv = bias?[f] ?? 0
                                let src = tmp + (f &* cols &+ img &* per)
                                let dst = yb + ((r.lowerBound &+ img) &* g.f &+ f) &* g.p
                                for oy in 0..<g.ho {
                                    let s = src + oy &* flat.wp, d = dst + oy &* g.wo
                                    for ox in 0..<g.wo { d[ox] = s[ox] + bv }
                                }
                            }
                        }
                    }
                }
            }
        }
        let parents = [x, w] + (b.map { [$0] } ?? [])
        return .result(shape: [g.n, g.f, g.ho, g.wo], data: out, parents: parents) { gy in
            backwardFrame(x: x, w: w, b: b, g: g, gy: gy, chunk: chunk) { r, xb, wb, gb, dxb, dw, db in
                let nb = r.count, cols = nb &* per
                let gtmp = UnsafeMutablePointer<Float>.allocate(capacity: g.f &* cols)
                let col = UnsafeMutablePointer<Float>.allocate(capacity: flat.k &* cols)
                let padded = UnsafeMutablePointer<Float>.allocate(capacity: inPlace ? 1 : nb &* g.c &* flat.plane)
                defer { gtmp.deallocate(); col.deallocate(); padded.deallocate() }
                // NCHW gradient → [F, nb·Ho·Wp], zero in the unused columns.
                gtmp.initialize(repeating: 0, count: g.f &* cols)
                for img in 0..<nb {
                    for f in 0..<g.f {
                        let src = gb + ((r.lowerBound &+ img) &* g.f &+ f) &* g.p
                        let dst = gtmp + (f &* cols &+ img &* per)
                        var s: Float = 0
                        for oy in 0..<g.ho {
                            let sr = src + oy &* g.wo, dr = dst + oy &* flat.wp
                            for ox in 0..<g.wo { dr[ox] = sr[ox]; s += sr[ox] }
                        }
                        db?[f] += s
                    }
                }
                if let dw {
                    flat.im2col(planes(xb, r, padded), col, images: nb)
                    BLAS.gemm(transA: false, transB: true, m: g.f, n: flat.k, k: cols,
                              a: gtmp, lda: cols, b: col, ldb: cols, beta: 1, c: dw, ldc: flat.k)
                }
                if let dxb {
                    BLAS.gemm(transA: true, transB: false, m: flat.k, n: cols, k: g.f,
                              a: wb, lda: flat.k, b: gtmp, ldb: cols, c: col, ldc: cols)
                    if inPlace {
                        flat.col2im(col, dxb + r.lowerBound &* image, images: nb)
                    } else {
                        padded.initialize(repeating: 0, count: nb &* g.c &* flat.plane)
                        flat.col2im(col, padded, images: nb)
                        flat.unpad(padded, h: g.h, w: g.w, padY: g.padY, padX: g.padX,
                                   into: dxb + r.lowerBound &* image, images: nb)
                    }
                }
            }
        }
    }

    /// What every convolution backward shares: per-worker dW and db accumulators (summed into the
    /// gradients at the end), pointers to x, W, the output gradient and x's gradient, and chunks of
    /// images across the workers. `body` gets nil for each gradient nobody wants.
    private static func backwardFrame(
        x: Tensor, w: Tensor, b: Tensor?, g: ConvGeometry, gy: UnsafeBufferPointer<Float>, chunk: Int,
        _ body: (_ images: Range<Int>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ gy: UnsafePointer<Float>,
                 _ dx: UnsafeMutablePointer<Float>?, _ dw: UnsafeMutablePointer<Float>?, _ db: UnsafeMutablePointer<Float>?) -> Void
    ) {
        let needW = w.requiresGrad, needB = b?.requiresGrad ?? false
        let acc = WorkerAccumulators(workers: Parallel.workers, count: g.f &* g.k &+ g.f)
        x.data.withUnsafeBufferPointer { xp in
            w.data.withUnsafeBufferPointer { wp in
                x.withGradPointer(if: x.requiresGrad) { dxb in
                    Parallel.forEachChunk(count: g.n, chunk: chunk) { worker, r in
                        let dw = acc.buffer(worker)
                        body(r, xp.baseAddress!, wp.baseAddress!, gy.baseAddress!, dxb, needW ? dw : nil, needB ? dw + g.f &* g.k : nil)
                    }
                }
            }
        }
        let total = acc.sum()
        if needW { total[0..<(g.f &* g.k)].withUnsafeBufferPointer { w.accumulateGrad($0) } }
        if needB, let b { total[(g.f &* g.k)...].withUnsafeBufferPointer { b.accumulateGrad($0) } }
    }

    private static func directBackward(x: Tensor, w: Tensor, b: Tensor?, g: ConvGeometry, gy: UnsafeBufferPointer<Float>) {
        let chunk = Swift.max(1, (g.n + 2 &* Parallel.workers &- 1) / (2 &* Parallel.workers))
        backwardFrame(x: x, w: w, b: b, g: g, gy: gy, chunk: chunk) { r, xb, wb, gb, dxb, dw, db in
            DirectConv.backward(xb, wb, gb, dw: dw, db: db, dx: dxb, g, range: r)
        }
    }

    private static func conv2dBackward(x: Tensor, w: Tensor, b: Tensor?, g: ConvGeometry, gy: UnsafeBufferPointer<Float>) {
        backwardFrame(x: x, w: w, b: b, g: g, gy: gy, chunk: g.chunk()) { r, xb, wb, gb, dxb, dw, db in
            let nb = r.count, cols = nb &* g.p
            let gtmp = UnsafeMutablePointer<Float>.allocate(capacity: g.f &* cols)
            let col = UnsafeMutablePointer<Float>.allocate(capacity: g.k &* cols)
            defer { gtmp.deallocate(); col.deallocate() }
            // NCHW gradient → [F, nb·P].
            for img in 0..<nb {
                for f in 0..<g.f {
                    let src = gb + (((r.lowerBound &+ img) &* g.f &+ f) &* g.p)
                    let dst = gtmp + (f &* cols &+ img &* g.p)
                    var s: Float = 0
                    for q in 0..<g.p { dst[q] = src[q]; s += src[q] }
                    db?[f] += s
                }
            }
            if let dw {
                im2col(xb, col, g, first: r.lowerBound, nb: nb)
                BLAS.gemm(transA: false, transB: true, m: g.f, n: g.k, k: cols,
                          a: gtmp, lda: cols, b: col, ldb: cols, beta: 1, c: dw, ldc: g.k)
            }
            if let dxb {
                BLAS.gemm(transA: true, transB: false, m: g.k, n: cols, k: g.f,
                          a: wb, lda: g.k, b: gtmp, ldb: cols, c: col, ldc: cols)
                col2im(col, dxb, g, first: r.lowerBound, nb: nb)
            }
        }
    }
}

extension Tensor {
    /// Runs `body` with a pointer to this tensor's gradient (allocated zeroed if absent), or with nil
    /// when `need` is false: for backward passes that write gradients from several threads.
    func withGradPointer(if need: Bool, _ body: (UnsafeMutablePointer<Float>?) -> Void) {
        guard need else { body(nil); return }
        if grad == nil { grad = [Float](repeating: 0, count: count) }
        grad!.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    /// As `withGradPointer(if:)`, but a new gradient is left unfilled and `fresh` says so: for a
    /// backward that writes every element when fresh (and adds into them otherwise).
    func withGradPointer(if need: Bool, _ body: (_ grad: UnsafeMutablePointer<Float>?, _ fresh: Bool) -> Void) {
        guard need else { body(nil, false); return }
        let fresh = grad == nil
        if fresh { grad = scratch(count) }
        grad!.withUnsafeMutableBufferPointer { body($0.baseAddress!, fresh) }
    }
}

/// Zeroed per-worker buffers that parallel chunks add into, summed once at the end.
final class WorkerAccumulators {
    let workers: Int, count: Int
    let storage: UnsafeMutablePointer<Float>
    /// Whether each worker's buffer holds anything yet (lazy mode: nothing is zeroed up front).
    private let used: UnsafeMutablePointer<Bool>

    /// `zeroed: false` skips zero-filling (megabytes for a wide layer): a worker then asks
    /// `firstUse(_:)` and overwrites its buffer the first time, and `sum()` skips unused buffers.
    init(workers: Int, count: Int, zeroed: Bool = true) {
        self.workers = workers
        self.count = count
        storage = .allocate(capacity: workers &* count)
        used = .allocate(capacity: workers)
        used.initialize(repeating: zeroed, count: workers)
        if zeroed { storage.initialize(repeating: 0, count: workers &* count) }
    }

    deinit { storage.deallocate(); used.deallocate() }

    func buffer(_ worker: Int) -> UnsafeMutablePointer<Float> { storage + worker &* count }

    /// True the first time a worker asks (its buffer is then unfilled): each worker asks only for its own.
    func firstUse(_ worker: Int) -> Bool {
        defer { used[worker] = true }
        return !used[worker]
    }

    func sum() -> [Float] {
        var out = [Float](repeating: 0, count: count)
        for wk in 0..<workers where used[wk] {
            let src = buffer(wk)
            for i in 0..<count { out[i] += src[i] }
        }
        return out
    }
}

/// Carries a value into a concurrent closure when the caller guarantees the accesses are disjoint.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A buffer whose contents will be overwritten before being read: skips zero-filling.
@inline(__always)
func scratch(_ n: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: n) { _, count in count = n }
}
