import DAFLEngine
import Foundation
import Testing
@testable import DAFLTrainer

/// `--procedural F`: smooth random shapes with grey textures on black replace a share of each replayed batch.
@Suite struct ProceduralImagesTests {
    /// The resize is PyTorch's `F.interpolate(mode="bilinear", align_corners=False)` (values printed by PyTorch 2 for
    /// this grid, to 4 × 4 and the middle row to 7 × 7).
    @Test func theResizeIsPyTorchsBilinear() {
        let grid: [Float] = [0, 1, 5, 2, 3, -1, 4, 0.5, 2]
        let four: [Float] = [0, 0.625, 2.5, 5, 1.25, 1.875, 1.875, 1.25, 2.75, 2.3203125, 1.3359375, 0.125, 4, 1.8125, 1.0625, 2]
        for (a, b) in zip(ProceduralImages.resized(grid, from: 3, to: 4), four) { #expect(abs(a - b) < 1e-5) }
        let middle: [Float] = [2, 2.142857313156128, 2.5714285373687744, 3, 1.2857141494750977, -0.4285714328289032, -1]
        for (a, b) in zip(ProceduralImages.resized(grid, from: 3, to: 7)[21..<28], middle) { #expect(abs(a - b) < 1e-5) }
    }

    /// Black outside the shapes, grey levels between black and white inside, the shapes nearer the middle than the
    /// edges, channels sharing a shape; the same draw for the same seed.
    @Test func shapesAreGreyOnBlackAndCentred() {
        let (black, white): (Float, Float) = (-0.81, 2.02)
        var rng = RNG(seed: 5)
        let n = 200, side = 32, plane = 32 * 32
        let px = ProceduralImages.draw(count: n, side: side, channels: 1, black: black, white: white, rng: &rng)
        #expect(px.count == n * plane && px.allSatisfy { $0 >= black && $0 <= white })
        var middle = 0, edge = 0, withShape = 0, greyLevels = Set<Float>()
        for i in 0..<n {
            var inside = 0
            for y in 0..<side {
                for x in 0..<side where px[i * plane + y * side + x] > black {
                    inside += 1
                    greyLevels.insert(px[i * plane + y * side + x])
                    if (8..<24).contains(y) && (8..<24).contains(x) { middle += 1 } else if y < 4 || y >= 28 || x < 4 || x >= 28 { edge += 1 }
                }
            }
            if inside > 0 { withShape += 1 }
        }
        // 256 middle pixels against 240 in the outer band of four: the shapes sit in the middle.
        #expect(middle > 3 * edge && withShape > n / 2, "middle \(middle), edge \(edge), \(withShape) with a shape")
        #expect(greyLevels.count > 1000, "textured, not two-level")
        var again = RNG(seed: 5)
        #expect(ProceduralImages.draw(count: n, side: side, channels: 1, black: black, white: white, rng: &again) == px)
        var rgb = RNG(seed: 9)
        let three = ProceduralImages.draw(count: 4, side: side, channels: 3, black: 0, white: 1, rng: &rgb)
        for i in 0..<4 {
            let masks = (0..<3).map { c in (0..<plane).map { three[(i * 3 + c) * plane + $0] > 0 } }
            // Texture can clamp to 0 inside a shape: the masks agree but for such pixels.
            let differ = zip(masks[0], masks[1]).filter { $0 != $1 }.count + zip(masks[0], masks[2]).filter { $0 != $1 }.count
            #expect(differ < plane / 50, "image \(i): \(differ) pixels differ between channels' shapes")
        }
    }

    /// In a run: logged, resumed exactly, another student than without it; bad shares and runs without replayed steps refused.
    @Test func isLoggedResumedAndRefusedWithoutReplay() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.procedural = 0.5
        #expect(c.problems().isEmpty)
        try expectLoggedResumedAndAnotherStudent(c, key: "procedural", value: "0.5", off: "0.0")
        for bad: Float in [-0.1, 1.5, .nan] {
            var d = c; d.procedural = bad
            #expect(d.problems().contains { $0.contains("--procedural must be a share in [0, 1]") })
        }
        var noReplay = c; noReplay.studentSteps = 1
        #expect(noReplay.problems().contains { $0.contains("--procedural needs replayed student steps") })
    }

    /// `--generator-mask`: masks are the shapes `draw` fills (0 or 1, channels alike); the iteration's images are the
    /// generator's inside them and the background outside; in a run, logged, resumed exactly, another student.
    @Test func generatedImagesAreCutToShapes() throws {
        var a = RNG(seed: 11), b = RNG(seed: 11)
        let masks = ProceduralImages.masks(count: 20, side: 32, channels: 2, rng: &a)
        // The first image draws its shape from the same numbers (after it, `draw` also draws textures).
        let px = ProceduralImages.draw(count: 1, side: 32, channels: 2, black: -1, white: 1, rng: &b)
        #expect(masks.allSatisfy { $0 == 0 || $0 == 1 } && masks.contains(0) && masks.contains(1))
        // Wherever the drawn picture is above black its mask is 1 (texture may clamp a pixel inside to black).
        #expect(px.contains { $0 > -1 } && zip(masks.prefix(2048), px).allSatisfy { m, p in p == -1 || m == 1 })
        var first: [Float] = [], second: [Float] = []
        for n in 0..<20 {
            let start: Int = n * 2048
            first += masks[start..<(start + 1024)]
            second += masks[(start + 1024)..<(start + 2048)]
        }
        #expect(first == second)

        var rng = RNG(seed: 3)
        let g = Generator(latent: 8, width: 8, channels: 1, rng: &rng)
        let teacher = TrainerTests.tinyTeacher(), student = LeNet5(.half, rng: &rng)
        let z = Tensor(shape: [4, 8], data: rng.normal(count: 32))
        let mask = Tensor(shape: [4, 1, 32, 32], data: ProceduralImages.masks(count: 4, side: 32, channels: 1, rng: &rng))
        let plain = GradMode.noGrad { g(z) }
        let (_, kept) = DAFLIteration.run(generator: g, teacher: teacher, student: student,
                                          generatorOptimizer: Adam(g.parameters, lr: 0.01), studentOptimizer: Adam(student.parameters, lr: 0.01),
                                          noise: z, weights: LossWeights(), background: -0.5, mask: mask, keepImages: true)
        let images = try #require(kept)
        let expected: [Float] = (0..<mask.count).map { mask.data[$0] == 1 ? plain.data[$0] : -0.5 }
        #expect(images.data == expected)

        var c = TrainerTests.tinyConfig(iterations: 4)
        c.generatorMask = true
        try expectLoggedResumedAndAnotherStudent(c, key: "generator_mask", value: "true", off: "false")
    }

    /// `--boundary-procedural`: the walking batches are procedural pictures; logged, resumed exactly, another student
    /// than walks from replayed images, and refused without walks.
    @Test func walksFromProceduralPictures() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        #expect((c.boundarySamples ?? 0) > 0)
        c.boundaryProcedural = true
        try expectLoggedResumedAndAnotherStudent(c, key: "boundary_procedural", value: "true", off: "false")
        var noWalks = c; noWalks.boundarySamples = 0
        #expect(noWalks.problems().contains { $0.contains("--boundary-procedural needs --boundary-samples above 0") })
    }
}
