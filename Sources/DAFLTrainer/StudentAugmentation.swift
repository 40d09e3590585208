import DAFLEngine
import Foundation

/// Random changes to replayed images before a student step; the teacher then labels the changed
/// images, so the student always matches the teacher on exactly what it sees ("consistent teaching").
///
/// The student only ever sees generated images, so it learns the teacher's function on the region the
/// generator covers. Shifts, flips and mixes widen that region at the price of one teacher forward
/// per step; labels are never guessed (a shifted image gets the teacher's answer for the shifted image).
/// ```swift
/// var aug = StudentAugmentation(parse: "shift,flip,mixup")!
/// aug.apply(&pixels, count: 128, side: 32, channels: 1, rng: &rng)
/// ```
public struct StudentAugmentation: Equatable, Sendable {
    /// Largest shift in pixels along each axis (0: none); the edge pixels fill the gap.
    public var shift = 0
    /// Mirror left-right with probability ½.
    public var flip = false
    /// Rotate each image about its centre by an angle uniform in ±`rotationDegrees` (bilinear, edges repeated).
    public var rotate = false
    /// Scale each image about its centre by a factor uniform in 1 ± `zoomRange` (bilinear, edges repeated).
    public var zoom = false
    public static let rotationDegrees: Float = 15
    public static let zoomRange: Float = 0.1
    /// Narrow each image about its vertical centre line by a factor uniform in [1 − `squeezePercent`/100, 1] (bilinear,
    /// edges repeated; `squeeze`: up to half, `squeezeN`: up to N %). The generator's shapes fill the frame; photographed
    /// garments are narrower (trousers a third of it), with thin gaps the teacher reads (the legs'), which a squeezed
    /// shape brings closer.
    public var squeezePercent = 0
    public var squeeze: Bool { squeezePercent > 0 }
    /// Flatten each image about its horizontal centre line by a factor uniform in [1 − `squashPercent`/100, 1] (`squash`:
    /// up to half, `squashN`: up to N %): low shapes, as shoes are, which the generator seldom draws (Sneaker: under 1 %
    /// of its images).
    public var squashPercent = 0
    public var squash: Bool { squashPercent > 0 }
    /// Draw a black line one pixel wide across each image, vertical or horizontal, at a place in its middle half. The
    /// generator's shapes are broad blobs; the teacher tells garments apart by thin dark lines too (a coat's opening,
    /// the gap between trouser legs), and relabelling lined shapes shows the student where they count.
    public var lines = false
    /// Blend each image with another of the batch: λ·x_i + (1−λ)·x_j with λ uniform in [0, 1].
    public var mixup = false
    /// The share of images `mixup` blends, in percent (`mixupN`; 100: every image, as `mixup`). The others keep λ = 1.
    public var mixupPercent = 100
    /// `mixnear`: mixup whose partner for each image is drawn from the batch's images of that image's runner-up class
    /// (by the stored teacher answers), or from the whole batch when none is there. Random partners mostly blend
    /// classes the student already tells apart (Bag with Sandal); these blends lie on the borders it gets wrong.
    public var mixNear = false
    /// Blend each image with two others of the batch: w₁·x_i + w₂·x_j + w₃·x_k, the weights uniform on the simplex
    /// (Dirichlet(1, 1, 1)). Three of the generator's two-tone blobs give up to eight grey levels where two give four.
    /// Applied after `mixup` when both are on.
    public var mix3 = false
    /// Lower each image's contrast toward its darkest pixel: m + s·(x − m), s uniform in [0.2, 1].
    /// The generator's tanh saturates, so its images are nearly two-tone; real pictures have grey levels.
    public var contrast = false
    /// Paste a box of another image of the batch into each image (CutMix): the box's side is side·√(1−λ),
    /// λ uniform in [0, 1], at a uniform place. Parts of two garments in one picture probe finer boundaries.
    public var cutmix = false
    /// Stretch each image's grey levels over the range a real picture has: its darkest pixel to black
    /// and its brightest to a grey level u uniform in [0.5, 1], or the reverse with probability ½.
    /// The generator's batch norm leaves its images between about −0.6 and 0.5 in grey levels (below
    /// black, never near white), where photographs run from black to white; the student otherwise
    /// never sees the bright half of the inputs it is measured on.
    public var levels = false
    /// Blur each image with a Gaussian of σ uniform in [0, 1.5] pixels (edges repeated). The generator's
    /// images are nearly two-tone blobs with hard edges; photographs have soft edges and grey interiors.
    public var blur = false
    /// A random gamma per image on its grey levels, t ↦ t^γ with ln γ uniform in [−ln 2, ln 2], where t is the
    /// level between black (0) and white (1), clamped there first. After `levels`, it varies how the two tones
    /// and the blends between them spread over the grey scale.
    public var gamma = false
    /// `project28`: replace each image by the nearest one a 28×28 picture resized to the input side can be
    /// (`UpsampledImages`), last, after every other change. Every photograph the student is measured on lies there;
    /// the generator's hard two-level edges and one-pixel detail do not.
    public var project28 = false

