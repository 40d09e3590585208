/// The loss weights of the generator objective `oneHot·L_oh + alpha·L_a + beta·L_ie`.
/// Paper notation: alpha weighs the activation loss, beta the information entropy.
public struct LossWeights: Sendable, Equatable, Codable {
    public var oneHot: Float
    public var alpha: Float
    public var beta: Float
    /// Weight of the teacher–student discrepancy the generator maximises (0: plain DAFL).
    public var adversarial: Float
    /// How that discrepancy is measured.
    public var discrepancy: Discrepancy
    /// Weight of the squared total variation of the generated images, an image prior (0: plain DAFL).
    public var tv: Float
    /// Weight of the mean cosine similarity of the batch's teacher features, a diversity term (0: plain DAFL).
    public var diversity: Float
    /// Weight of the images' edge band's squared distance from the background level, an image prior (0: plain DAFL).
    public var border: Float
    /// Pixels along each edge that the border prior holds at the background level.
    public var borderBand: Int
    /// Weight of the images' mean squared difference from their mirror images, an image prior (0: plain DAFL).
    public var symmetry: Float
    /// The temperature of the softmax the information-entropy term averages (1: the paper's). Below 1 the batch-mean
    /// softmax approaches the teacher's class counts, so the term balances the classes the teacher gives, not only its soft mass.
    public var ieTemperature: Float
    /// Weight of the mean log cosh of the generator's drive (before its tanh), a prior against two-level
    /// pictures (`DAFLLoss.saturation`; 0: plain DAFL).
    public var saturation: Float
    /// The batch's share S of the class mix the information-entropy term judges, the replay memory's mean softmax
    /// making up the rest (`DAFLLoss.informationEntropy(_:temperature:memory:share:)`; 1: the batch alone, the paper's).
    public var ieMemory: Float

    public init(oneHot: Float = 1, alpha: Float = 0.1, beta: Float = 5, adversarial: Float = 0, discrepancy: Discrepancy = .l1,
                tv: Float = 0, diversity: Float = 0, border: Float = 0, borderBand: Int = DAFLLoss.borderBand, symmetry: Float = 0,
                ieTemperature: Float = 1, saturation: Float = 0, ieMemory: Float = 1) {
        self.oneHot = oneHot; self.alpha = alpha; self.beta = beta; self.adversarial = adversarial
        self.discrepancy = discrepancy; self.tv = tv; self.diversity = diversity; self.border = border; self.borderBand = borderBand
        self.symmetry = symmetry; self.ieTemperature = ieTemperature; self.saturation = saturation
        self.ieMemory = ieMemory
    }

    enum CodingKeys: String, CodingKey { case oneHot, alpha, beta, adversarial, discrepancy, tv, diversity, border, borderBand, symmetry, ieTemperature, saturation, ieMemory }

    /// Checkpoints written before `adversarial` existed decode with it at 0.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        oneHot = try c.decode(Float.self, forKey: .oneHot)
        alpha = try c.decode(Float.self, forKey: .alpha)
        beta = try c.decode(Float.self, forKey: .beta)
        adversarial = try c.decodeIfPresent(Float.self, forKey: .adversarial) ?? 0
        discrepancy = try c.decodeIfPresent(Discrepancy.self, forKey: .discrepancy) ?? .l1
        tv = try c.decodeIfPresent(Float.self, forKey: .tv) ?? 0
        diversity = try c.decodeIfPresent(Float.self, forKey: .diversity) ?? 0
        border = try c.decodeIfPresent(Float.self, forKey: .border) ?? 0
        borderBand = try c.decodeIfPresent(Int.self, forKey: .borderBand) ?? DAFLLoss.borderBand
        symmetry = try c.decodeIfPresent(Float.self, forKey: .symmetry) ?? 0
        ieTemperature = try c.decodeIfPresent(Float.self, forKey: .ieTemperature) ?? 1
        saturation = try c.decodeIfPresent(Float.self, forKey: .saturation) ?? 0
        ieMemory = try c.decodeIfPresent(Float.self, forKey: .ieMemory) ?? 1
    }
}

/// How the generator's adversarial term measures teacher–student disagreement.
public enum Discrepancy: String, Sendable, Codable, CaseIterable {
    /// Mean |teacher − student| over the logits (DFAD). Unbounded: it can grow by inflating logits.
    case l1
    /// KL(teacher ‖ student) on the softmax outputs, batch mean (ZSKT): bounded by how sure the teacher is.
    case kl
    /// KL(teacher ‖ student) on the softmaxes of the z-scored logits (`Tensor.standardizedRows`): the disagreement a
    /// student trained with `--kd-standardize` minimises, blind to the logits' range.
    case zkl
}

