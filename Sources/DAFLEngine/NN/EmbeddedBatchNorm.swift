/// Batch norm conditioned on a label embedding h (CcGAN's generator): batch statistics without a
/// shared affine, then out = x̂ + γ(h)·x̂ + β(h), where γ(h) = h·W_γᵀ and β(h) = h·W_βᵀ are bias-free
/// linear maps of the embedding. With W = 0 it is a plain batch norm.
///
/// Names: the batch norm's buffers, `embed_gamma.weight` and `embed_beta.weight` [C, E] (PyTorch's
/// `nn.Linear(E, C, bias=False)`, initialised as it is).
/// ```swift
/// let cbn = EmbeddedBatchNorm(64, embedding: 128, eps: 0.8, rng: &rng)
/// let y = cbn(x, embedded: h)          // x: [N, 64, H, W], h: [N, 128]
/// ```
public final class EmbeddedBatchNorm: Layer {
    public let norm: BatchNorm
    public let gamma: Tensor, beta: Tensor

    public init(_ channels: Int, embedding: Int, eps: Float = 1e-5, rng: inout RNG) {
        norm = BatchNorm(channels, eps: eps, affine: false)
        gamma = .parameter(shape: [channels, embedding], data: defaultInit(&rng, count: channels * embedding, fanIn: embedding))
        beta = .parameter(shape: [channels, embedding], data: defaultInit(&rng, count: channels * embedding, fanIn: embedding))
    }

    public var parameters: [(String, Tensor)] { [("embed_gamma.weight", gamma), ("embed_beta.weight", beta)] }
    public var buffers: [(String, Tensor)] { norm.buffers }

    public func callAsFunction(_ x: Tensor, embedded h: Tensor) -> Tensor {
        let scale = Tensor.linear(h, weight: gamma, bias: nil) + 1
        return .channelAffine(norm(x), scale: scale, shift: .linear(h, weight: beta, bias: nil))
    }
}
