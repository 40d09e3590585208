/// The DAFL generator conditioned on a class, for cGAN-KD, so both papers share one image path.
///
/// Two ways to condition (metadata `conditioning`):
/// - `noise`: the noise is multiplied by a learned embedding of the label before the first layer (as
///   PyTorch-GAN's cGAN); everything after is the DAFL generator unchanged. Names: the generator's plus
///   `label_emb.weight`.
/// - `batchnorm`: the three affine batch norms become class-conditional ones (γ, β looked up per label,
///   as SNGAN's and BigGAN's generators); linear and convolutions are the DAFL generator's. Names: the
///   generator's, with `gamma.weight`/`beta.weight` in place of each conditioned norm's `weight`/`bias`.
/// ```swift
/// let g = ConditionalGenerator(classes: 10, latent: 100, width: 64, conditioning: .batchNorm, rng: &rng)
/// let images = g(noise, labels: [0, 7, 7])      // [3, 1, 32, 32]
/// ```
public final class ConditionalGenerator: Model {
    public enum Conditioning: String, Sendable, CaseIterable { case noise, batchNorm = "batchnorm" }

    public let classes: Int
    public let conditioning: Conditioning
    public let labelEmbedding: Embedding
    /// The DAFL generator; with `batchNorm` conditioning its bn0–bn2 are replaced by `conditionalNorms`.
    public let generator: Generator
    public let conditionalNorms: [ConditionalBatchNorm]

    public init(classes: Int, latent: Int = 100, width: Int = 64, channels: Int = 1, imageSize: Int = 32,
                conditioning: Conditioning = .noise, rng: inout RNG) {
        self.classes = classes
        self.conditioning = conditioning
        labelEmbedding = Embedding(classes, latent, rng: &rng)
        generator = Generator(latent: latent, width: width, channels: channels, imageSize: imageSize, rng: &rng)
        conditionalNorms = conditioning == .batchNorm
            ? [ConditionalBatchNorm(width, classes: classes), ConditionalBatchNorm(width, classes: classes, eps: 0.8),
               ConditionalBatchNorm(width / 2, classes: classes, eps: 0.8)]
            : []
    }

    public var latent: Int { generator.latent }

    public var layers: [(String, Layer)] {
        switch conditioning {
        case .noise:
            return [("label_emb", labelEmbedding)] + generator.layers
        case .batchNorm:
            let g = generator
            return [("l1.0", g.l1), ("conv_blocks0.0", conditionalNorms[0]), ("conv_blocks1.0", g.conv1),
                    ("conv_blocks1.1", conditionalNorms[1]), ("conv_blocks2.0", g.conv2), ("conv_blocks2.1", conditionalNorms[2]),
                    ("conv_blocks2.3", g.conv3), ("conv_blocks2.5", g.bn3)]
        }
    }

    public var metadata: [String: String] {
        var m = generator.metadata
        m["arch"] = "dafl-cgenerator"
        m["num_classes"] = String(classes)
        m["conditioning"] = conditioning.rawValue
        return m
    }

    public func callAsFunction(_ z: Tensor, labels: [Int]) -> Tensor { forward(z, labels: labels).images }

    /// Images for `labels` from noise, with their drive (`Generator.finishWithDrive`).
    public func forward(_ z: Tensor, labels: [Int]) -> (images: Tensor, drive: Tensor?) {
        precondition(z.rank == 2 && z.shape[0] == labels.count, "noise \(z.shape) for \(labels.count) labels")
        guard conditioning == .batchNorm else { return generator.forward(z * labelEmbedding(labels)) }
        let g = generator, n = z.shape[0]
        var h = g.l1(z).reshaped([n, g.width, g.initSize, g.initSize])
        h = Tensor.upsampleConv3x3(conditionalNorms[0](h, labels: labels), weight: g.conv1.weight, bias: g.conv1.bias)
        h = conditionalNorms[1](h, labels: labels).leakyRelu(slope: 0.2)
        h = Tensor.upsampleConv3x3(h, weight: g.conv2.weight, bias: g.conv2.bias)
        h = conditionalNorms[2](h, labels: labels).leakyRelu(slope: 0.2)
        return g.finishWithDrive(g.conv3(h))
    }

    /// Starts the conditioning afresh: a new N(0, 1) embedding (`noise`, one draw per entry) or plain batch
    /// norms (`batchnorm`: γ = 1, β = 0, running statistics as new; no draw). The generator's own layers are untouched.
    public func resetConditioning(rng: inout RNG) {
        switch conditioning {
        case .noise:
            labelEmbedding.weight.data = rng.normal(count: labelEmbedding.weight.count)
        case .batchNorm:
            for cbn in conditionalNorms {
                let fresh = ConditionalBatchNorm(cbn.gamma.shape[1], classes: classes, eps: cbn.norm.eps)
                for ((_, mine), (_, new)) in zip(cbn.parameters + cbn.buffers, fresh.parameters + fresh.buffers) { mine.data = new.data }
            }
        }
    }

    /// Images for `labels` from fresh N(0, 1) noise, without recording a graph: how every stage samples.
    public func sample(labels: [Int], rng: inout RNG) -> Tensor {
        let z = Tensor(shape: [labels.count, latent], data: rng.normal(count: labels.count * latent))
        return GradMode.noGrad { self(z, labels: labels) }
    }
}
