import Dispatch

/// Geometry of one 2-D convolution: input [N, C, H, W], weight [F, C, KH, KW].
struct ConvGeometry {
    let n, c, h, w, f, kh, kw, stride, pad, ho, wo: Int
    /// Rows of the column matrix (C·KH·KW) and output pixels per image (Ho·Wo).
    var k: Int { c &* kh &* kw }
    var p: Int { ho &* wo }

    /// Images per GEMM: as many as fit a column buffer of `budget` floats, so one large GEMM
    /// replaces many small ones while memory stays bounded.
    func chunk(budget: Int = 1 << 23) -> Int { Swift.max(1, Swift.min(n, budget / Swift.max(k &* p, 1))) }
}

/// Fills `col` [K, nb·P] (column = image·P + pixel) from images `first..<first+nb` of `x`.
func im2col(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, _ g: ConvGeometry, first: Int, nb: Int) {
    let ld = nb &* g.p
    let work = { (img: Int) in
        let src = x + ((first &+ img) &* g.c &* g.h &* g.w)
        for c in 0..<g.c {
            let plane = src + (c &* g.h &* g.w)
            for ki in 0..<g.kh {
                for kj in 0..<g.kw {
                    let row = (c &* g.kh &+ ki) &* g.kw &+ kj
                    var dst = col + (row &* ld &+ img &* g.p)
                    for oy in 0..<g.ho {
                        let iy = oy &* g.stride &- g.pad &+ ki
                        if iy < 0 || iy >= g.h {
                            for _ in 0..<g.wo { dst.pointee = 0; dst += 1 }
                            continue
                        }
                        let line = plane + (iy &* g.w)
                        for ox in 0..<g.wo {
                            let ix = ox &* g.stride &- g.pad &+ kj
                            dst.pointee = (ix >= 0 && ix < g.w) ? line[ix] : 0
                            dst += 1
                        }
                    }
                }
            }
        }
    }
    parallelImages(nb, perImage: g.k &* g.p, work)
}

/// Adds `col` [K, nb·P] back into the input gradient `dx` (the adjoint of `im2col`).
func col2im(_ col: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ g: ConvGeometry, first: Int, nb: Int) {
    let ld = nb &* g.p
    let work = { (img: Int) in
        let dst = dx + ((first &+ img) &* g.c &* g.h &* g.w)
        for c in 0..<g.c {
            let plane = dst + (c &* g.h &* g.w)
            for ki in 0..<g.kh {
                for kj in 0..<g.kw {
                    let row = (c &* g.kh &+ ki) &* g.kw &+ kj
                    var src = col + (row &* ld &+ img &* g.p)
                    for oy in 0..<g.ho {
                        let iy = oy &* g.stride &- g.pad &+ ki
                        if iy < 0 || iy >= g.h { src += g.wo; continue }
                        let line = plane + (iy &* g.w)
                        for ox in 0..<g.wo {
                            let ix = ox &* g.stride &- g.pad &+ kj
                            if ix >= 0 && ix < g.w { line[ix] += src.pointee }
                            src += 1
                        }
                    }
                }
            }
        }
    }
    parallelImages(nb, perImage: g.k &* g.p, work)
}

/// Runs `work` for each image, on both cores when there is enough of it to pay for the hand-off.
/// Images write disjoint memory, so no locking is needed.
func parallelImages(_ nb: Int, perImage: Int, _ work: @escaping (Int) -> Void) {
    if nb > 1 && nb &* perImage >= 1 << 16 {
        let job = UncheckedSendable(work)
        DispatchQueue.concurrentPerform(iterations: nb) { job.value($0) }
    } else {
        for i in 0..<nb { work(i) }
    }
}

