/// CcGAN's label embedding y → h (Ding et al., ICLR 2021, "improved label input"): an MLP from a
/// label normalised to [0, 1] to an E-dimensional vector, trained so that a fixed regression head
/// h → y reads the label back (`EmbeddingRegressor.h2y`). Generator and discriminator both take h.
///
/// Layout as the reference's `model_y2h` (nn.Sequential indices): four blocks of Linear → GroupNorm(8)
/// → ReLU (1→E, then E→E), then Linear(E→E) → ReLU, so h ≥ 0 like the features h2y was trained on.
/// ```swift
/// let y2h = LabelEmbedding(dimension: 128, rng: &rng)
/// let h = y2h([0.25, 0.5])          // [2, 128]
/// ```
public final class LabelEmbedding: Model {
    public let dimension: Int
    public let linears: [Linear]
    public let norms: [GroupNorm]

    public init(dimension: Int = 128, rng: inout RNG) {
        // GroupNorm(8) over groups of one feature would normalise every label to the same vector.
        precondition(dimension % 8 == 0 && dimension >= 16, "the label embedding's GroupNorm(8) needs a dimension of 16, 24, 32, …")
        self.dimension = dimension
        linears = (0..<5).map { Linear($0 == 0 ? 1 : dimension, dimension, rng: &rng) }
        norms = (0..<4).map { _ in GroupNorm(groups: 8, channels: dimension) }
    }

    public var layers: [(String, Layer)] {
        var out: [(String, Layer)] = []
        for i in 0..<4 { out += [("main.\(3 * i)", linears[i]), ("main.\(3 * i + 1)", norms[i])] }
        return out + [("main.12", linears[4])]
    }

    public var metadata: [String: String] { ["arch": "ccgan-y2h", "dim_embed": String(dimension)] }

    /// h for labels in [0, 1] as a [N, 1] tensor (graph recorded, so y2h can be trained).
    public func callAsFunction(_ y: Tensor) -> Tensor {
        var h = y + 1e-8   // as the reference: a label of exactly 0 still moves the first layer's input
        for i in 0..<4 { h = norms[i](linears[i](h)).relu() }
        return linears[4](h).relu()
    }

    /// h for labels in [0, 1], without a graph: how generator and discriminator read their labels.
    public func callAsFunction(_ labels: [Float]) -> Tensor {
        GradMode.noGrad { self(Tensor(shape: [labels.count, 1], data: labels)) }
    }
}

/// The network CcGAN's label embedding is learned from: images → h (a LeNet-5 trunk whose last layer
/// has E outputs, then ReLU) → y (`h2y`: Linear(E → 1) then ReLU, as the reference's ResNet-34 embedding
/// net ends). Trained as a regressor on normalised labels; then h2y, frozen, teaches `LabelEmbedding`.
/// ```swift
/// let net = EmbeddingRegressor(dimension: 128, rng: &rng)
/// let (y, h) = net.forwardWithEmbedding(images)      // [N, 1], [N, 128]
/// ```
public final class EmbeddingRegressor: Model {
    public let x2h: LeNet5
    public let h2y: Linear

    public init(dimension: Int = 128, channels: Int = 1, rng: inout RNG) {
        x2h = LeNet5(.full, classes: dimension, inChannels: channels, rng: &rng)
        h2y = Linear(dimension, 1, rng: &rng)
    }

    public var layers: [(String, Layer)] { x2h.layers.map { ("x2h.\($0.0)", $0.1) } + [("h2y.0", h2y)] }
    public var metadata: [String: String] { ["arch": "ccgan-embed", "dim_embed": String(h2y.weight.shape[1])] }

    public func forwardWithEmbedding(_ x: Tensor) -> (y: Tensor, h: Tensor) {
        let h = x2h(x).relu()
        return (h2y(h).relu(), h)
    }

    /// The predicted normalised labels, [N].
    public func callAsFunction(_ x: Tensor) -> Tensor { forwardWithEmbedding(x).y.reshaped([x.shape[0]]) }
}
