/// The DAFL generator conditioned on a continuous label, as CcGAN conditions its generator: the three
/// affine batch norms become `EmbeddedBatchNorm`s fed by the label embedding h = y2h(y). Linear and
/// convolutions are the DAFL generator's, so DAFL and both cGAN-KD settings share one image path.
///
/// The frozen label embedding travels inside the model (names `y2h.main.*`), so a saved generator
/// samples for a label on its own. Labels are normalised to [0, 1].
/// ```swift
/// let g = ContinuousConditionalGenerator(embedding: y2h, latent: 100, width: 64, rng: &rng)
/// let images = g.sample(labels: [0, 0.5, 1], rng: &rng)      // [3, 1, 32, 32]
/// ```
public final class ContinuousConditionalGenerator: Model {
    public let generator: Generator
    public let norms: [EmbeddedBatchNorm]
    public let embedding: LabelEmbedding

    public init(embedding: LabelEmbedding, latent: Int = 100, width: Int = 64, channels: Int = 1, imageSize: Int = 32, rng: inout RNG) {
        self.embedding = embedding
        generator = Generator(latent: latent, width: width, channels: channels, imageSize: imageSize, rng: &rng)
        let e = embedding.dimension
        norms = [EmbeddedBatchNorm(width, embedding: e, rng: &rng), EmbeddedBatchNorm(width, embedding: e, eps: 0.8, rng: &rng),
                 EmbeddedBatchNorm(width / 2, embedding: e, eps: 0.8, rng: &rng)]
    }

    public var latent: Int { generator.latent }
    public var imageSide: Int { generator.initSize * 4 }

    public var layers: [(String, Layer)] {
        let g = generator
        return [("l1.0", g.l1), ("conv_blocks0.0", norms[0]), ("conv_blocks1.0", g.conv1), ("conv_blocks1.1", norms[1]),
                ("conv_blocks2.0", g.conv2), ("conv_blocks2.1", norms[2]), ("conv_blocks2.3", g.conv3), ("conv_blocks2.5", g.bn3)]
            + embedding.layers.map { ("y2h.\($0.0)", $0.1) }
    }

    /// The tensors the generator's optimizer updates (the label embedding stays as it was learned).
    public var trainableParameters: [Tensor] {
        let frozen = Set(embedding.parameters.map { ObjectIdentifier($0) })
        return parameters.filter { !frozen.contains(ObjectIdentifier($0)) }
    }

    public var metadata: [String: String] {
        var m = generator.metadata
        m["arch"] = "dafl-ccgenerator"
        m["dim_embed"] = String(embedding.dimension)
        return m
    }

    /// Images for noise z [N, latent] and label embeddings h [N, E].
    public func callAsFunction(_ z: Tensor, embedded h: Tensor) -> Tensor {
        precondition(z.rank == 2 && h.rank == 2 && z.shape[0] == h.shape[0], "noise \(z.shape) for embeddings \(h.shape)")
        let g = generator, n = z.shape[0]
        var x = g.l1(z).reshaped([n, g.width, g.initSize, g.initSize])
        x = Tensor.upsampleConv3x3(norms[0](x, embedded: h), weight: g.conv1.weight, bias: g.conv1.bias)
        x = norms[1](x, embedded: h).leakyRelu(slope: 0.2)
        x = Tensor.upsampleConv3x3(x, weight: g.conv2.weight, bias: g.conv2.bias)
        x = norms[2](x, embedded: h).leakyRelu(slope: 0.2)
        return g.finish(g.conv3(x))
    }

    public func callAsFunction(_ z: Tensor, labels: [Float]) -> Tensor { self(z, embedded: embedding(labels)) }

    /// Images for normalised `labels` from fresh N(0, 1) noise, without recording a graph.
    public func sample(labels: [Float], rng: inout RNG) -> Tensor {
        let z = Tensor(shape: [labels.count, latent], data: rng.normal(count: labels.count * latent))
        return GradMode.noGrad { self(z, labels: labels) }
    }
}
