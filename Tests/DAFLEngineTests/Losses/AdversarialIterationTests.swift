import Testing
@testable import DAFLEngine

/// The optional adversarial term changes what the generator learns and nothing else.
@Suite struct AdversarialIterationTests {
    /// One iteration from identical starting points, with the discrepancy weight 0 and 1.
    func iterate(adversarial: Float, measure: Discrepancy = .l1) -> (IterationResult, Generator, LeNet5) {
        let d = TinyDAFL(seed: 5)
        let (r, _) = DAFLIteration.run(generator: d.generator, teacher: d.teacher, student: d.student,
                                       generatorOptimizer: d.generatorOptimizer, studentOptimizer: d.studentOptimizer,
                                       noise: d.noise, weights: LossWeights(adversarial: adversarial, discrepancy: measure))
        return (r, d.generator, d.student)
    }

    @Test(arguments: Discrepancy.allCases)
    func studentUpdateIgnoresTheAdversarialGradient(measure: Discrepancy) {
        let (plain, g0, s0) = iterate(adversarial: 0, measure: measure)
        let (adv, g1, s1) = iterate(adversarial: 1, measure: measure)
        #expect(plain.discrepancy == 0 && adv.discrepancy > 0)
        // Same images (the generator steps after its forward), same KD: the same student.
        #expect(adv.distillation == plain.distillation)
        for ((name, a), (_, b)) in zip(s0.stateDict, s1.stateDict) { #expect(a.data == b.data, "\(name)") }
        // The generator climbed the discrepancy too.
        #expect(zip(g0.l1.weight.data, g1.l1.weight.data).contains { $0 != $1 })
        #expect(Swift.abs(adv.total - (plain.total - adv.discrepancy)) < 1e-5)
    }
}
