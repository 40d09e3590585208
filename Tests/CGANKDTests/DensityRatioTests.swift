import DAFLEngine
import Foundation
import Testing
@testable import CGANKD

@Suite struct DensityRatioTests {
    @Test func penalisedSPLossByHand() {
        let rf: [Float] = [0.5, 2, 0], rr: [Float] = [1.5, 0.2]
        func sig(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        let f = rf.map(Double.init), r = rr.map(Double.init)
        let sp = f.map { sig($0) * $0 }.reduce(0, +) / 3 - f.map { log(1 + exp($0)) }.reduce(0, +) / 3 - r.map(sig).reduce(0, +) / 2
        let pen = 0.01 * pow(f.reduce(0, +) / 3 - 1, 2)
        let got = DensityRatioLoss.penalisedSP(fake: Tensor(shape: [3], data: rf), real: Tensor(shape: [2], data: rr)).item
        #expect(abs(Double(got) - (sp + pen)) < 1e-6)
    }

    @Test func subsamplingAcceptsInProportionToTheRatio() {
        var rng = RNG(seed: 2)
        let g = ConditionalGenerator(classes: 4, latent: 8, width: 8, rng: &rng)
        let t = LeNet5(.half, classes: 4, rng: &rng)
        // Every other sample of a batch has ratio 1, the rest 0.25: acceptance 1 and 0.25, on average 0.625.
        let ratio: (Tensor, [Int]) -> [Float] = { _, y in y.indices.map { $0 % 2 == 0 ? 1 : 0.25 } }
        var r = RNG(seed: 3)
        let (set, stats, _) = FakeSet.build(generator: g, teacher: t, perClass: 200, rho: nil, relabel: false, ratio: ratio,
                                         subsampleBurnIn: 50, batch: 100, rng: &r)
        #expect(set.count == 800 && stats.kept == [200, 200, 200, 200])
        #expect(stats.maxRatios == [1, 1, 1, 1])
        for a in stats.acceptanceRates { #expect(abs(a - 0.625) < 0.08, "acceptance \(a)") }
        #expect(stats.keepRates.allSatisfy { $0 == 1 })
    }

    @Test func trainedRatiosAreHigherOnRealThanOnGeneratedImages() {
        var rng = RNG(seed: 7)
        // Real: bright upper or lower half by class; the untrained generator draws something else.
        var images: [Float] = [], labels: [Int] = []
        for i in 0..<128 {
            labels.append(i % 2)
            for row in 0..<32 { for _ in 0..<32 { images.append((row < 16) == (i % 2 == 0) ? 2 : -0.8) } }
        }
        let real = Dataset(images: images, labels: labels, side: 32, classes: 2)
        let g = ConditionalGenerator(classes: 2, latent: 8, width: 8, rng: &rng)
        let t = LeNet5(.half, classes: 2, rng: &rng)
        let dr = DensityRatioMLP(features: 60, classes: 2, widths: [64, 32], dropout: 0, rng: &rng)
        var losses: [Float] = []
        DensityRatioTraining.train(dr, teacher: t, generator: g, real: real, epochs: 30, batch: 32, lr: 2e-3, rng: &rng,
                                   onEpoch: { _, l in losses.append(l) })
        #expect(losses.last! < losses.first!, "loss \(losses.first!) → \(losses.last!)")
        let (xr, yr) = real.batch(Array(0..<64)[...])
        let z = Tensor(shape: [64, 8], data: rng.normal(count: 512))
        let xf = GradMode.noGrad { g(z, labels: yr) }
        let onReal = DensityRatioTraining.ratios(dr, teacher: t, images: xr, labels: yr).reduce(0, +) / 64
        let onFake = DensityRatioTraining.ratios(dr, teacher: t, images: xf, labels: yr).reduce(0, +) / 64
        #expect(onReal > onFake, "mean ratio on real \(onReal), on generated \(onFake)")
    }
}
