import DAFLEngine
import Testing
@testable import CGANKD

@Suite struct TeacherFilterTests {
    @Test func quantileInterpolatesLikeNumpy() {
        // numpy.quantile([1, 2, 3, 4], 0.9) == 3.7; q = 0.5 of five values is the middle one.
        #expect(abs(TeacherFilter.quantile([4, 1, 3, 2], 0.9) - 3.7) < 1e-6)
        #expect(TeacherFilter.quantile([5, 1, 4, 2, 3], 0.5) == 3)
        #expect(TeacherFilter.quantile([2], 0.9) == 2)
    }

    @Test func thresholdsArePerClass() {
        let scores: [Float] = [0.1, 0.2, 0.3, 0.4, 5, 6, 7, 8]
        let labels = [0, 0, 0, 0, 1, 1, 1, 1]
        let f = TeacherFilter(rho: 0.5, burnIn: scores, labels: labels, classes: 3)
        #expect(abs(f.thresholds[0] - 0.25) < 1e-6 && abs(f.thresholds[1] - 6.5) < 1e-6)
        #expect(f.thresholds[2] == .infinity)
        #expect(f.keeps(score: 6, label: 1) && !f.keeps(score: 6, label: 0) && !f.keeps(score: 0.3, label: 0))
    }

    @Test func fakeSetFillsEveryClassAndRelabels() {
        var rng = RNG(seed: 4)
        let g = ConditionalGenerator(classes: 10, latent: 8, width: 8, rng: &rng)
        let t = LeNet5(.half, rng: &rng)
        var r1 = RNG(seed: 9), r2 = RNG(seed: 9)
        let (plain, s1, asked) = FakeSet.build(generator: g, teacher: t, perClass: 6, rho: 0.5, relabel: false, burnIn: 20, batch: 50, rng: &r1)
        #expect(s1.kept == [Int](repeating: 6, count: 10))
        #expect(plain.count == 60 && plain.images.count == 60 * 32 * 32)
        #expect(zip(s1.kept, s1.generated).allSatisfy { $0 <= $1 })
        // ρ = 0.5 drops about half of what is generated.
        let rate = Double(s1.kept.reduce(0, +)) / Double(s1.generated.reduce(0, +))
        #expect(rate > 0.25 && rate < 0.8, "keep rate \(rate)")
        // The same draws relabelled: labels become the teacher's predictions.
        // Without relabelling, labels are the classes asked for.
        #expect(plain.labels == asked)
        let (relabelled, _, askedAgain) = FakeSet.build(generator: g, teacher: t, perClass: 6, rho: 0.5, relabel: true, burnIn: 20, batch: 50, rng: &r2)
        #expect(relabelled.images == plain.images)
        let predicted = GradMode.noGrad { t(Tensor(shape: [60, 1, 32, 32], data: relabelled.images)) }.argmaxRows()
        #expect(relabelled.labels == predicted)
        #expect(askedAgain == asked)
    }
}
