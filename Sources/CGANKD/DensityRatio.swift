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
    public let embedding: Embedding
    public let linears: [Linear]
    public let norms: [GroupNorm]
    public let dropout: Float
    public var training = true
    var rng: RNG

    public init(features: Int, classes: Int, widths: [Int] = [512, 256, 128, 64, 32], dropout: Float = 0.5, rng: inout RNG) {
        self.classes = classes
        self.dropout = dropout
        embedding = Embedding(classes, classes, rng: &rng)
        var inputs = features + classes, ls: [Linear] = [], ns: [GroupNorm] = []
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
        var out: [(String, Layer)] = [("label_emb", embedding)]
        for i in norms.indices { out += [("main.\(4 * i)", linears[i]), ("main.\(4 * i + 1)", norms[i])] }
        out.append(("main.\(4 * norms.count)", linears[norms.count]))
        return out
    }

    public var metadata: [String: String] {
        ["arch": "cdr-mlp", "num_classes": String(classes), "features": String(linears[0].weight.shape[1] - classes),
         "widths": norms.map { String($0.weight.count) }.joined(separator: ","), "dropout": String(dropout)]
    }

    public func callAsFunction(_ features: Tensor, labels: [Int]) -> Tensor {
        var h = Tensor.concatColumns(features, embedding(labels))
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
        let opt = Adam(model.parameters, lr: lr, betas: (0.5, 0.999), weightDecay: 1e-4)
        let (realFeatures, dim) = FrechetDistance.teacherFeatures(teacher, images: real)
        model.training = true
        let batch = Swift.min(batch, real.count)     // a small labelled set still gets full batches
        for epoch in 1...epochs {
            opt.learningRate = lr * (epoch > epochs * 3 / 4 ? 0.01 : epoch > epochs * 2 / 5 ? 0.1 : 1)
            var total: Double = 0, steps = 0
            for idx in real.batches(size: batch, rng: &rng) where idx.count == batch {
                guard proceed() else { model.training = false; return }
                let labels = idx.map { real.labels[$0] }
                let fr = Tensor(shape: [idx.count, dim], data: idx.flatMap { realFeatures[($0 * dim)..<(($0 + 1) * dim)] })
                let xf = generator.sample(labels: labels, rng: &rng)
                let ff = GradMode.noGrad { teacher.forwardWithFeatures(xf).features }
                let loss = DensityRatioLoss.penalisedSP(fake: model(ff, labels: labels), real: model(fr, labels: labels))
                opt.zeroGrad()
                loss.backward()
                opt.step()
                total += Double(loss.item)
                steps += 1
            }
            onEpoch(epoch, Float(total / Double(Swift.max(steps, 1))))
        }
        model.training = false
    }

    /// The model's ratios for generated images (evaluation mode, no graph).
    public static func ratios(_ model: DensityRatioMLP, teacher: LeNet5, images: Tensor, labels: [Int]) -> [Float] {
        model.training = false
        return GradMode.noGrad { model(teacher.forwardWithFeatures(images).features, labels: labels) }.data
    }
}