    public init(shift: Int = 0, flip: Bool = false, mixup: Bool = false, contrast: Bool = false, cutmix: Bool = false,
                levels: Bool = false, blur: Bool = false, gamma: Bool = false) {
        self.shift = shift; self.flip = flip; self.mixup = mixup; self.contrast = contrast; self.cutmix = cutmix
        self.levels = levels; self.blur = blur; self.gamma = gamma
    }

    /// `none`, or a comma-separated list of `shift` (2 pixels), `shiftN`, `flip`, `rotate`, `zoom`, `squeeze`, `squeezeN` (narrowed by up to N %), `squash`, `squashN` (flattened by up to N %), `blur`, `lines`, `contrast`, `levels`, `gamma`, `cutmix`, `mixup`, `mixupN` (N % of the images), `mixnear`, `mix3`, `project28`; nil if unknown.
    public init?(parse text: String) {
        for word in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            switch word {
            case "none", "": continue
            case "flip": flip = true
            case "rotate": rotate = true
            case "zoom": zoom = true
            case "squeeze": squeezePercent = 50
            case "lines": lines = true
            case "squash": squashPercent = 50
            case _ where word.hasPrefix("squash"):
                guard let n = Int(word.dropFirst(6)), (1...90).contains(n) else { return nil }
                squashPercent = n
            case _ where word.hasPrefix("squeeze"):
                guard let n = Int(word.dropFirst(7)), (1...90).contains(n) else { return nil }
                squeezePercent = n
            case "mixup": mixup = true
            case "mix3": mix3 = true
            case "mixnear": mixup = true; mixNear = true
            case "contrast": contrast = true
            case "cutmix": cutmix = true
            case "levels": levels = true
            case "blur": blur = true
            case "gamma": gamma = true
            case "project28": project28 = true
            case "shift": shift = 2
            case _ where word.hasPrefix("mixup"):
                guard let n = Int(word.dropFirst(5)), (1...100).contains(n) else { return nil }
                mixup = true; mixupPercent = n
            default:
                guard word.hasPrefix("shift"), let n = Int(word.dropFirst(5)), (0...8).contains(n) else { return nil }
                shift = n
            }
        }
    }

    public var isNone: Bool { shift == 0 && !flip && !rotate && !zoom && !squeeze && !squash && !lines && !mixup && !contrast && !cutmix && !levels && !blur && !gamma && !mix3 && !project28 }

    /// The canonical spelling, for the run log and checkpoints (parses back to the same value).
    public var description: String {
        var w: [String] = []
        if shift > 0 { w.append(shift == 2 ? "shift" : "shift\(shift)") }
        if flip { w.append("flip") }
        if rotate { w.append("rotate") }
        if zoom { w.append("zoom") }
        if squeeze { w.append(squeezePercent == 50 ? "squeeze" : "squeeze\(squeezePercent)") }
        if squash { w.append(squashPercent == 50 ? "squash" : "squash\(squashPercent)") }
        if blur { w.append("blur") }
        if contrast { w.append("contrast") }
        if levels { w.append("levels") }
        if gamma { w.append("gamma") }
        if lines { w.append("lines") }
        if cutmix { w.append("cutmix") }
        if mixup { w.append(mixNear ? "mixnear" : mixupPercent == 100 ? "mixup" : "mixup\(mixupPercent)") }
        if mix3 { w.append("mix3") }
        if project28 { w.append("project28") }
        return w.isEmpty ? "none" : w.joined(separator: ",")
    }

    /// Changes `count` images of `channels`×`side`×`side` floats in place. `black` and `white` are the
    /// values grey levels 0 and 1 have after the teacher's normalisation (for `levels` and `gamma`).
    public func apply(_ x: inout [Float], count: Int, side: Int, channels: Int, black: Float = 0, white: Float = 1,
                      rng: inout RNG) {
        move(&x, count: count, side: side, channels: channels, rng: &rng)
        repaint(&x, count: count, side: side, channels: channels, black: black, white: white, rng: &rng)
    }

    /// Whether `move` changes anything: a shift, a mirror or a warp.
    public var moves: Bool { shift > 0 || flip || rotate || zoom || squeeze || squash }

    /// The first half of `apply`: shifts and mirrors each image (`shift`, `flip`), then rotates, scales, narrows and
    /// flattens it (`rotate`, `zoom`, `squeeze`, `squash`), drawing from `rng` as `apply` does.
    public func move(_ x: inout [Float], count: Int, side: Int, channels: Int, rng: inout RNG) {
        let plane = side &* side, per = channels &* plane
        precondition(x.count == count &* per, "augmentation: \(x.count) floats for \(count) images of \(per)")
        if shift > 0 || flip {
            var tmp = [Float](repeating: 0, count: per)
            let span = UInt64(2 &* shift &+ 1)
            x.withUnsafeMutableBufferPointer { xp in
                tmp.withUnsafeMutableBufferPointer { tp in
                    for i in 0..<count {
                        let dy = shift > 0 ? Int(rng.next() % span) &- shift : 0
                        let dx = shift > 0 ? Int(rng.next() % span) &- shift : 0
                        let mirror = flip && rng.next() & 1 == 1
                        if dx == 0 && dy == 0 && !mirror { continue }
                        let img = xp.baseAddress! + i &* per
                        tp.baseAddress!.update(from: img, count: per)
                        for c in 0..<channels {
                            let src = tp.baseAddress! + c &* plane, dst = img + c &* plane
                            for y in 0..<side {
                                // Output (y, x) reads input (y − dy, x − dx), clamped to the border.
                                let sy = Swift.min(Swift.max(y &- dy, 0), side &- 1)
                                for xx in 0..<side {
                                    let ux = mirror ? side &- 1 &- xx : xx
                                    let sx = Swift.min(Swift.max(ux &- dx, 0), side &- 1)
                                    dst[y &* side &+ xx] = src[sy &* side &+ sx]
                                }
                            }
                        }
                    }
                }
            }
        }
        if rotate || zoom || squeeze || squash {
            var tmp = [Float](repeating: 0, count: plane)
            x.withUnsafeMutableBufferPointer { xp in
                tmp.withUnsafeMutableBufferPointer { tp in
                    for i in 0..<count {
                        let angle = rotate ? (2 * rng.uniform() - 1) * Self.rotationDegrees * Float.pi / 180 : 0
                        let scale = zoom ? 1 + (2 * rng.uniform() - 1) * Self.zoomRange : 1
                        let narrow = squeeze ? 1 - rng.uniform() * Float(squeezePercent) / 100 : 1
                        let low = squash ? 1 - rng.uniform() * Float(squashPercent) / 100 : 1
                        for ch in 0..<channels {
                            Self.warp(xp.baseAddress! + (i &* per &+ ch &* plane), side: side, angle: angle, scale: scale, squeeze: narrow, squash: low,
                                      scratch: tp.baseAddress!)
                        }
                    }
                }
            }
        }
    }

    /// The second half of `apply`: every change but the moves (blur, contrast, levels, gamma, lines,
    /// CutMix, mixup), in that order. Returns mixup's pairs and weights (nil without mixup). `mixnear` needs
    /// `answers`, the teacher's logits for the images as drawn (`count` rows); without them it pairs at random.
    @discardableResult
    public func repaint(_ x: inout [Float], count: Int, side: Int, channels: Int, black: Float = 0, white: Float = 1,
                        answers: Tensor? = nil, rng: inout RNG) -> Mixes? {
        let plane = side &* side, per = channels &* plane
        precondition(x.count == count &* per, "augmentation: \(x.count) floats for \(count) images of \(per)")
        if blur {
            var tmp = [Float](repeating: 0, count: plane)
            x.withUnsafeMutableBufferPointer { xp in
                tmp.withUnsafeMutableBufferPointer { tp in
                    for i in 0..<count {
                        let sigma = 1.5 * rng.uniform()
                        guard sigma > 0.05 else { continue }
                        let k = Self.gaussian(sigma: sigma)
                        for c in 0..<channels {
                            Self.blurPlane(xp.baseAddress! + (i &* per &+ c &* plane), side: side, kernel: k, scratch: tp.baseAddress!)
                        }
                    }
                }
            }
        }
        if contrast {
            Self.forEachImage(&x, count: count, per: per) { img in
                let s = 0.2 + 0.8 * rng.uniform()
                var m = img[0]
                for q in 1..<per where img[q] < m { m = img[q] }
                for q in 0..<per { img[q] = m + s * (img[q] - m) }
            }
        }
        if levels {
            Self.forEachImage(&x, count: count, per: per) { img in
                let top = black + (0.5 + 0.5 * rng.uniform()) * (white - black)
                let invert = rng.next() & 1 == 1
                var lo = img[0], hi = img[0]
                for q in 1..<per { lo = Swift.min(lo, img[q]); hi = Swift.max(hi, img[q]) }
                guard hi - lo > 1e-6 else { return }   // a flat image has no levels to stretch
                let scale = (top - black) / (hi - lo)
                for q in 0..<per {
                    let t = (img[q] - lo) * scale
                    img[q] = invert ? top - t : black + t
                }
            }
        }
        if gamma {
            let range = white - black
            Self.forEachImage(&x, count: count, per: per) { img in
                let g = Foundation.exp((2 * rng.uniform() - 1) * Float(M_LN2))
                for q in 0..<per {
                    let t = Swift.min(Swift.max((img[q] - black) / range, 0), 1)
                    img[q] = black + range * Foundation.pow(t, g)
                }
            }
        }
        if lines {
            let half = UInt64(Swift.max(side / 2, 1))
            Self.forEachImage(&x, count: count, per: per) { img in
                let vertical = rng.next() & 1 == 1, at = side / 4 &+ Int(rng.next() % half)
                for c in 0..<channels {
                    let p = img + c &* plane
                    for k in 0..<side { p[vertical ? k &* side &+ at : at &* side &+ k] = black }
                }
            }
        }
        if cutmix && count > 1 {
            Self.withPartners(&x, count: count, per: per, rng: &rng) { out, _, other, rng in
                let box = Swift.min(side, Int((Float(side) * (1 - rng.uniform()).squareRoot()).rounded()))
                let span = UInt64(side &- box &+ 1)
                let y0 = Int(rng.next() % span), x0 = Int(rng.next() % span)
                guard box > 0 else { return }
                for c in 0..<channels {
                    for y in y0..<(y0 &+ box) {
                        let at = c &* plane &+ y &* side &+ x0
                        (out + at).update(from: other + at, count: box)
                    }
                }
            }
        }
        var mixes: Mixes?
        if mixup && count > 1 {
            var lambda: [Float] = []
            lambda.reserveCapacity(count)
            let share = Float(mixupPercent) / 100
            let near = mixNear ? answers.map { Self.runnerUpPartners($0, rng: &rng) } : nil
            let partner = Self.withPartners(&x, count: count, per: per, partners: near, rng: &rng) { out, mine, other, rng in
                // Drawn only for a share under 100, so `mixup` keeps its random stream.
                let lam = share < 1 && rng.uniform() >= share ? 1 : rng.uniform()
                lambda.append(lam)
                for q in 0..<per { out[q] = lam * mine[q] + (1 - lam) * other[q] }
            }
            mixes = Mixes(partner: partner, lambda: lambda)
        }
        if mix3 && count > 2 { Self.mixThree(&x, count: count, per: per, rng: &rng) }
        // Built per batch: a 28 × 28 inverse and a side × side product, small beside the teacher's relabelling forward.
        if project28 { UpsampledImages(from: 28, to: side).project(&x, count: count &* channels) }
        return mixes
    }

    /// `mix3`: image i becomes w₁·x_i + w₂·x_p(i) + w₃·x_q(i) for two random permutations p, q of the batch, the
    /// weights the gaps between 0, two sorted uniforms and 1 (uniform on the simplex).
    static func mixThree(_ x: inout [Float], count: Int, per: Int, rng: inout RNG) {
        let source = x
        let p = rng.permutation(count), q = rng.permutation(count)
        x.withUnsafeMutableBufferPointer { xp in
            source.withUnsafeBufferPointer { sp in
                for i in 0..<count {
                    let (u, v) = (rng.uniform(), rng.uniform())
                    let (lo, hi) = (Swift.min(u, v), Swift.max(u, v))
                    let (w1, w2, w3) = (lo, hi - lo, 1 - hi)
                    let out = xp.baseAddress! + i &* per, a = sp.baseAddress! + i &* per
                    let b = sp.baseAddress! + p[i] &* per, c = sp.baseAddress! + q[i] &* per
                    for k in 0..<per { out[k] = w1 * a[k] + w2 * b[k] + w3 * c[k] }
                }
            }
        }
    }

    /// What mixup did to a batch: image i became λᵢ·xᵢ + (1 − λᵢ)·x_partner(i) (of the images as they were before the mix).
    public struct Mixes: Equatable, Sendable {
        public var partner: [Int]
        public var lambda: [Float]
    }

    /// Rotates one side×side plane (side ≥ 2) in place by `angle` (radians, counter-clockwise as displayed with y
    /// down: clockwise on screen for positive angles) and scales it by `scale`, both about its centre: output pixel p
    /// reads the input at c + R(−angle)·(p − c) / scale, bilinearly, coordinates clamped to the border. `squeeze` and
    /// `squash` (≤ 1) narrow and flatten it first: p − c is divided by them along x and y.
    static func warp(_ p: UnsafeMutablePointer<Float>, side n: Int, angle: Float, scale: Float, squeeze: Float = 1, squash: Float = 1,
                     scratch t: UnsafeMutablePointer<Float>) {
        t.update(from: p, count: n &* n)
        let centre = Float(n &- 1) / 2, last = Float(n &- 1)
        let (cs, sn) = (Foundation.cos(angle) / scale, Foundation.sin(angle) / scale)
        for y in 0..<n {
            let dy = (Float(y) - centre) / squash
            for xx in 0..<n {
                let dx = (Float(xx) - centre) / squeeze
                let sx = Swift.min(Swift.max(centre + cs * dx + sn * dy, 0), last)
                let sy = Swift.min(Swift.max(centre - sn * dx + cs * dy, 0), last)
                let x0 = Swift.min(Int(sx), n &- 2), y0 = Swift.min(Int(sy), n &- 2)
                let fx = sx - Float(x0), fy = sy - Float(y0)
                let a = t[y0 &* n &+ x0], b = t[y0 &* n &+ x0 &+ 1]
                let c = t[(y0 &+ 1) &* n &+ x0], d = t[(y0 &+ 1) &* n &+ x0 &+ 1]
                p[y &* n &+ xx] = (a + (b - a) * fx) * (1 - fy) + (c + (d - c) * fx) * fy
            }
        }
    }

    /// The taps of a normalised Gaussian, radius ⌈2σ⌉ (at most 3).
    static func gaussian(sigma: Float) -> [Float] {
        let r = Swift.min(3, Int((2 * sigma).rounded(.up)))
        let w = (-r...r).map { d in Foundation.exp(-Float(d * d) / (2 * sigma * sigma)) }
        let total = w.reduce(0, +)
        return w.map { $0 / total }
    }

    /// Convolves one side×side plane in place with `kernel` along rows, then columns, edges repeated.
    /// Each tap adds a shifted copy of a whole row (or of whole rows), so the inner loops run over
    /// contiguous memory; the clamped edge columns get the edge pixel's share separately.
    static func blurPlane(_ p: UnsafeMutablePointer<Float>, side n: Int, kernel: [Float], scratch t: UnsafeMutablePointer<Float>) {
        let r = kernel.count / 2
        t.update(repeating: 0, count: n &* n)
        kernel.withUnsafeBufferPointer { k in
            for y in 0..<n {
                let src = p + y &* n, dst = t + y &* n
                for d in -r...r {
                    let w = k[d &+ r], lo = Swift.max(0, -d), hi = Swift.min(n, n &- d)
                    for x in lo..<hi { dst[x] += w * src[x &+ d] }
                    for x in 0..<lo { dst[x] += w * src[0] }
                    for x in hi..<n { dst[x] += w * src[n &- 1] }
                }
            }
            p.update(repeating: 0, count: n &* n)
            for y in 0..<n {
                let dst = p + y &* n
                for d in -r...r {
                    let w = k[d &+ r], src = t + Swift.min(Swift.max(y &+ d, 0), n &- 1) &* n
                    for x in 0..<n { dst[x] += w * src[x] }
                }
            }
        }
    }

    /// Calls `body` with each image of the batch in turn, in place.
    private static func forEachImage(_ x: inout [Float], count: Int, per: Int, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        x.withUnsafeMutableBufferPointer { xp in
            for i in 0..<count { body(xp.baseAddress! + i &* per) }
        }
    }

    /// `mixnear`'s partners: for image i, one drawn uniformly from the images whose top class (row argmax of
    /// `answers`) is i's runner-up class, or from the whole batch when no image has that class (one draw per image).
    static func runnerUpPartners(_ answers: Tensor, rng: inout RNG) -> [Int] {
        let (n, k) = (answers.shape[0], answers.shape[1])
        var top = [Int](repeating: 0, count: n), second = [Int](repeating: 0, count: n)
        answers.data.withUnsafeBufferPointer { a in
            for i in 0..<n {
                let row = a.baseAddress! + i &* k
                var (b1, b2) = (0, -1)
                for c in 1..<k {
                    if row[c] > row[b1] { b2 = b1; b1 = c } else if b2 < 0 || row[c] > row[b2] { b2 = c }
                }
                top[i] = b1; second[i] = Swift.max(b2, 0)
            }
        }
        var byClass = [[Int]](repeating: [], count: k)
        for (i, c) in top.enumerated() { byClass[c].append(i) }
        return (0..<n).map { i in
            let pool = byClass[second[i]]
            return pool.isEmpty ? Int(rng.next() % UInt64(n)) : pool[Int(rng.next() % UInt64(pool.count))]
        }
    }

    /// Pairs each image of the batch with a partner (a random permutation, or `partners`) and calls
    /// `body(out, mine, partner's, &rng)` with both read from a copy of the batch taken before any change.
    @discardableResult
    private static func withPartners(_ x: inout [Float], count: Int, per: Int, partners: [Int]? = nil, rng: inout RNG,
                                     _ body: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, inout RNG) -> Void) -> [Int] {
        let source = x
        let partner = partners ?? rng.permutation(count)
        x.withUnsafeMutableBufferPointer { xp in
            source.withUnsafeBufferPointer { sp in
                for i in 0..<count {
                    body(xp.baseAddress! + i &* per, sp.baseAddress! + i &* per, UnsafePointer(sp.baseAddress! + partner[i] &* per), &rng)
                }
            }
        }
        return partner
    }
}
