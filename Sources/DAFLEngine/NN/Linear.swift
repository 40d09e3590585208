/// A fully connected layer, y = x·Wᵀ + b (PyTorch's `nn.Linear`).
///
/// ```swift
/// var rng = RNG(seed: 0)
/// let fc = Linear(120, 84, rng: &rng)
/// let y = fc(x)            // x: [N, 120] → y: [N, 84]
/// ```
public final class Linear: Layer {
    public let weight: Tensor
    public let bias: Tensor

    public init(_ inFeatures: Int, _ outFeatures: Int, rng: inout RNG) {
        weight = .parameter(shape: [outFeatures, inFeatures],
                            data: defaultInit(&rng, count: outFeatures * inFeatures, fanIn: inFeatures))
        bias = .parameter(shape: [outFeatures], data: defaultInit(&rng, count: outFeatures, fanIn: inFeatures))
    }

    public var parameters: [(String, Tensor)] { [("weight", weight), ("bias", bias)] }

    public func callAsFunction(_ x: Tensor) -> Tensor { .linear(x, weight: weight, bias: bias) }
}

/// A fully connected layer without bias, y = x·Wᵀ (PyTorch's `nn.Linear(…, bias=False)`).
public final class BiasFreeLinear: Layer {
    public let weight: Tensor

    public init(_ inFeatures: Int, _ outFeatures: Int, rng: inout RNG) {
        weight = .parameter(shape: [outFeatures, inFeatures], data: defaultInit(&rng, count: outFeatures * inFeatures, fanIn: inFeatures))
    }

    public var parameters: [(String, Tensor)] { [("weight", weight)] }

    public func callAsFunction(_ x: Tensor) -> Tensor { .linear(x, weight: weight, bias: nil) }
}
