/// A building block that owns tensors under PyTorch's `state_dict` names.
///
/// Parameters are trained; buffers (running statistics) are state that is saved but not trained.
public protocol Layer: AnyObject {
    /// Trainable tensors, by name within the layer (`weight`, `bias`).
    var parameters: [(String, Tensor)] { get }
    /// Saved, untrained tensors (`running_mean`, …).
    var buffers: [(String, Tensor)] { get }
}

extension Layer {
    public var buffers: [(String, Tensor)] { [] }
}

/// PyTorch's default initialisation for Linear and Conv2d: U(−1/√fan_in, 1/√fan_in) for
/// weight and bias alike (kaiming_uniform with a = √5 reduces to this bound for the weight).
func defaultInit(_ rng: inout RNG, count: Int, fanIn: Int) -> [Float] {
    let bound = 1 / Float(fanIn).squareRoot()
    return rng.uniform(count: count, lo: -bound, hi: bound)
}