/// What one DAFL iteration measured: each loss term, and the teacher's view of the batch.
public struct IterationResult: Sendable {
    public var oneHot, activation, entropy, distillation: Float
    /// Teacher–student discrepancy on the generated batch (computed only when its weight is above 0).
    public var discrepancy: Float = 0
    /// Squared total variation of the generated batch (computed only when its weight is above 0).
    public var totalVariation: Float = 0
    /// Mean cosine similarity of the batch's teacher features (computed only when its weight is above 0).
    public var featureSimilarity: Float = 0
    /// Mean squared distance of the batch's edge band from the background (computed only when its weight is above 0).
    public var borderDeviation: Float = 0
    /// Mean squared difference of the batch from its mirror images (computed only when its weight is above 0).
    public var mirrorAsymmetry: Float = 0
    /// The mean log cosh of the generator's drive (`DAFLLoss.saturation`); 0 when its weight is 0.
    public var saturation: Float = 0
    /// Targeted generation: the fraction of images the teacher assigns to their target class (nil otherwise).
    public var onTarget: Float? = nil
    /// oneHot·L_oh + alpha·L_a + beta·L_ie + L_kd, as the reference's single backward.
    public var total: Float
    /// The teacher's predicted class for each generated image.
    public var teacherClasses: [Int]
    /// The teacher's softmax confidence in that class.
    public var teacherConfidence: [Float]
    /// The teacher's logits [N·K] (for replaying the batch to the student).
    public var teacherLogits: [Float]
    /// Whether every loss was finite. When false, no weight was touched.
    public var finite: Bool { [oneHot, activation, entropy, distillation, discrepancy, totalVariation, featureSimilarity, borderDeviation, mirrorAsymmetry, saturation, total].allSatisfy(\.isFinite) }
}

/// One DAFL iteration exactly as the reference code: noise → generator → frozen teacher (eval mode);
/// one-hot, activation and information-entropy losses for the generator; KD for the student on
/// the detached images; one backward; an Adam step for the generator, then for the student.
///
/// Targeted generation (`targets` with a `conditional` generator, beyond the paper): a target class per image
/// conditions the generator (cGAN-KD's `ConditionalGenerator`: noise × class embedding, or per-class batch
/// norms), and the one-hot term becomes the cross-entropy against the target instead of the teacher's own
/// argmax, so the classes are balanced by construction and each class gets its own part of the generator.
///
/// With `mask` (beyond the paper, `--generator-mask`) each image is cut to a shape: the background outside it.
///
/// With `memoryMix` and `LossWeights.ieMemory` below 1 (beyond the paper) the information-entropy term judges the batch
/// mixed with that class mix (the replay memory's mean softmax).
///
/// With `jitter` (beyond the paper, as DeepInversion) the teacher and the student see the batch rolled and
/// mirrored; the image priors judge it as generated, and `keepImages` returns the view the teacher labelled.
///
/// ```swift
/// let r = DAFLIteration.run(generator: g, teacher: t, student: s, generatorOptimizer: og,
///                           studentOptimizer: os, noise: z, weights: LossWeights())
/// print(r.oneHot, r.activation, r.entropy, r.distillation)
/// ```
public enum DAFLIteration {
    /// A shift (wrapping) and mirror of the generated batch before the teacher judges it (`Tensor.jittered`).
    public struct Jitter: Sendable, Equatable {
        public var dy: Int, dx: Int, mirrored: Bool
        public init(dy: Int, dx: Int, mirrored: Bool) { self.dy = dy; self.dx = dx; self.mirrored = mirrored }
    }

