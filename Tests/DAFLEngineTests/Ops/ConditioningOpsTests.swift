import Foundation
import Testing
@testable import DAFLEngine

/// The ops class conditioning needs (embedding, per-row sums) and the hinge GAN losses, against
/// PyTorch fixtures and finite differences.
@Suite struct ConditioningOpsTests {
    @Test func embeddingAndProjectionMatchPyTorch() throws {
        let f = try Fixture("embedding")
        let t = f.values("t").map { Int($0) }
        let w = f.tensor("w", grad: true), h = f.tensor("h", grad: true)
        let e = Tensor.embedding(t, weight: w)
        expectClose(e.data, f.values("e"), "embedding forward")
        let y = (e * h).sumRows()
        expectClose(y.data, f.values("y"), "projection forward")
        y.backward(seed: f.values("gout"))
        expectClose(w.grad ?? [], f.values("dw"), "embedding dw (repeated rows add up)")
        expectClose(h.grad ?? [], f.values("dh"), "projection dh")
    }

    @Test func sumRowsMatchesPyTorch() throws {
        let f = try Fixture("sum_rows")
        let x = f.tensor("x", grad: true)
        let y = x.sumRows()
        expectClose(y.data, f.values("y"), "sum_rows forward")
        y.backward(seed: f.values("gout"))
        expectClose(x.grad ?? [], f.values("dx"), "sum_rows dx")
    }

    @Test func hingeLossesMatchPyTorch() throws {
        let f = try Fixture("hinge")
        let real = f.tensor("real", grad: true), fake = f.tensor("fake", grad: true)
        let d = GANLoss.discriminatorHinge(real: real, fake: fake)
        expectClose(d.data, f.values("d"), "hinge D loss")
        d.backward()
        expectClose(real.grad ?? [], f.values("dreal"), "hinge D dreal")
        expectClose(fake.grad ?? [], f.values("dfake"), "hinge D dfake")
        let fake2 = f.tensor("fake", grad: true)
        let g = GANLoss.generatorHinge(fake: fake2)
        expectClose(g.data, f.values("g"), "hinge G loss")
        g.backward()
        expectClose(fake2.grad ?? [], f.values("gfake"), "hinge G dfake")
    }

    @Test func finiteDifferences() {
        let labels = [2, 0, 2, 1]
        gradCheck([randn([3, 5], seed: 60), randn([4, 5], seed: 61)]) {
            (Tensor.embedding(labels, weight: $0[0]) * $0[1]).sumRows()
        }
        gradCheck([randn([4, 7], seed: 62)]) { $0[0].sumRows() }
    }

    @Test func conditionalModelsRunAndNameTheirTensorsLikePyTorch() {
        var rng = RNG(seed: 1)
        let g = ConditionalGenerator(classes: 10, latent: 16, width: 8, rng: &rng)
        let d = ProjectionDiscriminator(classes: 10, width: 8, rng: &rng)
        let labels = [0, 9, 3]
        let x = g(Tensor(shape: [3, 16], data: rng.normal(count: 48)), labels: labels)
        #expect(x.shape == [3, 1, 32, 32])
        let s = d(x, labels: labels)
        #expect(s.shape == [3])
        #expect(g.stateDict.map(\.0).first == "label_emb.weight")
        #expect(Set(d.stateDict.map(\.0)) == Set(["conv1", "conv2", "conv3", "linear"].flatMap { l in
            ["weight_orig", "bias", "weight_u", "weight_v"].map { "\(l).\($0)" } } + ["embedding.weight"]))
        // The label changes the score only through the projection term.
        let other = d(x, labels: [1, 1, 1])
        #expect(s.data != other.data)
    }
}

/// Spectral normalisation against PyTorch's `spectral_norm` (one power iteration, training mode) and
/// finite differences through σ(W).
@Suite struct SpectralNormTests {
    @Test func convMatchesPyTorch() throws {
        let f = try Fixture("spectral_norm_conv")
        var rng = RNG(seed: 0)
        let layer = SNConv2d(3, 4, kernel: 3, stride: 2, padding: 1, rng: &rng)
        layer.norm.weightOrig.data = f.values("w")
        layer.bias.data = f.values("b")
        layer.norm.u.data = f.values("u0")
        layer.norm.v.data = f.values("v0")
        let x = f.tensor("x", grad: true)
        let y = layer(x)
        expectClose(y.data, f.values("y"), "forward")
        expectClose(layer.norm.u.data, f.values("u"), "u after the power iteration")
        expectClose(layer.norm.v.data, f.values("v"), "v after the power iteration")
        y.backward(seed: f.values("gout"))
        expectClose(x.grad ?? [], f.values("dx"), "dx")
        expectClose(layer.norm.weightOrig.grad ?? [], f.values("dw"), "dW through σ")
        expectClose(layer.bias.grad ?? [], f.values("db"), "db")
    }

    @Test func finiteDifferencesThroughSigma() {
        var rng = RNG(seed: 3)
        let norm = SpectralNorm(randn([3, 4], seed: 70), rng: &rng)
        _ = norm.normalized()              // settle u, v so the check sees a fixed power-iteration state
        norm.training = false
        gradCheck([norm.weightOrig]) { _ in norm.normalized() }
    }
}

