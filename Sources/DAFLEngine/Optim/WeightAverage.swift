/// An exponential moving average of a model's weights, kept in a second model of the same shape:
/// after each optimiser step, `average = decay·average + (1 − decay)·current` for every parameter,
/// and buffers (batch-norm running statistics) are copied. GANs sample from the averaged generator
/// (BigGAN's "EMA of G"); it smooths the oscillation of adversarial training.
///
/// Until `start` updates have been made the average simply follows the model (BigGAN's warm-up), so
/// the early, poor weights do not linger in it. With `uniform`, every set of weights from the `start`-th
/// update on counts the same (stochastic weight averaging, Izmailov et al. 2018) and `decay` is unused.
/// ```swift
/// let ema = WeightAverage(of: generator, into: shadow, decay: 0.999)
/// optimizer.step(); ema.update()
/// let swa = WeightAverage(of: student, into: shadow, start: 500, uniform: true)
/// ```
public final class WeightAverage {
    public let model: Model
    public let average: Model
    public var decay: Float
    public let start: Int
    /// The mean of the weights after updates `start`, `start + 1`, … instead of an exponential average.
    public let uniform: Bool
    public private(set) var updates = 0

    /// `average` must have the model's state-dict names and shapes; it starts as a copy of `model`.
    public init(of model: Model, into average: Model, decay: Float = 0.999, start: Int = 0, uniform: Bool = false) {
        let a = average.stateDict, m = model.stateDict
        precondition(a.map(\.0) == m.map(\.0) && zip(a, m).allSatisfy { $0.1.shape == $1.1.shape },
                     "the average's tensors must match the model's")
        (self.model, self.average, self.decay, self.start, self.uniform) = (model, average, decay, start, uniform)
        copy()
    }

    /// The average follows the model exactly (the warm-up, and a way to reset).
    public func copy() {
        for ((_, a), (_, m)) in zip(average.stateDict, model.stateDict) { a.data = m.data }
    }

    /// One averaging step, after an optimiser step.
    public func update() {
        updates += 1
        guard updates > start else { return copy() }
        let parameters = Set(model.namedParameters.map(\.0))
        // Uniform: the average holds k = updates − start sets of weights; the new one weighs 1/(k + 1).
        let d = uniform ? Float(updates &- start) / Float(updates &- start &+ 1) : decay, e = 1 - d
        for ((name, a), (_, m)) in zip(average.stateDict, model.stateDict) {
            guard parameters.contains(name) else { a.data = m.data; continue }
            let n = a.count
            m.data.withUnsafeBufferPointer { src in
                a.data.withUnsafeMutableBufferPointer { dst in
                    for i in 0..<n { dst[i] = d * dst[i] + e * src[i] }
                }
            }
        }
    }

    /// Restores the update count (from a checkpoint); the averaged weights are loaded separately.
    public func restore(updates: Int) { self.updates = updates }
}
