import DAFLEngine
import Foundation

/// cDR-RS's conditional density-ratio model (Ding et al., arXiv 2103.11166): r(f | y) ≈
/// p_real(f | y) / p_fake(f | y) on feature vectors f, one MLP for every class. As the reference: a
/// learned K-dim label embedding concatenated in front of the features; hidden layers Linear →
/// GroupNorm(8) → ReLU → Dropout(0.5); a ReLU output, so r ≥ 0. The reference's widths are 2048…128 on
/// 3,072-d features; the default here is 512…32 on the teacher's 120-d features.
/// ```swift
/// let dr = DensityRatioMLP(features: 120, classes: 10, rng: &rng)
/// let r = dr(features, labels: labels)           // [N]
/// ```
public final class DensityRatioMLP: Model {
    public let classes: Int
    /// The class table (classification), or nil when labels arrive embedded (CcGAN's h, regression).
    public let embedding: Embedding?
    public let linears: [Linear]
    public let norms: [GroupNorm]
    public let dropout: Float
    /// Feature inputs (the first layer's inputs less the label's).
    public let featureCount: Int
    public var training = true
    var rng: RNG

    public convenience init(features: Int, classes: Int, widths: [Int] = [512, 256, 128, 64, 32], dropout: Float = 0.5, rng: inout RNG) {
        let e = Embedding(classes, classes, rng: &rng)
        self.init(features: features, labelInputs: classes, embedding: e, classes: classes, widths: widths, dropout: dropout, rng: &rng)
    }

    /// A ratio model for continuous labels, which takes them as label embeddings of `embedding` dimensions
    /// (as the reference's regression cDR-RS concatenates y2h(y) to the features).
    public convenience init(features: Int, embedding dimension: Int, widths: [Int] = [512, 256, 128, 64, 32], dropout: Float = 0.5, rng: inout RNG) {
        self.init(features: features, labelInputs: dimension, embedding: nil, classes: 0, widths: widths, dropout: dropout, rng: &rng)
    }

    init(features: Int, labelInputs: Int, embedding: Embedding?, classes: Int, widths: [Int], dropout: Float, rng: inout RNG) {
        self.classes = classes
        self.dropout = dropout
        self.embedding = embedding
        featureCount = features
        var inputs = features + labelInputs, ls: [Linear] = [], ns: [GroupNorm] = []
        for w in widths {
            ls.append(Linear(inputs, w, rng: &rng))
            ns.append(GroupNorm(groups: 8, channels: w))
            inputs = w
        }
        ls.append(Linear(inputs, 1, rng: &rng))
        (linears, norms) = (ls, ns)
        self.rng = RNG(seed: rng.next())
    }

    public var layers: [(String, Layer)] {
        // nn.Sequential indices as the reference lays them out: 4 modules per hidden layer, then the output.
        var out: [(String, Layer)] = embedding.map { [("label_emb", $0)] } ?? []
        for i in norms.indices { out += [("main.\(4 * i)", linears[i]), ("main.\(4 * i + 1)", norms[i])] }
        out.append(("main.\(4 * norms.count)", linears[norms.count]))
        return out
    }

    public var metadata: [String: String] {
        ["arch": "cdr-mlp", "num_classes": String(classes), "features": String(featureCount),
         "widths": norms.map { String($0.weight.count) }.joined(separator: ","), "dropout": String(dropout)]
    }

    public func callAsFunction(_ features: Tensor, labels: [Int]) -> Tensor {
        guard let embedding else { preconditionFailure("this ratio model takes label embeddings") }
        return forward(features, labelInputs: embedding(labels))
    }

    /// Ratios for features and label embeddings h [N, E].
    public func callAsFunction(_ features: Tensor, embedded h: Tensor) -> Tensor { forward(features, labelInputs: h) }

    func forward(_ features: Tensor, labelInputs: Tensor) -> Tensor {
        var h = Tensor.concatColumns(features, labelInputs)
        for i in norms.indices {
            h = norms[i](linears[i](h)).relu().dropout(dropout, training: training, rng: &rng)
        }
        return linears[norms.count](h).relu().reshaped([features.shape[0]])
    }
}

/// The penalised Softplus ("SP") density-ratio loss of cDR-RS, with r_f and r_r the model's ratios on
/// fake and real samples:  mean(σ(r_f)·r_f) − mean(softplus(r_f)) − mean(σ(r_r)) + λ·(mean(r_f) − 1)².
/// The penalty keeps the ratios of fake samples averaging 1 (λ = 0.01 in the reference).
public enum DensityRatioLoss {
    public static func penalisedSP(fake rf: Tensor, real rr: Tensor, lambda: Float = 0.01) -> Tensor {
        let sp = (rf.sigmoid() * rf).mean() - rf.softplus().mean() - rr.sigmoid().mean()
        let gap = rf.mean() + (-1)
        return sp + gap * gap * lambda
    }
}

