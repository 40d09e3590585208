/// A small class-conditional discriminator with a projection head (Miyato & Koyama 2018), the
/// kind SNGAN/BigGAN use and cGAN-KD trains with: score(x, y) = w·φ(x) + b + ⟨embed(y), φ(x)⟩.
///
/// φ: three 4×4 stride-2 convolutions (1→w→2w→4w channels, 32→16→8→4 pixels) with LeakyReLU(0.2),
/// summed over the remaining 4×4 positions. Convolutions and the linear head are spectrally
/// normalised (SNGAN), which keeps the discriminator from overpowering the generator; no batch norm,
/// so a sample's score never depends on the rest of its batch.
/// ```swift
/// let d = ProjectionDiscriminator(classes: 10, width: 32, rng: &rng)
/// let scores = d(images, labels: labels)          // [N]
/// ```
/// For a continuous label (CcGAN), the class table gives way to a bias-free linear map of the label
/// embedding h: score(x, h) = w·φ(x) + b + ⟨W h, φ(x)⟩, `embed.weight` [4w, E] (`init(embedding:)`).
public final class ProjectionDiscriminator: Model {
    public let classes, width: Int
    public let conv1, conv2, conv3: SNConv2d
    public let linear: SNLinear
    /// The class table (class-conditional), or the projection of h (`embedLinear`, continuous): one of them.
    public let embedding: Embedding?
    public let embedLinear: BiasFreeLinear?

    public init(classes: Int, width: Int = 32, channels: Int = 1, rng: inout RNG) {
        self.classes = classes
        self.width = width
        conv1 = SNConv2d(channels, width, kernel: 4, stride: 2, padding: 1, rng: &rng)
        conv2 = SNConv2d(width, 2 * width, kernel: 4, stride: 2, padding: 1, rng: &rng)
        conv3 = SNConv2d(2 * width, 4 * width, kernel: 4, stride: 2, padding: 1, rng: &rng)
        linear = SNLinear(4 * width, 1, rng: &rng)
        embedding = Embedding(classes, 4 * width, rng: &rng)
        embedLinear = nil
    }

    /// A discriminator for continuous labels, taking label embeddings of `embedding` dimensions.
    public init(embedding dimension: Int, width: Int = 32, channels: Int = 1, rng: inout RNG) {
        classes = 0
        self.width = width
        conv1 = SNConv2d(channels, width, kernel: 4, stride: 2, padding: 1, rng: &rng)
        conv2 = SNConv2d(width, 2 * width, kernel: 4, stride: 2, padding: 1, rng: &rng)
        conv3 = SNConv2d(2 * width, 4 * width, kernel: 4, stride: 2, padding: 1, rng: &rng)
        linear = SNLinear(4 * width, 1, rng: &rng)
        embedding = nil
        embedLinear = BiasFreeLinear(dimension, 4 * width, rng: &rng)
    }

    public var layers: [(String, Layer)] {
        [("conv1", conv1), ("conv2", conv2), ("conv3", conv3), ("linear", linear)]
            + (embedding.map { [("embedding", $0 as Layer)] } ?? []) + (embedLinear.map { [("embed", $0 as Layer)] } ?? [])
    }

    public var metadata: [String: String] {
        var m = ["arch": "projection-discriminator", "num_classes": String(classes), "width": String(width),
                 "in_channels": String(conv1.norm.weightOrig.shape[1]), "spectral_norm": "1"]
        if let embedLinear { m["dim_embed"] = String(embedLinear.weight.shape[1]) }
        return m
    }

    /// φ(x): [N, 4·width].
    public func features(_ x: Tensor) -> Tensor {
        let h = conv3(conv2(conv1(x).leakyRelu(slope: 0.2)).leakyRelu(slope: 0.2)).leakyRelu(slope: 0.2)
        let n = h.shape[0], c = h.shape[1]
        return h.reshaped([n &* c, h.count / (n &* c)]).sumRows().reshaped([n, c])
    }

    public func callAsFunction(_ x: Tensor, labels: [Int]) -> Tensor {
        guard let embedding else { preconditionFailure("a continuous-label discriminator takes embeddings, not classes") }
        return score(features(x), projection: embedding(labels))
    }

    /// Scores for images and label embeddings h [N, E] (continuous labels).
    public func callAsFunction(_ x: Tensor, embedded h: Tensor) -> Tensor {
        guard let embedLinear else { preconditionFailure("a class-conditional discriminator takes classes, not embeddings") }
        return score(features(x), projection: embedLinear(h))
    }

    func score(_ phi: Tensor, projection: Tensor) -> Tensor {
        linear(phi).reshaped([phi.shape[0]]) + (projection * phi).sumRows()
    }
}
