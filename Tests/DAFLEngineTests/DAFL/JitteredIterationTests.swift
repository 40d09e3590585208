import Testing
@testable import DAFLEngine

/// `--jitter`: the teacher and the student see the rolled, mirrored view; the memory keeps that view.
@Suite struct JitteredIterationTests {
    @Test func theTeacherLabelsTheViewTheMemoryKeeps() {
        func iterate(_ jitter: DAFLIteration.Jitter?) -> (IterationResult, Tensor, Tensor) {
            let d = TinyDAFL(seed: 7)
            let generated = GradMode.noGrad { d.generator(d.noise) }
            let (r, kept) = DAFLIteration.run(generator: d.generator, teacher: d.teacher, student: d.student,
                                              generatorOptimizer: d.generatorOptimizer, studentOptimizer: d.studentOptimizer,
                                              noise: d.noise, weights: LossWeights(border: 1), jitter: jitter, keepImages: true)
            return (r, generated, kept!)
        }
        let j = DAFLIteration.Jitter(dy: 2, dx: -1, mirrored: true)
        let (plain, generated, keptPlain) = iterate(nil)
        let (jittered, _, kept) = iterate(j)
        #expect(keptPlain.data == generated.data)
        #expect(kept.data == generated.jittered(dy: 2, dx: -1, mirrored: true).data)
        // A fresh teacher of the same seed (the run's teacher is frozen, so the same weights) reads the kept view.
        let logits = GradMode.noGrad { TinyDAFL(seed: 7).teacher(kept).data }
        #expect(jittered.teacherLogits == logits && jittered.teacherLogits != plain.teacherLogits)
        // The border prior judges the picture as generated, not the rolled view.
        #expect(jittered.borderDeviation == plain.borderDeviation)
    }
}
