/// Class-conditional batch norm (as in SNGAN's and BigGAN's generators): batch statistics without a
/// shared affine, then a γ and β looked up per sample from its label.
///
/// Names: the batch norm's buffers, plus `gamma.weight` [classes, C] (initialised to 1) and
/// `beta.weight` (0), so at the start it is a plain batch norm.
/// ```swift
/// let cbn = ConditionalBatchNorm(64, classes: 10, eps: 0.8)
/// let y = cbn(x, labels: labels)
/// ```
public final class ConditionalBatchNorm: Layer {
    public let norm: BatchNorm
    public let gamma: Tensor, beta: Tensor

    public init(_ channels: Int, classes: Int, eps: Float = 1e-5) {
        norm = BatchNorm(channels, eps: eps, affine: false)
        gamma = .parameter(shape: [classes, channels], data: [Float](repeating: 1, count: classes * channels))
        beta = .parameter(shape: [classes, channels], data: [Float](repeating: 0, count: classes * channels))
    }

    public var parameters: [(String, Tensor)] { [("gamma.weight", gamma), ("beta.weight", beta)] }
    public var buffers: [(String, Tensor)] { norm.buffers }

    public func callAsFunction(_ x: Tensor, labels: [Int]) -> Tensor {
        .channelAffine(norm(x), scale: .embedding(labels, weight: gamma), shift: .embedding(labels, weight: beta))
    }
}