/// The per-sample affine of class-conditional batch norm, and the generator that uses it.
@Suite struct ConditionalBatchNormTests {
    @Test func channelAffineMatchesPyTorch() throws {
        let f = try Fixture("channel_affine")
        let x = f.tensor("x", grad: true), s = f.tensor("scale", grad: true), b = f.tensor("shift", grad: true)
        let y = Tensor.channelAffine(x, scale: s, shift: b)
        expectClose(y.data, f.values("y"), "forward")
        y.backward(seed: f.values("gout"))
        expectClose(x.grad ?? [], f.values("dx"), "dx")
        expectClose(s.grad ?? [], f.values("dscale"), "dscale")
        expectClose(b.grad ?? [], f.values("dshift"), "dshift")
    }

    @Test func finiteDifferences() {
        let labels = [1, 0, 1]
        gradCheck([randn([3, 2, 2, 3], seed: 80), randn([2, 2], seed: 81), randn([2, 2], seed: 82)]) {
            .channelAffine($0[0], scale: .embedding(labels, weight: $0[1]), shift: .embedding(labels, weight: $0[2]))
        }
    }

    @Test func batchNormConditionedGeneratorStartsAsThePlainOneAndSavesItsNames() throws {
        var r1 = RNG(seed: 5), r2 = RNG(seed: 5)
        let plain = ConditionalGenerator(classes: 4, latent: 8, width: 8, conditioning: .noise, rng: &r1)
        let cbn = ConditionalGenerator(classes: 4, latent: 8, width: 8, conditioning: .batchNorm, rng: &r2)
        // γ = 1 and β = 0 for every class at the start: the label changes nothing yet.
        var rng = RNG(seed: 6)
        let z = Tensor(shape: [4, 8], data: rng.normal(count: 32))
        #expect(cbn(z, labels: [0, 1, 2, 3]).data == cbn(z, labels: [3, 3, 3, 3]).data)
        #expect(plain(z, labels: [0, 1, 2, 3]).shape == cbn(z, labels: [0, 1, 2, 3]).shape)
        let names = Set(cbn.stateDict.map(\.0))
        #expect(names.contains("conv_blocks1.1.gamma.weight") && names.contains("conv_blocks0.0.running_mean"))
        #expect(!names.contains("label_emb.weight") && !names.contains("conv_blocks1.1.weight"))
        // Round trip through a file, with the conditioning in the metadata.
        cbn.conditionalNorms[1].gamma.data[3] = 2.5
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cbn-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try ModelFile.save(cbn, preprocessing: .fashionMNIST, to: url)
        let (back, _) = try ModelFile.loadConditionalGenerator(url)
        #expect(back.conditioning == .batchNorm && back.conditionalNorms[1].gamma.data[3] == 2.5)
    }
}

/// The density-ratio MLP's ops: group norm, sigmoid, softplus, column concatenation, dropout.
@Suite struct DensityRatioOpsTests {
    @Test func groupNormMatchesPyTorch() throws {
        let f = try Fixture("group_norm")
        let x = f.tensor("x", grad: true), w = f.tensor("w", grad: true), b = f.tensor("b", grad: true)
        let y = Tensor.groupNorm(x, groups: 4, weight: w, bias: b)
        expectClose(y.data, f.values("y"), "forward")
        y.backward(seed: f.values("gout"))
        expectClose(x.grad ?? [], f.values("dx"), "dx")
        expectClose(w.grad ?? [], f.values("dw"), "dw")
        expectClose(b.grad ?? [], f.values("db"), "db")
    }

    @Test func sigmoidSoftplusAndConcatMatchPyTorch() throws {
        for (name, op) in [("sigmoid", { (t: Tensor) in t.sigmoid() }), ("softplus", { (t: Tensor) in t.softplus() })] {
            let f = try Fixture(name)
            let x = f.tensor("x", grad: true)
            let y = op(x)
            expectClose(y.data, f.values("y"), "\(name) forward")
            y.backward(seed: f.values("gout"))
            expectClose(x.grad ?? [], f.values("dx"), "\(name) dx")
        }
        let f = try Fixture("concat_columns")
        let a = f.tensor("a", grad: true), b = f.tensor("b", grad: true)
        let y = Tensor.concatColumns(a, b)
        expectClose(y.data, f.values("y"), "concat forward")
        y.backward(seed: f.values("gout"))
        expectClose(a.grad ?? [], f.values("da"), "concat da")
        expectClose(b.grad ?? [], f.values("db"), "concat db")
    }

    @Test func finiteDifferences() {
        gradCheck([randn([3, 8], seed: 90, scale: 2), randn([8], seed: 91), randn([8], seed: 92)]) {
            .groupNorm($0[0], groups: 2, weight: $0[1], bias: $0[2])
        }
        gradCheck([randn([4, 3], seed: 93, scale: 3)]) { $0[0].sigmoid() + $0[0].softplus() }
        gradCheck([randn([2, 3], seed: 94), randn([2, 2], seed: 95)]) { .concatColumns($0[0], $0[1]) }
    }

    @Test func dropoutZeroesAboutPAndKeepsTheMean() {
        var rng = RNG(seed: 12)
        let x = Tensor(shape: [20000], data: [Float](repeating: 1, count: 20000))
        let y = x.dropout(0.5, training: true, rng: &rng)
        let zeros = y.data.filter { $0 == 0 }.count
        #expect(abs(Double(zeros) / 20000 - 0.5) < 0.02)
        #expect(Set(y.data) == [0, 2])
        #expect(x.dropout(0.5, training: false, rng: &rng) === x)
    }
}