/// Trains a `DensityRatioMLP` on the teacher's features of real images and of generated ones drawn for
/// the same labels (G(z, y_real), as the reference), with Adam 1e-4, β (0.5, 0.999), weight decay 1e-4,
/// the rate ×0.1 at 40 % and 75 % of the epochs (the reference: 80 and 150 of 200).
public enum DensityRatioTraining {
    public static func train(_ model: DensityRatioMLP, teacher: LeNet5, generator: ConditionalGenerator, real: Dataset,
                             epochs: Int, batch: Int = 256, lr: Float = 1e-4, rng: inout RNG,
                             proceed: () -> Bool = { true }, onEpoch: (Int, Float) -> Void = { _, _ in }) {
        let (realFeatures, dim) = FrechetDistance.teacherFeatures(teacher, images: real)
        fit(model, features: realFeatures, dimension: dim, count: real.count, epochs: epochs, batch: batch, lr: lr, rng: &rng,
            proceed: proceed, onEpoch: onEpoch) { idx, fr, rng in
            let labels = idx.map { real.labels[$0] }
            let ff = GradMode.noGrad { teacher.forwardWithFeatures(generator.sample(labels: labels, rng: &rng)).features }
            return DensityRatioLoss.penalisedSP(fake: model(ff, labels: labels), real: model(fr, labels: labels))
        }
    }

    /// The training loop both forms share: shuffled full batches of real features, `loss` for each
    /// (it draws the generated side), Adam with the rate ×0.1 at 40 % and ×0.01 at 75 % of the epochs.
    static func fit(_ model: DensityRatioMLP, features: [Float], dimension dim: Int, count: Int, epochs: Int, batch: Int, lr: Float,
                    rng: inout RNG, proceed: () -> Bool, onEpoch: (Int, Float) -> Void,
                    loss: (_ indices: ArraySlice<Int>, _ realFeatures: Tensor, _ rng: inout RNG) -> Tensor) {
        let opt = Adam(model.parameters, lr: lr, betas: (0.5, 0.999), weightDecay: 1e-4)
        model.training = true
        defer { model.training = false }
        let batch = Swift.min(batch, count)     // a small labelled set still gets full batches
        for epoch in 1...epochs {
            opt.learningRate = lr * (epoch > epochs * 3 / 4 ? 0.01 : epoch > epochs * 2 / 5 ? 0.1 : 1)
            var total: Double = 0, steps = 0
            let order = rng.permutation(count)
            for start in stride(from: 0, to: count - batch + 1, by: batch) {
                guard proceed() else { return }
                let idx = order[start..<(start + batch)]
                let fr = Tensor(shape: [idx.count, dim], data: idx.flatMap { features[($0 * dim)..<(($0 + 1) * dim)] })
                let l = loss(idx, fr, &rng)
                opt.zeroGrad()
                l.backward()
                opt.step()
                total += Double(l.item)
                steps += 1
            }
            onEpoch(epoch, Float(total / Double(Swift.max(steps, 1))))
        }
    }

    /// The regression form: real images' teacher features against generated images' for the same labels
    /// (G(z, y_real) as the reference, no vicinity), labels entering as the generator's embedding h = y2h(y).
    public static func train(_ model: DensityRatioMLP, teacher: LeNet5, generator: ContinuousConditionalGenerator, real: RegressionSet,
                             epochs: Int, batch: Int = 256, lr: Float = 1e-4, rng: inout RNG,
                             proceed: () -> Bool = { true }, onEpoch: (Int, Float) -> Void = { _, _ in }) {
        let images = Dataset(images: real.images, labels: [Int](repeating: 0, count: real.count), side: real.side, classes: 1, channels: real.channels)
        let (realFeatures, dim) = FrechetDistance.teacherFeatures(teacher, images: images)
        let labels = real.normalisedTargets
        fit(model, features: realFeatures, dimension: dim, count: real.count, epochs: epochs, batch: batch, lr: lr, rng: &rng,
            proceed: proceed, onEpoch: onEpoch) { idx, fr, rng in
            let y = idx.map { labels[$0] }
            let ff = GradMode.noGrad { teacher.forwardWithFeatures(generator.sample(labels: y, rng: &rng)).features }
            let h = generator.embedding(y)
            return DensityRatioLoss.penalisedSP(fake: model(ff, embedded: h), real: model(fr, embedded: h))
        }
    }

    /// The model's ratios for generated images of continuous labels (evaluation mode, no graph).
    public static func ratios(_ model: DensityRatioMLP, teacher: LeNet5, generator: ContinuousConditionalGenerator, images: Tensor, labels: [Float]) -> [Float] {
        model.training = false
        return GradMode.noGrad { model(teacher.forwardWithFeatures(images).features, embedded: generator.embedding(labels)) }.data
    }

    /// The model's ratios for generated images (evaluation mode, no graph).
    public static func ratios(_ model: DensityRatioMLP, teacher: LeNet5, images: Tensor, labels: [Int]) -> [Float] {
        model.training = false
        return GradMode.noGrad { model(teacher.forwardWithFeatures(images).features, labels: labels) }.data
    }
}
