/// Column matrices for stride-1 convolutions, built from whole rows of the padded input.
///
/// With stride 1, output pixel (oy, ox) and kernel tap (ki, kj) read padded pixel
/// `origin + (oy + ki)·Wp + ox + kj`. Giving every image `Ho·Wp` columns (output pixels on the input's
/// row pitch, Wp − Wo of them per row unused) makes each (channel, tap) row of the column matrix one
/// contiguous copy of the input instead of Ho short ones: im2col becomes a few memcpys per image.
/// The unused columns cost Wp/Wo more GEMM work (1.4× for LeNet's 14→10 conv, 1.25× and 1.125× for the
/// generator's 8- and 16-pixel inputs) and carry finite junk that the output scatter skips; gradients
/// put zeros there, so they add nothing to dW or dx.
/// ```swift
/// let flat = FlatColumns(g)                        // g.stride == 1
/// flat.im2col(planes, col, images: nb)             // col: [C·KH·KW, nb·flat.perImage]
/// ```
struct FlatColumns {
    let c, kh, kw, ho, wo: Int
    /// Padded plane extent and row pitch.
    let hp, wp: Int
    /// Where tap (0, 0) of output pixel (0, 0) reads, inside a padded plane.
    let origin: Int

    /// The layout a stride-1 convolution needs: its own padding, origin 0.
    init(_ g: ConvGeometry) {
        precondition(g.stride == 1)
        self.init(c: g.c, kh: g.kh, kw: g.kw, ho: g.ho, wo: g.wo, hp: g.ho &+ g.kh &- 1, wp: g.wo &+ g.kw &- 1, origin: 0)
    }

    init(c: Int, kh: Int, kw: Int, ho: Int, wo: Int, hp: Int, wp: Int, origin: Int) {
        (self.c, self.kh, self.kw, self.ho, self.wo, self.hp, self.wp, self.origin) = (c, kh, kw, ho, wo, hp, wp, origin)
    }

    /// Whether flat rows pay for their unused columns. Few input channels: im2col's short copies
    /// cost more than the extra GEMM columns (LeNet's 14→10 conv runs 1.4× the columns and is still
    /// faster). Many channels: the GEMM dominates, so waste over 1/8 (ResNet's 8×8 and 4×4 maps,
    /// 1.25× and 1.5×) costs more than the copies it saves.
    static func pays(_ g: ConvGeometry) -> Bool {
        g.stride == 1 && (g.c < 32 || (g.wo &+ g.kw &- 1) &* 8 <= g.wo &* 9)
    }

    var k: Int { c &* kh &* kw }
    /// Columns per image.
    var perImage: Int { ho &* wp }
    /// Columns per image that a row copy fills (the rest of perImage is zeroed).
    var span: Int { (ho &- 1) &* wp &+ wo }
    var plane: Int { hp &* wp }

    /// Images per chunk: a column buffer near `budget` floats, at least `minColumns` wide, and two
    /// chunks per worker when the batch allows.
    func chunk(images n: Int, budget: Int = 1 << 19, minColumns: Int = 2048) -> Int {
        let byMemory = Swift.max(1, budget / Swift.max(k &* perImage, 1), (minColumns + perImage - 1) / Swift.max(perImage, 1))
        let byBalance = Swift.max(1, (n + 2 &* Parallel.workers &- 1) / (2 &* Parallel.workers))
        return Swift.min(n, byMemory, byBalance)
    }

    /// Copies `nb` images [C, H, W] into zero-bordered planes [nb, C, Hp, Wp], the input's pixel (0, 0)
    /// landing at (padY, padX).
    func pad(_ x: UnsafePointer<Float>, h: Int, w: Int, padY: Int, padX: Int, into dst: UnsafeMutablePointer<Float>, images nb: Int) {
        dst.initialize(repeating: 0, count: nb &* c &* plane)
        let rows = Swift.min(h, hp &- padY), cols = Swift.min(w, wp &- padX)
        for p in 0..<(nb &* c) {
            let s = x + p &* h &* w, d = dst + p &* plane + padY &* wp + padX
            for iy in 0..<rows { (d + iy &* wp).update(from: s + iy &* w, count: cols) }
        }
    }

    /// The adjoint of `pad`: adds the planes' interior into `dx` [nb, C, H, W].
    func unpad(_ src: UnsafePointer<Float>, h: Int, w: Int, padY: Int, padX: Int, into dx: UnsafeMutablePointer<Float>, images nb: Int) {
        let rows = Swift.min(h, hp &- padY), cols = Swift.min(w, wp &- padX)
        for p in 0..<(nb &* c) {
            let s = src + p &* plane + padY &* wp + padX, d = dx + p &* h &* w
            for iy in 0..<rows {
                let sr = s + iy &* wp, dr = d + iy &* w
                for ix in 0..<cols { dr[ix] += sr[ix] }
            }
        }
    }

    /// Fills `col` [K, nb·perImage] from `nb` padded images `planes` [nb, C, Hp, Wp].
    func im2col(_ planes: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, images nb: Int) {
        let ld = nb &* perImage, span = span, tail = perImage &- span
        for img in 0..<nb {
            for ch in 0..<c {
                let base = planes + (img &* c &+ ch) &* plane + origin
                for ki in 0..<kh {
                    for kj in 0..<kw {
                        let dst = col + (((ch &* kh &+ ki) &* kw &+ kj) &* ld &+ img &* perImage)
                        dst.update(from: base + (ki &* wp &+ kj), count: span)
                        (dst + span).update(repeating: 0, count: tail)
                    }
                }
            }
        }
    }

    /// Adds `col` [K, nb·perImage] back into padded planes `dplanes` (the adjoint of `im2col`).
    func col2im(_ col: UnsafePointer<Float>, _ dplanes: UnsafeMutablePointer<Float>, images nb: Int) {
        let ld = nb &* perImage, span = span
        for img in 0..<nb {
            for ch in 0..<c {
                let base = dplanes + (img &* c &+ ch) &* plane + origin
                for ki in 0..<kh {
                    for kj in 0..<kw {
                        let src = col + (((ch &* kh &+ ki) &* kw &+ kj) &* ld &+ img &* perImage)
                        let dst = base + (ki &* wp &+ kj)
                        for t in 0..<span { dst[t] += src[t] }
                    }
                }
            }
        }
    }
}
