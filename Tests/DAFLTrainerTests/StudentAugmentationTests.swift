import DAFLEngine
import Foundation
import Testing
@testable import DAFLTrainer

@Suite struct StudentAugmentationTests {
    @Test func parsesAndPrintsItsSpelling() {
        #expect(StudentAugmentation(parse: "none")?.isNone == true)
        #expect(StudentAugmentation(parse: "shift,flip,mixup") == StudentAugmentation(shift: 2, flip: true, mixup: true))
        #expect(StudentAugmentation(parse: "shift4")?.shift == 4)
        for bad in ["rotate9", "shift9", "shiftx", "flip,sharpen", "mixup0", "mixup101", "mixupx"] { #expect(StudentAugmentation(parse: bad) == nil, "\(bad)") }
        for text in ["none", "shift", "shift3,flip", "mixup", "flip,rotate,zoom,mixup", "mix3", "shift,flip,mixup,mix3", "shift,flip,mixup50", "shift,flip,mixnear", "shift,flip,mixup,project28"] {
            #expect(StudentAugmentation(parse: text)?.description == text)
        }
        var c = DistillConfig.preset(.cpu)
        c.studentAugment = "sharpen"
        #expect(c.problems().contains { $0.contains("--augment") })
    }

    /// A 4×4 image holding its pixel index: every output pixel must come from the shifted,
    /// mirrored and border-clamped position.
    @Test func shiftAndFlipMovePixelsWithClampedBorders() {
        let side = 4
        let original = (0..<16).map(Float.init)
        let aug = StudentAugmentation(shift: 2, flip: true)
        var rng = RNG(seed: 3)
        var seen = Set<[Float]>()
        for _ in 0..<200 {
            var x = original
            aug.apply(&x, count: 1, side: side, channels: 1, rng: &rng)
            seen.insert(x)
            // Rows stay rows: each output row is one input row (shifted, maybe mirrored), and
            // within a row the columns are a clamped monotone run.
            for y in 0..<side {
                let row = Array(x[y * side..<(y + 1) * side])
                let sourceRows = Set(row.map { Int($0) / side })
                #expect(sourceRows.count == 1)
                let cols = row.map { Int($0) % side }
                let up = zip(cols, cols.dropFirst()).allSatisfy { $0 <= $1 }
                let down = zip(cols, cols.dropFirst()).allSatisfy { $0 >= $1 }
                #expect(up || down)
            }
        }
        // 5 × 5 shifts × 2 mirrorings, some of which coincide after clamping on a 4-pixel side.
        #expect(seen.count > 20)
        #expect(seen.contains(original))
        #expect(seen.contains([3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12]))   // mirror only
    }

    /// `squeeze`: a shape narrows about the vertical centre line and keeps its height; a thick bar becomes a thinner
    /// one; each image's factor lies in [0.5, 1], so no image widens; parsed and spelled back.
    @Test func squeezeNarrowsAboutTheCentreLine() {
        // A 9×9 picture with a block 6 wide (columns 1…6 around the centre 4, rows 2…6), squeezed by one half:
        // each output column reads the input at c + (x − c)·2, so columns 3…5 keep the block (3.5 / 5.5 half in).
        let side = 9
        var x = [Float](repeating: 0, count: 81), t = [Float](repeating: 0, count: 81)
        for y in 2...6 { for xx in 1...6 { x[y * side + xx] = 1 } }
        x.withUnsafeMutableBufferPointer { xp in t.withUnsafeMutableBufferPointer { tp in
            StudentAugmentation.warp(xp.baseAddress!, side: side, angle: 0, scale: 1, squeeze: 0.5, scratch: tp.baseAddress!)
        } }
        for y in 0..<side {
            let row = Array(x[y * side..<(y + 1) * side])
            if (2...6).contains(y) {
                #expect(row == [0, 0, 0, 1, 1, 1, 0, 0, 0] || row == [0, 0, 0.5, 1, 1, 1, 0, 0, 0], "row \(y): \(row)")
            } else {
                #expect(row.allSatisfy { $0 == 0 }, "row \(y)")
            }
        }
        // Random factors in [0.5, 1]: a bar 8 of 10 wide loses width, never gains it, and its rows stay where they were.
        var rng = RNG(seed: 4)
        let aug = try! #require(StudentAugmentation(parse: "squeeze"))
        #expect(aug.description == "squeeze" && aug.squeezePercent == 50 && aug.moves && !aug.isNone)
        #expect(StudentAugmentation(parse: "squeeze30")?.description == "squeeze30" && StudentAugmentation(parse: "squeeze30")?.squeezePercent == 30)
        #expect(StudentAugmentation(parse: "squeeze0") == nil && StudentAugmentation(parse: "squeeze95") == nil)
        // `squash` is the same along the other axis: the block's transpose, flattened, is the narrowed block transposed.
        var tall = [Float](repeating: 0, count: 81)
        for y in 1...6 { for xx in 2...6 { tall[y * side + xx] = 1 } }
        tall.withUnsafeMutableBufferPointer { xp in t.withUnsafeMutableBufferPointer { tp in
            StudentAugmentation.warp(xp.baseAddress!, side: side, angle: 0, scale: 1, squash: 0.5, scratch: tp.baseAddress!)
        } }
        for y in 0..<side { for xx in 0..<side { #expect(tall[y * side + xx] == x[xx * side + y], "\(y),\(xx)") } }
        let both = try! #require(StudentAugmentation(parse: "squeeze30,squash"))
        #expect(both.description == "squeeze30,squash" && StudentAugmentation(parse: "squash20")?.squashPercent == 20)
        var bars = [Float](repeating: 0, count: 20 * 100)
        for i in 0..<20 { for y in 4..<6 { for xx in 1..<9 { bars[i * 100 + y * 10 + xx] = 1 } } }
        aug.apply(&bars, count: 20, side: 10, channels: 1, rng: &rng)
        var widths: [Float] = []
        for i in 0..<20 {
            let img = Array(bars[i * 100..<(i + 1) * 100])
            #expect(img.enumerated().allSatisfy { ($0.offset / 10 == 4 || $0.offset / 10 == 5) || $0.element == 0 })
            widths.append(img[40..<50].reduce(0, +))
        }
        #expect(widths.allSatisfy { $0 <= 8 + 1e-4 } && widths.contains { $0 < 6 })
    }

    /// `lines`: each image gets exactly one full row or column set to black, in its middle half; nothing else changes;
    /// both orientations occur.
    @Test func linesDrawOneBlackRowOrColumnInTheMiddleHalf() {
        var rng = RNG(seed: 6)
        let aug = try! #require(StudentAugmentation(parse: "lines"))
        #expect(aug.description == "lines" && !aug.isNone && !aug.moves)
        let side = 8, count = 40
        let original = (0..<(count * side * side)).map { Float($0 % 7) + 1 }   // never the black below
        var x = original
        aug.repaint(&x, count: count, side: side, channels: 1, black: -0.5, white: 2, rng: &rng)
        var orientations = Set<Bool>()
        for i in 0..<count {
            let changed = (0..<(side * side)).filter { x[i * side * side + $0] != original[i * side * side + $0] }
            #expect(changed.allSatisfy { x[i * side * side + $0] == -0.5 } && changed.count == side)
            let rows = Set(changed.map { $0 / side }), cols = Set(changed.map { $0 % side })
            let vertical = cols.count == 1
            #expect(vertical || rows.count == 1)
            orientations.insert(vertical)
            let at = vertical ? cols.first! : rows.first!
            #expect((2..<6).contains(at))
        }
        #expect(orientations.count == 2)
    }

    /// The warp behind `rotate` and `zoom`: no angle and scale 1 is the identity, a quarter turn permutes the pixels
    /// exactly, a zoom keeps the centre; each image's draws stay within the ranges.
    @Test func rotateAndZoomWarpAboutTheCentre() {
        let side = 5
        let original = (0..<25).map(Float.init)
        var x = original, t = [Float](repeating: 0, count: 25)
        x.withUnsafeMutableBufferPointer { xp in t.withUnsafeMutableBufferPointer { tp in
            StudentAugmentation.warp(xp.baseAddress!, side: side, angle: 0, scale: 1, scratch: tp.baseAddress!)
        } }
        #expect(x == original)
        x.withUnsafeMutableBufferPointer { xp in t.withUnsafeMutableBufferPointer { tp in
            StudentAugmentation.warp(xp.baseAddress!, side: side, angle: Float.pi / 2, scale: 1, scratch: tp.baseAddress!)
        } }
        // Output (y, x) reads input (y', x') = (c − (x − c), c + (y − c)) = (4 − x, y).
        for y in 0..<side { for xx in 0..<side { #expect(abs(x[y * side + xx] - original[(4 - xx) * side + y]) < 1e-4, "\(y),\(xx)") } }
        x = original
        x.withUnsafeMutableBufferPointer { xp in t.withUnsafeMutableBufferPointer { tp in
            StudentAugmentation.warp(xp.baseAddress!, side: side, angle: 0, scale: 2, scratch: tp.baseAddress!)
        } }
        #expect(x[12] == 12 && abs(x[13] - 12.5) < 1e-5 && abs(x[7] - 9.5) < 1e-5)
        // Random draws: every image changes, and a blob's mass stays roughly where it was.
        var rng = RNG(seed: 8)
        let aug = StudentAugmentation(parse: "rotate,zoom")!
        var blob = [Float](repeating: 0, count: 3 * 100)
        for i in 0..<3 { for y in 3..<7 { for xx in 2..<8 { blob[i * 100 + y * 10 + xx] = 1 } } }
        let before = blob
        aug.apply(&blob, count: 3, side: 10, channels: 1, rng: &rng)
        for i in 0..<3 {
            let a = Array(blob[i * 100..<(i + 1) * 100]), b = Array(before[i * 100..<(i + 1) * 100])
            #expect(a != b && abs(a.reduce(0, +) - b.reduce(0, +)) < 8)
        }
    }

    @Test func contrastShrinksEachImageTowardItsDarkestPixel() {
        let per = 8, count = 5
        var rng = RNG(seed: 3)
        let original = (0..<count * per).map { Float(($0 * 7) % 11) - 3 }
        var x = original
        let aug = StudentAugmentation(parse: "contrast")!
        #expect(aug.description == "contrast" && !aug.isNone)
        aug.apply(&x, count: count, side: 2, channels: 2, rng: &rng)
        for i in 0..<count {
            let a = Array(original[i * per..<(i + 1) * per]), b = Array(x[i * per..<(i + 1) * per])
            let m = a.min()!
            // One factor s in [0.2, 1] per image: b − m = s·(a − m) for every pixel.
            let q = a.indices.first { a[$0] > m }!
            let s = (b[q] - m) / (a[q] - m)
            #expect(s >= 0.2 && s <= 1)
            for j in a.indices { #expect(Swift.abs((b[j] - m) - s * (a[j] - m)) < 1e-5) }
        }
        #expect(x != original)
    }

    /// Each image's levels map linearly (rising or falling) onto [black, u] with u in the upper half of
    /// [black, white]; a flat image stays as it was.
    @Test func levelsStretchEachImageOverTheRealGreyRange() {
        let per = 8, count = 40, black: Float = -0.8, white: Float = 2
        var rng = RNG(seed: 5)
        var original = (0..<count * per).map { Float(($0 * 7) % 11) * 0.1 - 0.6 }
        for q in 0..<per { original[q] = 0.25 }   // image 0 is flat
        var x = original
        let aug = StudentAugmentation(parse: "shift,levels")!
        #expect(aug.description == "shift,levels" && !aug.isNone)
        StudentAugmentation(levels: true).apply(&x, count: count, side: 2, channels: 2, black: black, white: white, rng: &rng)
        #expect(Array(x[0..<per]) == Array(original[0..<per]))
        var rising = 0, falling = 0
        for i in 1..<count {
            let a = Array(original[i * per..<(i + 1) * per]), b = Array(x[i * per..<(i + 1) * per])
            let lo = b.min()!, hi = b.max()!
            #expect(Swift.abs(lo - black) < 1e-5)
            #expect(hi >= black + 0.5 * (white - black) - 1e-5 && hi <= white + 1e-5)
            // Linear: b = c + k·a for one k ≠ 0 per image.
            let (p, q) = (a.firstIndex(of: a.min()!)!, a.firstIndex(of: a.max()!)!)
            let k = (b[q] - b[p]) / (a[q] - a[p])
            for j in a.indices { #expect(Swift.abs(b[j] - (b[p] + k * (a[j] - a[p]))) < 1e-4) }
            if k > 0 { rising += 1 } else { falling += 1 }
        }
        #expect(rising > 5 && falling > 5)
    }

    /// A centred impulse spreads into a symmetric bump that keeps its total; a flat image stays flat.
    @Test func blurSpreadsAnImpulseSymmetrically() {
        let side = 9, per = 81, count = 30
        var x = [Float](repeating: 0, count: count * per)
        for i in 0..<count where i > 0 { x[i * per + 4 * side + 4] = 1 }   // image 0 is flat (all 0)
        for q in 0..<per { x[q] = 0.7 }
        var rng = RNG(seed: 8)
        let aug = StudentAugmentation(parse: "blur,levels")!
        #expect(aug.blur && aug.description == "blur,levels")
        StudentAugmentation(blur: true).apply(&x, count: count, side: side, channels: 1, rng: &rng)
        #expect(x[0..<per].allSatisfy { Swift.abs($0 - 0.7) < 1e-6 })
        var spread = 0
        for i in 1..<count {
            let img = Array(x[i * per..<(i + 1) * per])
            #expect(Swift.abs(img.reduce(0, +) - 1) < 1e-5)
            #expect(img.max() == img[4 * side + 4])
            for y in 0..<side { for xx in 0..<side {
                #expect(Swift.abs(img[y * side + xx] - img[xx * side + y]) < 1e-6)                   // transpose
                #expect(Swift.abs(img[y * side + xx] - img[(side - 1 - y) * side + xx]) < 1e-6)      // mirror
            } }
            if img[4 * side + 4] < 0.9 { spread += 1 }
        }
        #expect(spread > 10)
    }

    /// Each image's levels between black and white go through one power t^γ, γ in [½, 2]: order and the
    /// two ends are kept, values outside are clamped.
    @Test func gammaBendsTheGreyScaleOfEachImage() {
        let per = 6, count = 40, black: Float = -1, white: Float = 3
        let row: [Float] = [-2, -1, 0, 1, 2, 3]
        var x = (0..<count).flatMap { _ in row }
        var rng = RNG(seed: 2)
        #expect(StudentAugmentation(parse: "levels,gamma")?.description == "levels,gamma")
        StudentAugmentation(gamma: true).apply(&x, count: count, side: 1, channels: 6, black: black, white: white, rng: &rng)
        var brighter = 0, darker = 0
        for i in 0..<count {
            let img = Array(x[i * per..<(i + 1) * per])
            #expect(img[0] == black && img[1] == black && Swift.abs(img[5] - white) < 1e-5)
            #expect(zip(img, img.dropFirst()).allSatisfy { $0 <= $1 })
            let t = (img[3] - black) / (white - black)            // 0.5^γ
            let g = Foundation.log(t) / Foundation.log(Float(0.5))
            #expect(g >= 0.5 - 1e-4 && g <= 2 + 1e-4)
            for j in 2...4 { #expect(Swift.abs((img[j] - black) / 4 - Foundation.pow(Float(j - 1) / 4, g)) < 1e-4) }
            if g < 1 { brighter += 1 } else { darker += 1 }
        }
        #expect(brighter > 5 && darker > 5)
    }

    /// Each image keeps its own pixels outside one square box and takes another image's pixels inside it.
    @Test func cutmixPastesABoxOfAnotherImage() {
        let side = 8, per = 64, count = 6
        var rng = RNG(seed: 9)
        let original = (0..<count).flatMap { i in [Float](repeating: Float(i), count: per) }
        var x = original
        let aug = StudentAugmentation(parse: "cutmix")!
        #expect(aug.description == "cutmix" && !aug.isNone)
        aug.apply(&x, count: count, side: side, channels: 1, rng: &rng)
        var changed = 0
        for i in 0..<count {
            let img = Array(x[i * per..<(i + 1) * per])
            let foreign = img.indices.filter { img[$0] != Float(i) }
            if foreign.isEmpty { continue }
            changed += 1
            #expect(Set(foreign.map { img[$0] }).count == 1, "one partner per image")
            let ys = foreign.map { $0 / side }, xs = foreign.map { $0 % side }
            let h = ys.max()! - ys.min()! + 1, w = xs.max()! - xs.min()! + 1
            #expect(h == w && foreign.count == h * w, "a square box")
        }
        #expect(changed > 0)
    }

    /// `mix3`: image i is a convex combination of itself and two other images of the batch. Image j holds 1 at
    /// pixel j only, so an output's pixels are its three weights; they are ≥ 0, sum to 1, and vary over the batch.
    @Test func mix3IsAConvexCombinationOfThreeImages() {
        let count = 8, per = 8
        var rng = RNG(seed: 3)
        var x = (0..<count).flatMap { i in (0..<per).map { $0 == i ? Float(1) : 0 } }
        StudentAugmentation(parse: "mix3")!.apply(&x, count: count, side: 2, channels: 2, rng: &rng)
        var own: [Float] = []
        for i in 0..<count {
            let img = Array(x[i * per..<(i + 1) * per])
            #expect(img.allSatisfy { $0 >= 0 } && abs(img.reduce(0, +) - 1) < 1e-5)
            #expect(img.filter { $0 > 0 }.count <= 3)
            own.append(img[i])
        }
        #expect(Set(own).count == count)   // a weight drawn per image
        var c = DistillConfig.preset(.cpu)
        c.studentAugment = "shift,flip,mix3"; c.viewLabels = "stored"
        #expect(c.problems().contains { $0.contains("--view-labels stored needs") })
    }

    /// `mixup50`: about half the images are blended (λ < 1), the others kept as they were (λ = 1).
    @Test func mixupNBlendsThatShareOfTheImages() {
        let count = 400
        var rng = RNG(seed: 2)
        var x = (0..<count).map(Float.init)
        let mixes = StudentAugmentation(parse: "mixup50")!.repaint(&x, count: count, side: 1, channels: 1, rng: &rng)!
        let kept = mixes.lambda.filter { $0 == 1 }.count
        #expect(kept > 150 && kept < 250)
        for i in 0..<count where mixes.lambda[i] == 1 { #expect(x[i] == Float(i)) }
    }

    /// Six images of classes 0, 0, 1, 1, 2, 3 (one pixel each, its index); each row's runner-up class is set
    /// by hand. An image whose runner-up class is in the batch is blended with one of that class; image 5's (class 4)
    /// is in none, so its partner is any image.
    @Test func mixnearBlendsEachImageWithOneOfItsRunnerUpClass() {
        let top = [0, 0, 1, 1, 2, 3], second = [1, 2, 0, 3, 0, 4]
        var logits = [Float](repeating: 0, count: 6 * 5)
        for i in 0..<6 { logits[i * 5 + top[i]] = 5; logits[i * 5 + second[i]] = 2 }
        let answers = Tensor(shape: [6, 5], data: logits)
        #expect(StudentAugmentation(parse: "shift,mixnear")?.description == "shift,mixnear")
        for seed in 0..<20 {
            var rng = RNG(seed: UInt64(seed))
            var x = (0..<6).map(Float.init)
            let mixes = StudentAugmentation(parse: "mixnear")!.repaint(&x, count: 6, side: 1, channels: 1, answers: answers, rng: &rng)!
            let wanted = [1: [2, 3], 2: [4], 0: [0, 1], 3: [5]]
            for i in 0..<5 { #expect(wanted[second[i]]!.contains(mixes.partner[i]), "image \(i)") }
            let lam = mixes.lambda, p = mixes.partner
            for i in 0..<6 { #expect(abs(x[i] - (lam[i] * Float(i) + (1 - lam[i]) * Float(p[i]))) < 1e-5) }
        }
        // Without the teacher's answers it pairs at random, as mixup.
        var r1 = RNG(seed: 3), r2 = RNG(seed: 3)
        var a = (0..<6).map(Float.init), b = a
        StudentAugmentation(parse: "mixnear")!.repaint(&a, count: 6, side: 1, channels: 1, rng: &r1)
        StudentAugmentation(parse: "mixup")!.repaint(&b, count: 6, side: 1, channels: 1, rng: &r2)
        #expect(a == b)
    }

    /// `project28` comes last: the batch ends up where `UpsampledImages` puts it, whatever the other changes did.
    @Test func project28EndsOnResizedPictures() {
        var data = RNG(seed: 1), r1 = RNG(seed: 9), r2 = RNG(seed: 9)
        var x = data.normal(count: 3 * 32 * 32)
        var y = x
        StudentAugmentation(parse: "shift,flip,mixup,project28")!.apply(&x, count: 3, side: 32, channels: 1, rng: &r1)
        StudentAugmentation(parse: "shift,flip,mixup")!.apply(&y, count: 3, side: 32, channels: 1, rng: &r2)
        UpsampledImages(from: 28, to: 32).project(&y, count: 3)
        #expect(zip(x, y).map { abs($0 - $1) }.max()! < 1e-5)
    }

    @Test func mixupIsAConvexCombinationOfTwoImages() {
        let per = 9, count = 6
        var rng = RNG(seed: 1)
        let original = (0..<count).flatMap { i in [Float](repeating: Float(i * 10), count: per) }
        var x = original
        StudentAugmentation(mixup: true).apply(&x, count: count, side: 3, channels: 1, rng: &rng)
        var changed = 0
        for i in 0..<count {
            let v = x[i * per]
            #expect(x[i * per..<(i + 1) * per].allSatisfy { $0 == v })   // the same λ over the image
            #expect(v >= 0 && v <= 50)
            if v != original[i * per] { changed += 1 }
        }
        #expect(changed >= 3)
    }

    @Test func trainerRelabelsAugmentedReplayWithTheTeacher() throws {
        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = TrainerTests.tinyConfig(iterations: 3)
        c.studentAugment = "shift,flip,mixup"
        let t = try TrainerTests.trainer(c, dir: dir, box: box)
        #expect(t.iterate())
        let (x, target) = t.replayBatch()
        // The targets are the teacher's answers for the changed images, not the stored logits.
        let expected = GradMode.noGrad { t.teacher(x) }
        #expect(target.data == expected.data)
        let stored = Set(t.replay.logits[0].chunked(10))
        #expect(target.data.chunked(10).contains { !stored.contains($0) })
        #expect(t.run() == .completed)
        guard case .config(let cfg) = box.all.first(where: { if case .config = $0 { true } else { false } }) else {
            Issue.record("no config event"); return
        }
        #expect(cfg.settings["augment"] == "shift,flip,mixup")
    }
}

extension Array where Element == Float {
    func chunked(_ n: Int) -> [[Float]] { stride(from: 0, to: count, by: n).map { Array(self[$0..<Swift.min($0 + n, count)]) } }
}
