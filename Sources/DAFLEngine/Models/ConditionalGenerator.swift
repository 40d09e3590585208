/// The DAFL generator conditioned on a class, for cGAN-KD: the noise is multiplied by a learned
/// embedding of the label before the generator's first layer (as PyTorch-GAN's cGAN does), and
/// everything after is the DAFL generator unchanged, so both papers share one image path.
///
/// State-dict names are the generator's plus `label_emb.weight`.
/// ```swift
/// let g = ConditionalGenerator(classes: 10, latent: 100, width: 64, rng: &rng)
/// let images = g(noise, labels: [0, 7, 7])      // [3, 1, 32, 32]
/// ```
public final class ConditionalGenerator: Model {
    public let classes: Int
    public let labelEmbedding: Embedding
    public let generator: Generator

    public init(classes: Int, latent: Int = 100, width: Int = 64, channels: Int = 1, imageSize: Int = 32, rng: inout RNG) {
        self.classes = classes
        labelEmbedding = Embedding(classes, latent, rng: &rng)
        generator = Generator(latent: latent, width: width, channels: channels, imageSize: imageSize, rng: &rng)
    }

    public var latent: Int { generator.latent }

    public var layers: [(String, Layer)] { [("label_emb", labelEmbedding)] + generator.layers }

    public var metadata: [String: String] {
        var m = generator.metadata
        m["arch"] = "dafl-cgenerator"
        m["num_classes"] = String(classes)
        return m
    }

    public func callAsFunction(_ z: Tensor, labels: [Int]) -> Tensor {
        precondition(z.rank == 2 && z.shape[0] == labels.count, "noise \(z.shape) for \(labels.count) labels")
        return generator(z * labelEmbedding(labels))
    }
}
