import DAFLEngine

/// Procedural pictures for the student: smooth random shapes with grey textures on black, drawn fresh for each
/// replayed step and labelled by the teacher (`--procedural F`: that share of each replayed batch).
///
/// The DAFL generator's images are scattered two-level blobs the teacher is sure of. A student trained on one run's
/// replay memory alone reaches 77.5–79 % on the test split; on these shapes alone, which involve no learning and
/// no data, 79–81 % (`scripts/procedural_proxy.py`). They bring what the generator lacks: one filled shape
/// near the middle of the frame, grey levels, texture. Each shape is a coarse random field (a 6 × 6 grid of normal
/// draws, resized bilinearly) plus an inverted parabola of random width and height, cut at zero; its inside is a
/// grey level uniform in [0.2, 1] plus a finer field (16 × 16, scale 0.15), clamped to [0, 1].
/// ```swift
/// let pixels = ProceduralImages.draw(count: 64, side: 32, channels: 1, black: -0.81, white: 2.02, rng: &rng)
/// ```
enum ProceduralImages {
    /// `count` images, `channels` × `side` × `side` each, row-major, in the model's input units (`black` is grey level 0,
    /// `white` grey level 1). Every channel shares the shape; each has its own texture.
    static func draw(count: Int, side: Int, channels: Int, black: Float, white: Float, rng: inout RNG) -> [Float] {
        let plane = side &* side
        var out = [Float](repeating: black, count: count &* channels &* plane)
        let fine = Swift.max(side / 2, 1)
        out.withUnsafeMutableBufferPointer { op in
            for n in 0..<count {
                let inside = shape(side: side, rng: &rng)
                for ch in 0..<channels {
                    let level = 0.2 + 0.8 * rng.uniform()
                    let texture = resized(rng.normal(count: fine &* fine), from: fine, to: side)
                    let base = (n &* channels &+ ch) &* plane
                    for i in 0..<plane where inside[i] {
                        let v = Swift.min(Swift.max(level + 0.15 * texture[i], 0), 1)
                        op[base &+ i] = black + v * (white - black)
                    }
                }
            }
        }
        return out
    }

    /// `count` masks, `channels` × `side` × `side` each: 1 inside a shape as `draw` makes them, 0 outside; the channels
    /// of an image share it (`--generator-mask` cuts the generator's images to them).
    /// ```swift
    /// let m = ProceduralImages.masks(count: 128, side: 32, channels: 1, rng: &rng)   // 0 or 1 per pixel
    /// ```
    static func masks(count: Int, side: Int, channels: Int, rng: inout RNG) -> [Float] {
        let plane = side &* side
        var out = [Float](repeating: 0, count: count &* channels &* plane)
        for n in 0..<count {
            let inside = shape(side: side, rng: &rng)
            for ch in 0..<channels {
                let base = (n &* channels &+ ch) &* plane
                for i in 0..<plane where inside[i] { out[base &+ i] = 1 }
            }
        }
        return out
    }

    /// One shape: a coarse random field (6 × 6 normal draws resized bilinearly) plus an inverted parabola of random
    /// width and height, cut at zero; true inside.
    static func shape(side: Int, rng: inout RNG) -> [Bool] {
        let coarse = 6
        let axis = (0..<side).map { side > 1 ? -1 + 2 * Float($0) / Float(side &- 1) : 0 }
        let field = resized(rng.normal(count: coarse &* coarse), from: coarse, to: side)
        let a = 0.5 + 2.5 * rng.uniform(), b = 0.2 + 1.3 * rng.uniform(), c = 0.5 + 1.5 * rng.uniform()
        var inside = [Bool](repeating: false, count: side &* side)
        for y in 0..<side {
            let yy = axis[y] * axis[y]
            for x in 0..<side {
                let i = y &* side &+ x
                inside[i] = field[i] - 2 * (a * axis[x] * axis[x] + b * yy) + c > 0
            }
        }
        return inside
    }

    /// A `from` × `from` grid resized to `to` × `to` bilinearly (`BilinearTap`: PyTorch's `align_corners=False`).
    static func resized(_ grid: [Float], from: Int, to: Int) -> [Float] {
        let taps = BilinearTap.taps(from: from, to: to).map { ($0.lo, $0.hi, $0.weight) }
        var out = [Float](repeating: 0, count: to &* to)
        grid.withUnsafeBufferPointer { g in
            out.withUnsafeMutableBufferPointer { o in
                for (y, (y0, y1, wy)) in taps.enumerated() {
                    for (x, (x0, x1, wx)) in taps.enumerated() {
                        let top = g[y0 &* from &+ x0] * (1 - wx) + g[y0 &* from &+ x1] * wx
                        let bottom = g[y1 &* from &+ x0] * (1 - wx) + g[y1 &* from &+ x1] * wx
                        o[y &* to &+ x] = top * (1 - wy) + bottom * wy
                    }
                }
            }
        }
        return out
    }
}
