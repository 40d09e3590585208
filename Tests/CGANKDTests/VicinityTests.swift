import DAFLEngine
import Foundation
import Testing
@testable import CGANKD

/// CcGAN's vicinity: the reference's rule of thumb and what a drawn batch may contain.
@Suite struct VicinityTests {
    /// 11 distinct labels 0, 0.1, …, 1, three images each.
    static let labels: [Float] = (0..<33).map { Float($0 % 11) / 10 }

    @Test func ruleOfThumb() {
        let v = Vicinity(labels: Self.labels, kind: .soft)
        let n = Float(Self.labels.count), mean = Self.labels.reduce(0, +) / n
        let std = (Self.labels.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
        #expect(abs(v.sigma - 1.06 * std * pow(n, -0.2)) < 1e-6)
        #expect(abs(v.kappa - 0.2) < 1e-6, "κ = 2 × the largest gap, 0.1")
        #expect(abs(v.nu - 25) < 1e-3)
        #expect(abs(v.radius - (log(1000) / 25).squareRoot()) < 1e-5, "where exp(−ν d²) falls to 1e-3")
        #expect(Vicinity(labels: Self.labels, kind: .hard).radius == v.kappa)
        let given = Vicinity(labels: Self.labels, kind: .hard, sigma: 0.01, kappa: 0.05)
        #expect(given.sigma == 0.01 && given.kappa == 0.05)
    }

    @Test func batchesStayInTheirVicinities() {
        for kind in Vicinity.Kind.allCases {
            let v = Vicinity(labels: Self.labels, kind: kind, kappaBase: 1)
            var rng = RNG(seed: 3)
            let b = v.draw(500, rng: &rng)
            #expect(b.realIndices.count == 500 && b.fakeLabels.count == 500)
            for i in 0..<500 {
                let t = b.targets[i], yr = Self.labels[b.realIndices[i]], yf = b.fakeLabels[i]
                #expect(abs(yr - t) <= v.radius + 1e-6, "\(kind): real label \(yr) outside \(t) ± \(v.radius)")
                #expect(yf >= max(0, t - v.radius) - 1e-6 && yf <= min(1, t + v.radius) + 1e-6)
                let expected: (Float, Float) = kind == .hard ? (1, 1) : (exp(-v.nu * (yr - t) * (yr - t)), exp(-v.nu * (yf - t) * (yf - t)))
                #expect(abs(b.realWeights[i] - expected.0) < 1e-5 && abs(b.fakeWeights[i] - expected.1) < 1e-5)
            }
            // Targets are distinct labels plus noise of std σ: spread, not stuck on the grid.
            let offsets = b.targets.map { t in Self.labels.map { abs($0 - t) }.min()! }
            #expect(offsets.contains { $0 > 0.01 })
            var again = RNG(seed: 3)
            #expect(v.draw(500, rng: &again) == b, "seeded draws repeat")
        }
        // A vicinity far narrower than the noise still draws (falling back to the distinct labels).
        let narrow = Vicinity(labels: Self.labels, kind: .hard, sigma: 5, kappa: 1e-7)
        var rng = RNG(seed: 4)
        let b = narrow.draw(20, rng: &rng)
        #expect(b.realIndices.count == 20 && zip(b.realIndices, b.targets).allSatisfy { abs(Self.labels[$0] - $1) <= 1e-6 })
    }
}

/// The shared fake-set pipeline over a regression teacher: label bins, the filter on absolute error, relabelling.
@Suite struct RegressionFakeSetTests {
    func parts() -> (ContinuousConditionalGenerator, LeNet5) {
        var rng = RNG(seed: 2)
        let y2h = LabelEmbedding(dimension: 16, rng: &rng)
        return (ContinuousConditionalGenerator(embedding: y2h, latent: 8, width: 8, rng: &rng), LeNet5(.half, classes: 1, rng: &rng))
    }

    @Test func binsFillFilterAndRelabel() {
        let (g, t) = parts()
        let source = RegressionSampleSource(generator: g, teacher: t, bins: 4)
        #expect(source.group(of: 0) == 0 && source.group(of: 0.26) == 1 && source.group(of: 1) == 3)
        var r1 = RNG(seed: 9), r2 = RNG(seed: 9)
        let plain = FakeSet.process(source, perGroup: 5, rho: 0.5, relabel: false, burnIn: 20, batch: 40, tolerance: 0.25, rng: &r1)
        #expect(plain.stats.kept == [5, 5, 5, 5] && plain.labels.count == 20 && plain.images.count == 20 * 32 * 32)
        #expect(plain.labels == plain.conditioning && plain.labels.allSatisfy { (0...1).contains($0) })
        #expect(plain.stats.thresholds.allSatisfy { $0.isFinite && $0 >= 0 })
        #expect(plain.stats.predicted?.reduce(0, +) == 20)
        // Kept samples are within their bin's cut-off.
        let (scores, readings) = source.score(Tensor(shape: [20, 1, 32, 32], data: plain.images), labels: plain.labels)
        for i in 0..<20 { #expect(scores[i] <= plain.stats.thresholds[source.group(of: plain.labels[i])] + 1e-5) }
        let rate = Double(plain.stats.kept.reduce(0, +)) / Double(plain.stats.accepted.reduce(0, +))
        #expect(rate > 0.2 && rate < 0.8, "keep rate \(rate)")
        // The same draws relabelled take the teacher's readings (clamped to [0, 1]).
        let relabelled = FakeSet.process(source, perGroup: 5, rho: 0.5, relabel: true, burnIn: 20, batch: 40, tolerance: 0.25, rng: &r2)
        #expect(relabelled.images == plain.images && relabelled.conditioning == plain.conditioning)
        #expect(zip(relabelled.labels, readings).allSatisfy { abs($0 - $1) < 1e-5 }, "the teacher's readings (batched differently here)")
        #expect(relabelled.labels.allSatisfy { (0...1).contains($0) })
    }

    @Test func densityRatioOnEmbeddingsTrainsAndSubsamples() {
        let (g, t) = parts()
        var rng = RNG(seed: 1)
        let images = rng.normal(count: 64 * 32 * 32), angles = rng.uniform(count: 64, lo: -45, hi: 45)
        let real = RegressionSet(images: images, targets: angles, range: -45...45, side: 32, unit: "°")
        let dr = DensityRatioMLP(features: t.fc1.weight.shape[1], embedding: 16, widths: [16, 8], rng: &rng)
        var losses: [Float] = []
        DensityRatioTraining.train(dr, teacher: t, generator: g, real: real, epochs: 3, batch: 32, rng: &rng, onEpoch: { _, l in losses.append(l) })
        #expect(losses.count == 3 && losses.allSatisfy(\.isFinite))
        let source = RegressionSampleSource(generator: g, teacher: t, bins: 2)
        let out = FakeSet.process(source, perGroup: 4, rho: nil, relabel: false,
                                  ratio: { x, y in DensityRatioTraining.ratios(dr, teacher: t, generator: g, images: x, labels: y) },
                                  subsampleBurnIn: 20, batch: 20, rng: &rng)
        #expect(out.stats.kept == [4, 4] && out.stats.maxRatios.count == 2 && out.stats.maxRatios.allSatisfy { $0 >= 0 })
        #expect(zip(out.stats.accepted, out.stats.generated).allSatisfy { $0 <= $1 })
    }
}