    public static func run(generator: Generator, teacher: any Classifier, student: any Classifier,
                           generatorOptimizer: Optimizer, studentOptimizer: Optimizer,
                           noise z: Tensor, weights w: LossWeights, targets: [Int]? = nil, conditional: ConditionalGenerator? = nil,
                           kdTemperature: Float = 1, kdStandardized: Bool = false, kdIntraClass: Float = 0, kdDecoupled: Float = 0, background: Float = 0, jitter: Jitter? = nil,
                           balancedOneHot: Bool = false, mask: Tensor? = nil, adversarialSure: Float = 0, memoryMix: [Float]? = nil,
                           keepImages: Bool = false) -> (IterationResult, Tensor?) {
        generatorOptimizer.zeroGrad()
        studentOptimizer.zeroGrad()
        let conditioned = targets.flatMap { t in conditional.map { $0.forward(z, labels: t) } }
        let (raw, drive) = conditioned ?? generator.forward(z)
        // `mask` (0 or 1 per pixel, beyond the paper): the images keep the generator's pixels inside and are the
        // background outside; only the pixels inside pass gradient back to the generator.
        let generated = mask.map { raw * $0 + Tensor(shape: $0.shape, data: $0.data.map { (1 - $0) * background }) } ?? raw
        // Teacher and student see the jittered view; the image priors judge the picture as generated.
        let images = jitter.map { generated.jittered(dy: $0.dy, dx: $0.dx, mirrored: $0.mirrored) } ?? generated
        let (logits, features) = teacher.forwardWithFeatures(images)
        let lOH = conditioned != nil ? Tensor.crossEntropy(logits, targets: targets!)
            : balancedOneHot ? DAFLLoss.balancedOneHot(logits) : DAFLLoss.oneHot(logits)
        let lA = DAFLLoss.activation(features)
        let lIE = w.ieMemory < 1 && memoryMix != nil
            ? DAFLLoss.informationEntropy(logits, temperature: w.ieTemperature, memory: memoryMix!, share: w.ieMemory)
            : DAFLLoss.informationEntropy(logits, temperature: w.ieTemperature)
        let lKD = DAFLLoss.distillation(student: student(images.detached()), teacher: logits.detached(),
                                        temperature: kdTemperature, standardized: kdStandardized, intraClass: kdIntraClass, decoupled: kdDecoupled)
        var generatorLoss = lOH * w.oneHot + lA * w.alpha + lIE * w.beta
        var lAdv: Tensor?
        if w.adversarial > 0 {
            let d = adversarialSure > 0 && w.discrepancy == .kl
                ? DAFLLoss.discrepancyKL(teacher: logits, student: student(images), sure: adversarialSure)
                : DAFLLoss.discrepancy(teacher: logits, student: student(images), measure: w.discrepancy)
            generatorLoss = generatorLoss - d * w.adversarial
            lAdv = d
        }
        var lTV: Tensor?
        if w.tv > 0 {
            let tv = generated.totalVariation()
            generatorLoss = generatorLoss + tv * w.tv
            lTV = tv
        }
        var lDiv: Tensor?
        if w.diversity > 0 {
            let s = DAFLLoss.featureSimilarity(features)
            generatorLoss = generatorLoss + s * w.diversity
            lDiv = s
        }
        var lBorder: Tensor?
        if w.border > 0 {
            let b = generated.borderDeviation(from: background, width: w.borderBand)
            generatorLoss = generatorLoss + b * w.border
            lBorder = b
        }
        var lSat: Tensor?
        if w.saturation > 0, let drive {
            let s = DAFLLoss.saturation(drive)
            generatorLoss = generatorLoss + s * w.saturation
            lSat = s
        }
        var lSym: Tensor?
        if w.symmetry > 0 {
            let a = generated.mirrorAsymmetry()
            generatorLoss = generatorLoss + a * w.symmetry
            lSym = a
        }
        let probs = logits.detached().softmax()
        let classes = logits.argmaxRows()
        let k = logits.shape[1]
        var result = IterationResult(oneHot: lOH.item, activation: lA.item, entropy: lIE.item, distillation: lKD.item,
                                     total: generatorLoss.item + lKD.item, teacherClasses: classes,
                                     teacherConfidence: classes.enumerated().map { probs.data[$0.offset * k + $0.element] },
                                     teacherLogits: logits.data)
        result.discrepancy = lAdv?.item ?? 0
        result.totalVariation = lTV?.item ?? 0
        result.featureSimilarity = lDiv?.item ?? 0
        result.borderDeviation = lBorder?.item ?? 0
        result.mirrorAsymmetry = lSym?.item ?? 0
        result.saturation = lSat?.item ?? 0
        if conditioned != nil, let targets {
            result.onTarget = Float(zip(classes, targets).filter { $0 == $1 }.count) / Float(Swift.max(targets.count, 1))
        }
        // A NaN or Inf must never reach the weights: stop before the backward.
        guard result.finite else { return (result, keepImages ? images.detached() : nil) }
        // The two graphs share no parameter (the student sees detached images), so two backward
        // passes give the reference's single backward of their sum.
        generatorLoss.backward()
        // The discrepancy's gradient reached the student's weights too: only the generator climbs it.
        if lAdv != nil { studentOptimizer.zeroGrad() }
        lKD.backward()
        generatorOptimizer.step()
        studentOptimizer.step()
        result.total = generatorLoss.item + lKD.item
        return (result, keepImages ? images.detached() : nil)
    }
}
