/// The three generator losses of DAFL (Chen et al., ICCV 2019), as the reference code computes them.
///
/// The generator minimises `oneHot + alpha·activation + beta·informationEntropy` on the teacher's
/// view of its images. Each term is its own function so it can be tested and plotted alone.
/// ```swift
/// let (logits, features) = teacher.forwardWithFeatures(images)
/// let total = DAFLLoss.oneHot(logits) + 0.1 * DAFLLoss.activation(features) + 5 * DAFLLoss.informationEntropy(logits)
/// ```
public enum DAFLLoss {
    /// Cross-entropy of the teacher's logits against their own argmax: low when the teacher is sure.
    public static func oneHot(_ logits: Tensor) -> Tensor {
        Tensor.crossEntropy(logits, targets: logits.argmaxRows())
    }

    /// −mean|f| over batch and feature dimensions: rewards strong teacher features.
    public static func activation(_ features: Tensor) -> Tensor {
        -(features.abs().mean())
    }

    /// Σₖ pₖ·log₁₀ pₖ of the batch-mean softmax: its minimum, −log₁₀ K, means balanced classes.
    public static func informationEntropy(_ logits: Tensor) -> Tensor {
        let p = logits.softmax().meanOverBatch()
        return (p * p.log10()).sum()
    }

    /// Mean |teacher − student| over the logits (DFAD, Fang et al. 2019): how much the two disagree.
    /// Subtracted from the generator's objective (weight `LossWeights.adversarial`), it steers the
    /// generator to images the student has not learned yet. Not part of DAFL; off by default.
    public static func discrepancy(teacher: Tensor, student: Tensor) -> Tensor {
        (teacher - student).abs().mean()
    }

    /// KL(softmax(teacher) ‖ softmax(student)), summed over classes, mean over the batch (ZSKT,
    /// Micaelli & Storkey 2019). Differentiable in both logits: the generator moves both when it climbs
    /// it, and, unlike the L1 of logits, it cannot grow by making logits large, only by the student
    /// disagreeing with what the teacher is sure of.
    public static func discrepancyKL(teacher: Tensor, student: Tensor) -> Tensor {
        precondition(teacher.shape == student.shape && teacher.rank == 2, "discrepancyKL: teacher \(teacher.shape) vs student \(student.shape)")
        return (teacher.softmax() * (teacher.logSoftmax() - student.logSoftmax())).sum() * (1 / Float(teacher.shape[0]))
    }

    /// The discrepancy `measure` names.
    public static func discrepancy(teacher: Tensor, student: Tensor, measure: Discrepancy) -> Tensor {
        switch measure {
        case .l1: discrepancy(teacher: teacher, student: student)
        case .kl: discrepancyKL(teacher: teacher, student: student)
        }
    }

    /// The student's distillation loss against the teacher's logits (KL, batch mean), at `temperature` T:
    /// T² · KL(softmax(t/T) ‖ softmax(s/T)), Hinton's scaling, so the gradient's size stays comparable across T.
    /// T = 1 is the reference's `kdloss`, computed without the scaling multiplies (bit for bit as before).
    ///
    /// ```swift
    /// let loss = DAFLLoss.distillation(student: s(x), teacher: tLogits, temperature: 4)
    /// ```
    public static func distillation(student: Tensor, teacher: Tensor, temperature: Float = 1) -> Tensor {
        if temperature == 1 { return Tensor.distillationKL(student: student, teacher: teacher) }
        let inv = 1 / temperature
        return Tensor.distillationKL(student: student * inv, teacher: teacher * inv) * (temperature * temperature)
    }
}
