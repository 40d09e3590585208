import Testing
@testable import DAFLEngine

/// `--jitter`: the teacher and the student see the rolled, mirrored view; the memory keeps that view.
@Suite struct JitteredIterationTests {
    @Test func theTeacherLabelsTheViewTheMemoryKeeps() {
        func iterate(_ jitter: DAFLIteration.Jitter?) -> (IterationResult, Tensor, Tensor) {
            var rng = RNG(seed: 7)
            let g = Generator(latent: 8, width: 8, rng: &rng)
            let t = LeNet5(.full, rng: &rng), s = LeNet5(.half, rng: &rng)
            t.setTraining(false); t.freeze()
            let og = Adam(g.parameters, lr: 0.2), os = Adam(s.parameters, lr: 2e-3)
            let z = Tensor(shape: [4, 8], data: rng.normal(count: 32))
            let generated = GradMode.noGrad { g(z) }
            let (r, kept) = DAFLIteration.run(generator: g, teacher: t, student: s, generatorOptimizer: og, studentOptimizer: os,
                                              noise: z, weights: LossWeights(border: 1), jitter: jitter, keepImages: true)
            return (r, generated, kept!)
        }
        let j = DAFLIteration.Jitter(dy: 2, dx: -1, mirrored: true)
        let (plain, generated, keptPlain) = iterate(nil)
        let (jittered, _, kept) = iterate(j)
        #expect(keptPlain.data == generated.data)
        #expect(kept.data == generated.jittered(dy: 2, dx: -1, mirrored: true).data)
        let logits = GradMode.noGrad { () -> [Float] in
            var rng = RNG(seed: 7)
            _ = Generator(latent: 8, width: 8, rng: &rng)
            let t = LeNet5(.full, rng: &rng)
            t.setTraining(false)
            return t(kept).data
        }
        #expect(jittered.teacherLogits == logits && jittered.teacherLogits != plain.teacherLogits)
        // The border prior judges the picture as generated, not the rolled view.
        #expect(jittered.borderDeviation == plain.borderDeviation)
    }
}
