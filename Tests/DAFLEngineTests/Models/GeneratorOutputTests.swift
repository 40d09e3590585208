import Foundation
import Testing
@testable import DAFLEngine

/// The generator's `grey` output (tanh mapped onto the grey levels a picture holds) and `linear` output
/// (the batch norm without the tanh).
@Suite struct GeneratorOutputTests {
    static let (black, white): (Float, Float) = (-0.81, 2.02)

    @Test func greyImagesStayBetweenBlackAndWhite() {
        var rng = RNG(seed: 4)
        let g = Generator(latent: 8, width: 8, channels: 1, imageSize: 8, rng: &rng)
        g.output = .grey(black: Self.black, white: Self.white)
        let x = GradMode.noGrad { g(Tensor(shape: [6, 8], data: rng.normal(count: 48))) }
        #expect(x.shape == [6, 1, 8, 8])
        #expect(x.data.allSatisfy { $0 >= Self.black && $0 <= Self.white })
        // Not standardised over the batch, as the reference's batch norm would make it.
        let mean = x.data.reduce(0, +) / Float(x.count)
        #expect(Swift.abs(mean) > 1e-3 || x.data.contains { $0 > 1.5 })
    }

    @Test func greyOutputGradientMatchesFiniteDifferences() {
        var rng = RNG(seed: 1)
        let g = Generator(latent: 4, width: 4, channels: 1, imageSize: 4, rng: &rng)
        g.output = .grey(black: Self.black, white: Self.white)
        gradCheck([randn([2, 1, 4, 4], seed: 3)]) { g.finish($0[0]) }
    }

    /// `linear`: the batch norm standardises the last convolution's output itself, so a pixel can leave tanh's
    /// two levels; it is the reference's output with the tanh taken out.
    @Test func linearImagesAreTheBatchNormOfTheConvolution() {
        var rng = RNG(seed: 5)
        let g = Generator(latent: 8, width: 8, channels: 1, imageSize: 8, rng: &rng)
        let h = randn([6, 1, 8, 8], seed: 9) * 4
        g.output = .linear
        let x = GradMode.noGrad { g.finish(h) }
        // Standardised over the batch: mean 0, variance 1 (the reference's eps 1e-5 aside).
        let mean = x.data.reduce(0, +) / Float(x.count), variance = x.data.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(x.count)
        #expect(Swift.abs(mean) < 1e-4 && Swift.abs(variance - 1) < 1e-3)
        // The same ranks as the input, with no tanh between: the largest pre-activation stays the largest by its margin.
        let hm = h.data.reduce(0, +) / Float(h.count), hs = (h.data.map { ($0 - hm) * ($0 - hm) }.reduce(0, +) / Float(h.count)).squareRoot()
        for (a, b) in zip(x.data, h.data) { #expect(Swift.abs(a - (b - hm) / hs) < 1e-3) }
        g.output = .batchNorm
        #expect(GradMode.noGrad { g.finish(h) }.data != x.data)
        gradCheck([randn([2, 1, 4, 4], seed: 3)]) { g.output = .linear; return g.finish($0[0]) }
        #expect(Generator.output(metadata: ["output": "linear"]) == .linear)
        g.output = .linear
        #expect(g.metadata["output"] == "linear" && Generator.output(metadata: g.metadata) == .linear)
    }

    @Test func theOutputIsSavedInTheMetadataAndReadBack() throws {
        var rng = RNG(seed: 2)
        let c = ConditionalGenerator(classes: 3, latent: 6, width: 8, rng: &rng)
        c.generator.output = .grey(black: Self.black, white: Self.white)
        #expect(Generator.output(metadata: c.metadata) == .grey(black: Self.black, white: Self.white))
        #expect(Generator.output(metadata: [:]) == .batchNorm)
        for bad in [["output": "sigmoid"], ["output": "grey"], ["output": "grey", "output_black": "1", "output_white": "0"]] {
            #expect(Generator.output(metadata: bad) == nil, "\(bad)")
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cgen-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try ModelFile.save(c, preprocessing: .fashionMNIST, to: url)
        let back = try ModelFile.loadConditionalGenerator(url).model
        #expect(back.generator.output == c.generator.output)
        let z = Tensor(shape: [2, 6], data: rng.normal(count: 12))
        #expect(GradMode.noGrad { back(z, labels: [0, 2]) }.data == GradMode.noGrad { c(z, labels: [0, 2]) }.data)
    }
}