extension Tensor {
    /// 2-D convolution (cross-correlation, as PyTorch) with square stride and zero padding.
    ///
    /// Images are batched into large GEMMs through an im2col buffer bounded in size;
    /// the backward recomputes the columns instead of keeping them.
    /// ```swift
    /// let y = Tensor.conv2d(x, weight: w, bias: b, stride: 1, padding: 1)
    /// ```
    public static func conv2d(_ x: Tensor, weight w: Tensor, bias b: Tensor?, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(x.rank == 4 && w.rank == 4 && x.shape[1] == w.shape[1],
                     "conv2d: input \(x.shape) does not fit weight \(w.shape)")
        let h = x.shape[2], wd = x.shape[3], kh = w.shape[2], kw = w.shape[3]
        let g = ConvGeometry(n: x.shape[0], c: x.shape[1], h: h, w: wd, f: w.shape[0], kh: kh, kw: kw,
                             stride: stride, pad: padding,
                             ho: (h + 2 * padding - kh) / stride + 1, wo: (wd + 2 * padding - kw) / stride + 1)
        precondition(g.ho > 0 && g.wo > 0, "conv2d: kernel \(kh)x\(kw) larger than padded input \(h)x\(wd)")
        let chunk = g.chunk()
        var out = [Float](repeating: 0, count: g.n &* g.f &* g.p)
        var col = [Float](repeating: 0, count: g.k &* chunk &* g.p)
        var tmp = [Float](repeating: 0, count: g.f &* chunk &* g.p)
        x.data.withUnsafeBufferPointer { xp in
            w.data.withUnsafeBufferPointer { wp in
                col.withUnsafeMutableBufferPointer { cp in
                    tmp.withUnsafeMutableBufferPointer { tp in
                        out.withUnsafeMutableBufferPointer { yp in
                            var first = 0
                            while first < g.n {
                                let nb = Swift.min(chunk, g.n - first), cols = nb &* g.p
                                im2col(xp.baseAddress!, cp.baseAddress!, g, first: first, nb: nb)
                                BLAS.gemm(transA: false, transB: false, m: g.f, n: cols, k: g.k,
                                          a: wp.baseAddress!, lda: g.k, b: cp.baseAddress!, ldb: cols,
                                          c: tp.baseAddress!, ldc: cols)
                                // [F, nb·P] → NCHW, adding the bias on the way.
                                for img in 0..<nb {
                                    for f in 0..<g.f {
                                        let bias = b?.data[f] ?? 0
                                        let src = tp.baseAddress! + (f &* cols &+ img &* g.p)
                                        let dst = yp.baseAddress! + (((first &+ img) &* g.f &+ f) &* g.p)
                                        for q in 0..<g.p { dst[q] = src[q] + bias }
                                    }
                                }
                                first &+= nb
                            }
                        }
                    }
                }
            }
        }
        let parents = [x, w] + (b.map { [$0] } ?? [])
        return .result(shape: [g.n, g.f, g.ho, g.wo], data: out, parents: parents) { gy in
            conv2dBackward(x: x, w: w, b: b, g: g, chunk: chunk, gy: gy)
        }
    }

    private static func conv2dBackward(x: Tensor, w: Tensor, b: Tensor?, g: ConvGeometry, chunk: Int,
                                       gy: UnsafeBufferPointer<Float>) {
        let needX = x.requiresGrad, needW = w.requiresGrad, needB = b?.requiresGrad ?? false
        var gtmp = [Float](repeating: 0, count: g.f &* chunk &* g.p)
        var col = [Float](repeating: 0, count: g.k &* chunk &* g.p)
        var dw = needW ? [Float](repeating: 0, count: g.f &* g.k) : []
        var db = [Float](repeating: 0, count: needB ? g.f : 0)
        if needX && x.grad == nil { x.grad = [Float](repeating: 0, count: x.count) }
        x.data.withUnsafeBufferPointer { xp in
            w.data.withUnsafeBufferPointer { wp in
                col.withUnsafeMutableBufferPointer { cp in
                    gtmp.withUnsafeMutableBufferPointer { tp in
                        dw.withUnsafeMutableBufferPointer { dwp in
                            var first = 0
                            while first < g.n {
                                let nb = Swift.min(chunk, g.n - first), cols = nb &* g.p
                                // NCHW gradient → [F, nb·P].
                                for img in 0..<nb {
                                    for f in 0..<g.f {
                                        let src = gy.baseAddress! + (((first &+ img) &* g.f &+ f) &* g.p)
                                        let dst = tp.baseAddress! + (f &* cols &+ img &* g.p)
                                        var s: Float = 0
                                        for q in 0..<g.p { dst[q] = src[q]; s += src[q] }
                                        if needB { db[f] += s }
                                    }
                                }
                                if needW {
                                    im2col(xp.baseAddress!, cp.baseAddress!, g, first: first, nb: nb)
                                    BLAS.gemm(transA: false, transB: true, m: g.f, n: g.k, k: cols,
                                              a: tp.baseAddress!, lda: cols, b: cp.baseAddress!, ldb: cols,
                                              beta: 1, c: dwp.baseAddress!, ldc: g.k)
                                }
                                if needX {
                                    BLAS.gemm(transA: true, transB: false, m: g.k, n: cols, k: g.f,
                                              a: wp.baseAddress!, lda: g.k, b: tp.baseAddress!, ldb: cols,
                                              c: cp.baseAddress!, ldc: cols)
                                    x.grad!.withUnsafeMutableBufferPointer { dxp in
                                        col2im(cp.baseAddress!, dxp.baseAddress!, g, first: first, nb: nb)
                                    }
                                }
                                first &+= nb
                            }
                        }
                    }
                }
            }
        }
        if needW { dw.withUnsafeBufferPointer { w.accumulateGrad($0) } }
        if needB, let b { db.withUnsafeBufferPointer { b.accumulateGrad($0) } }
    }
}

/// Carries a value into a concurrent closure when the caller guarantees the accesses are disjoint.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
