/// Spectral normalisation of a layer's weight (Miyato et al. 2018), as PyTorch's
/// `torch.nn.utils.spectral_norm`: the layer computes with W / σ(W), where σ, the largest singular value
/// of W viewed as [out, rest], comes from one power iteration per training forward; u and v persist
/// between steps. The gradient reaches W through σ = uᵀWv too, with u and v held constant (as PyTorch).
///
/// Tensor names follow PyTorch: `weight_orig` (trained), `weight_u` and `weight_v` (buffers).
/// ```swift
/// let sn = SpectralNorm(Tensor.parameter(shape: [64, 32, 4, 4], data: w), rng: &rng)
/// let y = Tensor.conv2d(x, weight: sn.normalized(), bias: b, stride: 2, padding: 1)
/// ```
public final class SpectralNorm {
    public let weightOrig: Tensor
    public let u: Tensor, v: Tensor
    /// Power iteration runs only in training; evaluation reuses the last u and v.
    public var training = true
    let eps: Float = 1e-12

    public init(_ weight: Tensor, rng: inout RNG) {
        weightOrig = weight
        let rows = weight.shape[0], cols = weight.count / rows
        u = Tensor(shape: [rows], data: Self.normalize(rng.normal(count: rows), eps: 1e-12))
        v = Tensor(shape: [cols], data: Self.normalize(rng.normal(count: cols), eps: 1e-12))
    }

    static func normalize(_ x: [Float], eps: Float) -> [Float] {
        let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return x.map { $0 / Swift.max(norm, eps) }
    }

    /// W / σ(W), after one power-iteration step when training.
    public func normalized() -> Tensor {
        let rows = u.count, cols = v.count
        let w = weightOrig.data
        if training {
            // v ← Wᵀu / ‖Wᵀu‖, then u ← Wv / ‖Wv‖ (PyTorch's order).
            var wtu = [Float](repeating: 0, count: cols)
            for r in 0..<rows { let ur = u.data[r]; for c in 0..<cols { wtu[c] += w[r &* cols &+ c] * ur } }
            v.data = Self.normalize(wtu, eps: eps)
            var wv = [Float](repeating: 0, count: rows)
            for r in 0..<rows { var s: Float = 0; for c in 0..<cols { s += w[r &* cols &+ c] * v.data[c] }; wv[r] = s }
            u.data = Self.normalize(wv, eps: eps)
        }
        var outer = [Float](repeating: 0, count: rows &* cols)
        for r in 0..<rows { for c in 0..<cols { outer[r &* cols &+ c] = u.data[r] * v.data[c] } }
        let sigma = (weightOrig * Tensor(shape: weightOrig.shape, data: outer)).sum()
        return weightOrig * sigma.reciprocal()
    }
}

/// A spectrally normalised 2-D convolution (PyTorch: `spectral_norm(nn.Conv2d(...))`).
public final class SNConv2d: Layer {
    public let norm: SpectralNorm
    public let bias: Tensor
    public let stride: Int, padding: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, rng: inout RNG) {
        let conv = Conv2d(inChannels, outChannels, kernel: kernel, stride: stride, padding: padding, rng: &rng)
        norm = SpectralNorm(conv.weight, rng: &rng)
        bias = conv.bias
        self.stride = stride
        self.padding = padding
    }

    public var parameters: [(String, Tensor)] { [("weight_orig", norm.weightOrig), ("bias", bias)] }
    public var buffers: [(String, Tensor)] { [("weight_u", norm.u), ("weight_v", norm.v)] }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        .conv2d(x, weight: norm.normalized(), bias: bias, stride: stride, padding: padding)
    }
}

/// A spectrally normalised fully connected layer (PyTorch: `spectral_norm(nn.Linear(...))`).
public final class SNLinear: Layer {
    public let norm: SpectralNorm
    public let bias: Tensor

    public init(_ inFeatures: Int, _ outFeatures: Int, rng: inout RNG) {
        let fc = Linear(inFeatures, outFeatures, rng: &rng)
        norm = SpectralNorm(fc.weight, rng: &rng)
        bias = fc.bias
    }

    public var parameters: [(String, Tensor)] { [("weight_orig", norm.weightOrig), ("bias", bias)] }
    public var buffers: [(String, Tensor)] { [("weight_u", norm.u), ("weight_v", norm.v)] }

    public func callAsFunction(_ x: Tensor) -> Tensor { .linear(x, weight: norm.normalized(), bias: bias) }
}
