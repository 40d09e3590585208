/// Batch normalisation for [N, C] or [N, C, H, W] (PyTorch's `nn.BatchNorm1d`/`nn.BatchNorm2d`).
///
/// In training mode it normalises with batch statistics and updates the running ones;
/// in evaluation mode it uses the running ones.
/// ```swift
/// let bn = BatchNorm(128, eps: 0.8)      // the DAFL generator's quirk: 0.8 passed as eps
/// let y = bn(x)
/// ```
public final class BatchNorm: Layer {
    public let weight: Tensor?
    public let bias: Tensor?
    public let runningMean: Tensor
    public let runningVar: Tensor
    /// Batches seen in training mode (PyTorch keeps it as int64).
    public let numBatchesTracked: Tensor
    public let eps: Float
    public let momentum: Float
    public var training = true

    public init(_ channels: Int, eps: Float = 1e-5, momentum: Float = 0.1, affine: Bool = true) {
        weight = affine ? .parameter(shape: [channels], data: [Float](repeating: 1, count: channels)) : nil
        bias = affine ? .parameter(shape: [channels], data: [Float](repeating: 0, count: channels)) : nil
        runningMean = Tensor(zeros: [channels])
        runningVar = Tensor(shape: [channels], data: [Float](repeating: 1, count: channels))
        numBatchesTracked = Tensor(zeros: [])
        self.eps = eps
        self.momentum = momentum
    }

    public var parameters: [(String, Tensor)] {
        [weight.map { ("weight", $0) }, bias.map { ("bias", $0) }].compactMap { $0 }
    }

    public var buffers: [(String, Tensor)] {
        [("running_mean", runningMean), ("running_var", runningVar), ("num_batches_tracked", numBatchesTracked)]
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, adding: nil, relu: false) }

    /// `relu(bn(x) + residual)` as one node (either part optional): what a residual block ends with,
    /// without keeping the intermediate activations.
    /// ```swift
    /// let out = bn2(conv2(h), adding: shortcut, relu: true)
    /// ```
    public func callAsFunction(_ x: Tensor, adding residual: Tensor?, relu: Bool) -> Tensor {
        if training { numBatchesTracked.data[0] += 1 }
        return .batchNorm(x, gamma: weight, beta: bias, runningMean: runningMean, runningVar: runningVar,
                          training: training, momentum: momentum, eps: eps, adding: residual, relu: relu)
    }
}
