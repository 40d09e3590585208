import Foundation
import Testing
@testable import DAFLEngine

/// The generator's `grey` output: tanh mapped onto the grey levels a picture holds.
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
