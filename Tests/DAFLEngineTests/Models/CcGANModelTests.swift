import Testing
@testable import DAFLEngine

/// CcGAN's parts (label embedding, embedding-conditioned batch norm, the generator and projection
/// discriminator for continuous labels, the vicinal hinge loss) against PyTorch and finite differences.
@Suite struct CcGANModelTests {
    @Test func embeddedBatchNormMatchesPyTorch() throws {
        let f = try Fixture("embedded_batchnorm")
        var rng = RNG(seed: 0)
        let bn = EmbeddedBatchNorm(4, embedding: 8, eps: 0.8, rng: &rng)
        bn.gamma.data = f.values("wg")
        bn.beta.data = f.values("wb")
        let x = f.tensor("x", grad: true), h = f.tensor("h", grad: true)
        let y = bn(x, embedded: h)
        expectClose(y.data, f.values("y"), "forward")
        y.backward(seed: f.values("gout"))
        expectClose(x.grad ?? [], f.values("dx"), rtol: 1e-3, atol: 1e-4, "dx")
        expectClose(h.grad ?? [], f.values("dh"), "dh")
        expectClose(bn.gamma.grad ?? [], f.values("dwg"), "d embed_gamma")
        expectClose(bn.beta.grad ?? [], f.values("dwb"), "d embed_beta")
    }

    @Test func embeddedBatchNormFiniteDifferences() {
        var rng = RNG(seed: 3)
        let bn = EmbeddedBatchNorm(3, embedding: 4, eps: 0.8, rng: &rng)
        gradCheck([randn([2, 3, 2, 2], seed: 4, scale: 2), randn([2, 4], seed: 5), bn.gamma, bn.beta]) { t in bn(t[0], embedded: t[1]) }
    }

    @Test func labelEmbeddingMatchesPyTorch() throws {
        let f = try Fixture("label_embedding")
        var rng = RNG(seed: 0)
        let y2h = LabelEmbedding(dimension: 16, rng: &rng)
        let names = y2h.namedParameters.map(\.0)
        #expect(Set(names) == Set(f.file.tensors.keys.filter { $0.hasPrefix("main.") }), "state_dict names differ from the reference's")
        try y2h.load(stateDict: f.file.tensors.filter { $0.key.hasPrefix("main.") }.mapValues { ($0.shape, $0.values) }, source: "fixture")
        let y = Tensor(shape: [6, 1], data: f.values("y"), requiresGrad: true)
        let h = y2h(y)
        expectClose(h.data, f.values("h"), "h")
        h.backward(seed: f.values("gout"))
        expectClose(y.grad ?? [], f.values("dy"), rtol: 1e-3, atol: 1e-4, "dy")
        for (name, p) in y2h.namedParameters {
            expectClose(p.grad ?? [], f.values("grad." + name), rtol: 1e-3, atol: 1e-4, "d\(name)")
        }
        #expect(h.data.allSatisfy { $0 >= 0 }, "h ends in a ReLU")
    }

    @Test func labelEmbeddingFiniteDifferences() {
        var rng = RNG(seed: 8)
        let y2h = LabelEmbedding(dimension: 16, rng: &rng)
        // The labels, the first and last layers' weights; a small step keeps clear of the ReLUs' kinks.
        gradCheck([Tensor(shape: [5, 1], data: [0.1, 0.3, 0.5, 0.7, 0.9]), y2h.linears[0].weight, y2h.linears[4].weight],
                  h: 1e-3, rtol: 5e-2, atol: 5e-3) { t in y2h(t[0]) }
    }

    @Test func vicinalHingeMatchesPyTorch() throws {
        let f = try Fixture("vicinal_hinge")
        let real = f.tensor("real", grad: true), fake = f.tensor("fake", grad: true)
        let d = GANLoss.discriminatorHinge(real: real, fake: fake, realWeights: f.values("wr"), fakeWeights: f.values("wf"))
        expectClose(d.data, f.values("d"), "loss")
        d.backward()
        expectClose(real.grad ?? [], f.values("dreal"), "dreal")
        expectClose(fake.grad ?? [], f.values("dfake"), "dfake")
        // Unit weights are the plain hinge loss.
        let plain = GANLoss.discriminatorHinge(real: f.tensor("real"), fake: f.tensor("fake"))
        let ones = [Float](repeating: 1, count: 7)
        #expect(abs(GANLoss.discriminatorHinge(real: f.tensor("real"), fake: f.tensor("fake"), realWeights: ones, fakeWeights: ones).item - plain.item) < 1e-6)
    }

    @Test func vicinalHingeFiniteDifferences() {
        let wr: [Float] = [0.2, 1, 0.5, 0.7, 0.9], wf: [Float] = [1, 0.3, 0.6, 0.1, 0.8]
        gradCheck([randn([5], seed: 11, scale: 3), randn([5], seed: 12, scale: 3)]) { t in
            GANLoss.discriminatorHinge(real: t[0], fake: t[1], realWeights: wr, fakeWeights: wf)
        }
    }

    @Test func continuousGeneratorAndDiscriminator() {
        var rng = RNG(seed: 1)
        let y2h = LabelEmbedding(dimension: 16, rng: &rng)
        let g = ContinuousConditionalGenerator(embedding: y2h, latent: 6, width: 8, rng: &rng)
        let d = ProjectionDiscriminator(embedding: 16, width: 4, rng: &rng)
        let x = g.sample(labels: [0, 0.5, 1], rng: &rng)
        #expect(x.shape == [3, 1, 32, 32])
        let scores = d(x, embedded: y2h([0, 0.5, 1]))
        #expect(scores.shape == [3] && scores.data.allSatisfy(\.isFinite))
        // The label embedding is carried (saved) but not trained.
        let names = g.namedParameters.map(\.0)
        #expect(names.contains("y2h.main.0.weight") && names.contains("conv_blocks0.0.embed_gamma.weight"))
        #expect(g.trainableParameters.count == g.parameters.count - y2h.parameters.count)
        #expect(d.namedParameters.map(\.0).contains("embed.weight") && d.metadata["dim_embed"] == "16")
        // The label changes the image for the same noise (and the embedding tells labels apart).
        #expect(zip(y2h([0.1]).data, y2h([0.9]).data).contains { abs($0 - $1) > 1e-3 })
        let z = randn([2, 6], seed: 2)
        let a = GradMode.noGrad { g(z, labels: [0.1, 0.9]) }, b = GradMode.noGrad { g(z, labels: [0.9, 0.1]) }
        #expect(zip(a.data, b.data).contains { abs($0 - $1) > 1e-4 })
    }

    @Test func projectionOnEmbeddingsFiniteDifferences() {
        var rng = RNG(seed: 4)
        let d = ProjectionDiscriminator(embedding: 8, width: 2, rng: &rng)
        let x = randn([2, 1, 32, 32], seed: 5)
        for n in [d.conv1.norm, d.conv2.norm, d.conv3.norm, d.linear.norm] { n.training = false }   // no power step between evaluations
        // d(x, h) is linear in h: exact finite differences.
        gradCheck([randn([2, 8], seed: 6), d.embedLinear!.weight]) { t in d(x, embedded: t[0]) }
    }
}
