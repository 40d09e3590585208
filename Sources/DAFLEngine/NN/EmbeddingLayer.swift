/// A lookup table of `count` learned vectors (PyTorch's `nn.Embedding`, initialised N(0, 1) like it).
///
/// ```swift
/// var rng = RNG(seed: 0)
/// let emb = Embedding(10, 100, rng: &rng)
/// let h = emb([7, 2])          // [2, 100]
/// ```
public final class Embedding: Layer {
    public let weight: Tensor

    public init(_ count: Int, _ dimension: Int, rng: inout RNG) {
        weight = .parameter(shape: [count, dimension], data: rng.normal(count: count * dimension))
    }

    public var parameters: [(String, Tensor)] { [("weight", weight)] }

    public func callAsFunction(_ indices: [Int]) -> Tensor { .embedding(indices, weight: weight) }
}
