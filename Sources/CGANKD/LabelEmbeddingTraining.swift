import DAFLEngine
import Foundation

/// Learns CcGAN's label embedding in its two stages (the reference's "improved label input"):
/// 1. an `EmbeddingRegressor` (images → h → y) on the real labelled images, MSE on normalised labels;
/// 2. the `LabelEmbedding` y → h on the distinct training labels plus N(0, 0.2) noise clamped to
///    [0, 1], so that the frozen head h → y reads each label back: MSE(h2y(y2h(ỹ)), ỹ).
/// The reference uses SGD for 200 and 500 epochs on ResNet-34 features; at this scale Adam with a
/// cosine rate over fewer epochs gets there in seconds (docs/CGANKD.md has the fit).
/// ```swift
/// let (y2h, fit) = LabelEmbeddingTraining.train(on: labelled, dimension: 128, rng: &rng)
/// ```
public enum LabelEmbeddingTraining {
    public struct Settings: Codable, Equatable, Sendable {
        public var dimension = 128
        public var embedEpochs = 10
        public var y2hEpochs = 200
        public var lr: Float = 1e-3
        public var noise: Float = 0.2
        /// How well it fitted, once learned (recorded in checkpoints and the config event).
        public var fit: Fit? = nil
        public init() {}
    }

    /// How well the two stages fit: the regressor's MAE on the training labels and y2h's round trip, both in normalised units.
    public struct Fit: Codable, Equatable, Sendable { public var embedMAE: Float, roundTripMAE: Float }

    public static func train(on data: RegressionSet, settings s: Settings = .init(), rng: inout RNG,
                             onEpoch: (_ stage: String, _ epoch: Int, _ loss: Float) -> Void = { _, _, _ in })
        -> (embedding: LabelEmbedding, regressor: EmbeddingRegressor, fit: Fit) {
        let net = EmbeddingRegressor(dimension: s.dimension, channels: data.channels, rng: &rng)
        var opt = Adam(net.parameters, lr: s.lr)
        let batch = 128, steps = s.embedEpochs * ((data.count + batch - 1) / batch)
        var t = 0
        for epoch in 1...Swift.max(s.embedEpochs, 1) {
            var sum: Double = 0, n = 0
            for idx in batches(data.count, batch, &rng) {
                opt.learningRate = cosine(s.lr, t, steps); t += 1
                let (x, y) = data.batch(idx)
                let loss = Tensor.mseLoss(net(x), targets: y)
                opt.zeroGrad(); loss.backward(); opt.step()
                sum += Double(loss.item); n += 1
            }
            onEpoch("embed", epoch, Float(sum / Double(Swift.max(n, 1))))
        }
        net.freeze()
        net.setTraining(false)
        var embedMAE: Double = 0
        GradMode.noGrad {
            for idx in batches(data.count, 1000, &rng) {
                let (x, y) = data.batch(idx)
                for (p, t) in zip(net(x).data, y) { embedMAE += Double(Swift.abs(p - t)) }
            }
        }
        // Stage 2: y2h against the frozen head.
        var distinct = Array(Set(data.normalisedTargets)).sorted()
        if distinct.isEmpty { distinct = [0] }
        let y2h = LabelEmbedding(dimension: s.dimension, rng: &rng)
        opt = Adam(y2h.parameters, lr: s.lr)
        let yBatch = 256, yPer = (distinct.count + yBatch - 1) / yBatch, ySteps = s.y2hEpochs * yPer
        t = 0
        for epoch in 1...Swift.max(s.y2hEpochs, 1) {
            var sum: Double = 0, n = 0
            for idx in batches(distinct.count, yBatch, &rng) {
                opt.learningRate = cosine(s.lr, t, ySteps); t += 1
                let noise = rng.normal(count: idx.count)
                let y = zip(idx, noise).map { Swift.min(1, Swift.max(0, distinct[$0] + s.noise * $1)) }
                let yt = Tensor(shape: [y.count, 1], data: y)
                let loss = Tensor.mseLoss(net.h2y(y2h(yt)).relu().reshaped([y.count]), targets: y)
                opt.zeroGrad(); loss.backward(); opt.step()
                sum += Double(loss.item); n += 1
            }
            onEpoch("y2h", epoch, Float(sum / Double(Swift.max(n, 1))))
        }
        y2h.freeze()
        let grid = (0...100).map { Float($0) / 100 }
        let back = GradMode.noGrad { net.h2y(y2h(grid)).relu() }.data
        let roundTrip = zip(back, grid).map { Swift.abs($0 - $1) }.reduce(0, +) / Float(grid.count)
        return (y2h, net, Fit(embedMAE: Float(embedMAE / Double(data.count)), roundTripMAE: roundTrip))
    }

    static func batches(_ n: Int, _ size: Int, _ rng: inout RNG) -> [ArraySlice<Int>] {
        let order = rng.permutation(n)
        return stride(from: 0, to: n, by: size).map { order[$0..<Swift.min($0 + size, n)] }
    }

    static func cosine(_ lr: Float, _ t: Int, _ total: Int) -> Float {
        lr * Float(0.5 * (1 + cos(Double.pi * Double(t) / Double(Swift.max(total, 1)))))
    }
}
