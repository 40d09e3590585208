import DAFLEngine
import Testing
@testable import CGANKD

@Suite struct CGANTrainerTests {
    /// Two classes of 8×8 images: bright top half or bright bottom half.
    func toyData(count: Int = 64) -> Dataset {
        var images: [Float] = [], labels: [Int] = []
        for i in 0..<count {
            let y = i % 2
            labels.append(y)
            for r in 0..<8 { for _ in 0..<8 { images.append((r < 4) == (y == 0) ? 1.5 : -0.7) } }
        }
        return Dataset(images: images, labels: labels, side: 8, classes: 2)
    }

    func config() -> CGANConfig {
        var c = CGANConfig()
        (c.batch, c.latent, c.generatorWidth, c.discriminatorWidth, c.lrG, c.lrD) = (16, 8, 8, 4, 2e-3, 2e-3)
        return c
    }

    @Test func stepsAreFiniteAndDeterministic() {
        let a = CGANTrainer(config: config(), data: toyData()), b = CGANTrainer(config: config(), data: toyData())
        for _ in 0..<5 {
            let sa = a.trainStep(), sb = b.trainStep()
            #expect(sa == sb)
            #expect(sa.dLoss.isFinite && sa.gLoss.isFinite)
        }
        #expect(a.step == 5)
        #expect(a.sample(labels: [0, 1]).shape == [2, 1, 8, 8])
        #expect(a.discriminator.parameters.allSatisfy { $0.grad == nil }, "the generator step leaves no gradient in D")
    }

    @Test func discriminatorLearnsToSeparateRealFromFake() {
        // With the generator's steps, D's hinge loss must fall below its starting value of about 2.
        let t = CGANTrainer(config: config(), data: toyData())
        let first = t.trainStep()
        var last = first
        for _ in 0..<60 { last = t.trainStep() }
        #expect(last.realScore > last.fakeScore, "D(real) \(last.realScore) vs D(fake) \(last.fakeScore)")
        #expect(first.dLoss > 1.5)
    }
}
