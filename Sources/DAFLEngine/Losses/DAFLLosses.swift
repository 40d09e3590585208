/// The three generator losses of DAFL (Chen et al., ICCV 2019), as the reference code computes them.
///
/// The generator minimises `oneHot + alpha·activation + beta·informationEntropy` on the teacher's
/// view of its images. Each term is its own function so it can be tested and plotted alone.
/// ```swift
/// let (logits, features) = teacher.forwardWithFeatures(images)
/// let total = DAFLLoss.oneHot(logits) + 0.1 * DAFLLoss.activation(features) + 5 * DAFLLoss.informationEntropy(logits)
/// ```
public enum DAFLLoss {
    /// Pixels along each edge that the border prior (`LossWeights.border`) holds at the background level, by default.
    public static let borderBand = 2

    /// Cross-entropy of the teacher's logits against their own argmax: low when the teacher is sure.
    public static func oneHot(_ logits: Tensor) -> Tensor {
        Tensor.crossEntropy(logits, targets: logits.argmaxRows())
    }

    /// The one-hot term against a class-balanced assignment (`--balanced-one-hot`, beyond the paper): the cross-entropy
    /// of each image's logits against `balancedTargets`, so that no class is the target of more than ⌈N/K⌉ images.
    ///
    /// The paper's term pulls every image toward its own argmax; the generator then makes 37–40 % Bags and 1–3 % Coats,
    /// whatever the entropy term does to the batch's mean softmax. Here an image keeps its argmax while that class has
    /// room, and otherwise is pulled toward the likeliest class that has: the classes are balanced by the images the
    /// generator already makes, with no conditioning (which collapsed the generator under `--targeted`).
    /// ```swift
    /// let loss = DAFLLoss.balancedOneHot(teacher(images))   // ≤ ⌈128/10⌉ = 13 targets per class
    /// ```
    public static func balancedOneHot(_ logits: Tensor) -> Tensor {
        Tensor.crossEntropy(logits, targets: balancedTargets(logits))
    }

    /// A target class per row, at most ⌈N/K⌉ rows per class: greedily, the (row, class) pairs in decreasing order of
    /// log-softmax (ties: lower row, then lower class), each taken when its row has no target yet and its class has room.
    /// A row keeps its argmax whenever that class has room when the row's turn comes.
    /// ```swift
    /// DAFLLoss.balancedTargets(Tensor(shape: [4, 2], data: [3, 0, 2, 0, 1, 0, 0, 1]))   // [0, 0, 1, 1]
    /// ```
    public static func balancedTargets(_ logits: Tensor) -> [Int] {
        let n = logits.shape[0], k = logits.shape[1]
        guard n > 0, k > 0 else { return [] }
        let logp = logits.detached().logSoftmax().data
        let capacity = (n + k - 1) / k
        let order = (0..<(n &* k)).sorted { logp[$0] > logp[$1] || (logp[$0] == logp[$1] && $0 < $1) }
        var targets = [Int](repeating: -1, count: n), room = [Int](repeating: capacity, count: k)
        var left = n
        for pair in order where left > 0 {
            let row = pair / k, c = pair % k
            guard targets[row] < 0, room[c] > 0 else { continue }
            targets[row] = c
            room[c] &-= 1
            left &-= 1
        }
        return targets
    }

    /// −mean|f| over batch and feature dimensions: rewards strong teacher features.
    public static func activation(_ features: Tensor) -> Tensor {
        -(features.abs().mean())
    }

    /// Σₖ pₖ·log₁₀ pₖ of the batch-mean softmax: its minimum, −log₁₀ K, means balanced classes.
    /// At `temperature` τ the softmax is of logits / τ (`--ie-temperature`; 1, the paper's, computes no division):
    /// below 1 each image counts closer to its argmax, so the mean nears the batch's class counts.
    /// ```swift
    /// let lIE = DAFLLoss.informationEntropy(teacherLogits, temperature: 0.5)
    /// ```
    public static func informationEntropy(_ logits: Tensor, temperature: Float = 1) -> Tensor {
        let p = (temperature == 1 ? logits : logits * (1 / temperature)).softmax().meanOverBatch()
        return (p * p.log10()).sum()
    }

    /// `informationEntropy` of the batch judged with what came before it (`--ie-memory S`, beyond the paper): Σₖ qₖ·log₁₀ qₖ
    /// of q = S·p + (1 − S)·m, p the batch-mean softmax and m a constant class mix (the replay memory's mean softmax).
    /// The batch term balances each batch alone, and against the adversary it loses: at the end of a run every batch
    /// leans to the same classes, and the memory the student learns from holds almost no Coat or Sneaker. Judged with
    /// the memory, a batch lowers the term most by bringing what the memory lacks. S = 1 is `informationEntropy`.
    /// ```swift
    /// let lIE = DAFLLoss.informationEntropy(teacherLogits, memory: replay.meanProbabilities()!, share: 0.25)
    /// ```
    public static func informationEntropy(_ logits: Tensor, temperature: Float = 1, memory m: [Float], share: Float) -> Tensor {
        let p = (temperature == 1 ? logits : logits * (1 / temperature)).softmax().meanOverBatch()
        precondition(m.count == p.count, "informationEntropy: a memory mix of \(m.count) classes for \(p.count)")
        let q = p * share + Tensor(shape: p.shape, data: m.map { $0 * (1 - share) })
        return (q * q.log10()).sum()
    }

    /// Mean log cosh of the generator's drive (its last convolution's output, before the tanh; PyTorch
    /// `torch.log(torch.cosh(h)).mean()`): how far the tanh is pushed into saturation. The DAFL generator's drive grows
    /// to hundreds, so its pictures are two-level; Fashion-MNIST's have grey levels (shading, texture), which the
    /// teacher's answers use (on test images cut to black and white it loses 8 points). A saturated tanh passes no
    /// gradient, so a penalty on its output could not undo it; log cosh pulls the drive back with a force (tanh h)
    /// that never vanishes. The batch norm after the tanh keeps the images' contrast, so the generator answers with
    /// intermediate tones, not fainter pictures (`--saturation`, off by default).
    /// ```swift
    /// let (images, drive) = generator.forward(z)
    /// let loss = DAFLLoss.saturation(drive!)
    /// ```
    public static func saturation(_ drive: Tensor) -> Tensor {
        drive.logCosh().mean()
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
        return klTerms(teacher: teacher, student: student).sum() * (1 / Float(teacher.shape[0]))
    }

    /// p_t · (log p_t − log p_s) per row and class: the KL's terms before they are summed.
    static func klTerms(teacher: Tensor, student: Tensor) -> Tensor {
        teacher.softmax() * (teacher.logSoftmax() - student.logSoftmax())
    }

    /// `discrepancyKL` counted only on the images the teacher is sure of (`--adversarial-sure P`, beyond the paper): each
    /// row's KL enters when the teacher's top softmax probability (not differentiated) is at least `sure`; the sum is
    /// still divided by the whole batch, so an image that counts is pushed exactly as by `discrepancyKL`.
    ///
    /// The generator climbing the disagreement makes 38–48 % of its images ones the teacher is unsure of (top
    /// probability under 0.8), against 17 % of the test split's photographs. Bounded this way, the adversary moves
    /// only images the teacher is sure of toward where the student is wrong, as the issue asks of such a term.
    /// ```swift
    /// let d = DAFLLoss.discrepancyKL(teacher: t, student: s, sure: 0.8)   // rows with max softmax(t) < 0.8 add 0
    /// ```
    public static func discrepancyKL(teacher: Tensor, student: Tensor, sure: Float) -> Tensor {
        precondition(teacher.shape == student.shape && teacher.rank == 2, "discrepancyKL: teacher \(teacher.shape) vs student \(student.shape)")
        let n = teacher.shape[0], k = teacher.shape[1]
        let p = teacher.detached().softmax().data
        var mask = [Float](repeating: 0, count: n &* k)
        for i in 0..<n {
            let row = i &* k
            guard p[row..<(row &+ k)].max()! >= sure else { continue }
            for j in 0..<k { mask[row &+ j] = 1 }
        }
        return (klTerms(teacher: teacher, student: student) * Tensor(shape: [n, k], data: mask)).sum() * (1 / Float(n))
    }

    /// The discrepancy `measure` names.
    public static func discrepancy(teacher: Tensor, student: Tensor, measure: Discrepancy) -> Tensor {
        switch measure {
        case .l1: discrepancy(teacher: teacher, student: student)
        case .kl: discrepancyKL(teacher: teacher, student: student)
        case .zkl: discrepancyKL(teacher: teacher.standardizedRows(), student: student.standardizedRows())
        }
    }

    /// The student's distillation loss against the teacher's logits (KL, batch mean), at `temperature` T:
    /// T² · KL(softmax(t/T) ‖ softmax(s/T)), Hinton's scaling, so the gradient's size stays comparable across T.
    /// T = 1 is the reference's `kdloss`, computed without the scaling multiplies (bit for bit as before).
    /// `standardized` distils both logits z-scored per row first (`standardizedRows`, Sun et al. 2024).
    ///
    /// ```swift
    /// let loss = DAFLLoss.distillation(student: s(x), teacher: tLogits, temperature: 4)
    /// ```
    /// `intraClass` W > 0 adds W × `intraClassRelation` of the same (z-scored, when `standardized`) logits.
    /// `decoupled` β > 0 replaces the KL by `Tensor.decoupledKD` (α = 1, β) of the same logits: the classes below
    /// the teacher's answer weighted by β on every image instead of by 1 − p_g.
    /// `hard` W > 0 adds W × the cross-entropy of the student's raw logits against the teacher's argmax: the class
    /// the student is measured on, on the very image it sees, beside the shape of the teacher's answer.
    public static func distillation(student: Tensor, teacher: Tensor, temperature: Float = 1, standardized: Bool = false,
                                    intraClass: Float = 0, decoupled: Float = 0, hard: Float = 0) -> Tensor {
        if hard > 0 {
            let soft = distillation(student: student, teacher: teacher, temperature: temperature, standardized: standardized,
                                    intraClass: intraClass, decoupled: decoupled)
            return soft + Tensor.crossEntropy(student, targets: teacher.argmaxRows()) * hard
        }
        if decoupled > 0 {
            // DKD in place of the KL, on the same (z-scored) logits at the same temperature, T²-scaled.
            let (s, t) = standardized ? (student.standardizedRows(), teacher.standardizedRows()) : (student, teacher)
            let inv = 1 / temperature
            let dkd = temperature == 1 ? Tensor.decoupledKD(student: s, teacher: t, alpha: 1, beta: decoupled)
                : Tensor.decoupledKD(student: s * inv, teacher: t * inv, alpha: 1, beta: decoupled) * (temperature * temperature)
            return intraClass > 0 ? dkd + intraClassRelation(student: s, teacher: t) * intraClass : dkd
        }
        if intraClass > 0 {
            let (s, t) = standardized ? (student.standardizedRows(), teacher.standardizedRows()) : (student, teacher)
            return distillation(student: s, teacher: t, temperature: temperature) + intraClassRelation(student: s, teacher: t) * intraClass
        }
        if standardized {
            return distillation(student: student.standardizedRows(), teacher: teacher.standardizedRows(), temperature: temperature)
        }
        if temperature == 1 { return Tensor.distillationKL(student: student, teacher: teacher) }
        let inv = 1 / temperature
        return Tensor.distillationKL(student: student * inv, teacher: teacher * inv) * (temperature * temperature)
    }
}

extension DAFLLoss {
    /// The intra-class relation of DIST (Huang et al., "Knowledge Distillation from A Stronger Teacher", NeurIPS 2022),
    /// on logits: for each class, one minus the correlation across the batch between the student's and the teacher's
    /// logit for it, averaged over classes. KL matches each image's answer; this term asks the student to rank the
    /// batch's images by each class as the teacher does, the cross-image information a per-row z-score drops.
    /// Each class's column is centred and divided by its standard deviation plus `epsilon` (unbiased; PyTorch:
    /// `z(x) = (x.t() − mean) / (epsilon + std)`, `(z(s) − z(t)).square().sum() / (2 (N − 1) K)`), so a column that
    /// hardly varies (a collapsed generator's batch of one image) counts as flat instead of amplifying rounding
    /// noise; on logits rather than DIST's softmax, whose columns for an absent class barely vary.
    /// ```swift
    /// let l = DAFLLoss.intraClassRelation(student: s(x), teacher: tLogits)   // 0: the same ranking in every class
    /// ```
    public static func intraClassRelation(student: Tensor, teacher: Tensor, epsilon: Float = 0.1) -> Tensor {
        precondition(teacher.shape == student.shape && teacher.rank == 2 && teacher.shape[0] >= 2,
                     "intraClassRelation: teacher \(teacher.shape) vs student \(student.shape), N ≥ 2")
        let n = student.shape[0], k = student.shape[1]
        let zs = student.transposed().standardizedRows(epsilon: epsilon)
        let zt = teacher.detached().transposed().standardizedRows(epsilon: epsilon)
        let d = zs - zt
        return (d * d).sum() * (1 / Float(2 &* (n &- 1) &* k))
    }

    /// Mean cosine similarity between the teacher features of different images in the batch (every
    /// ordered pair i ≠ j; PyTorch: `u = F.normalize(f, dim=1); (u.sum(0).square().sum() − u.square().sum()) / (N(N−1))`).
    /// Added to the generator's objective (weight `LossWeights.diversity`), it pushes the images of a batch
    /// apart in the teacher's feature space, as CMI's contrastive term does. Not part of DAFL; off by default.
    /// ```swift
    /// let (_, f) = teacher.forwardWithFeatures(images)
    /// let l = DAFLLoss.featureSimilarity(f)   // 1: all alike, 0: orthogonal features
    /// ```
    public static func featureSimilarity(_ features: Tensor) -> Tensor {
        precondition(features.rank == 2 && features.shape[0] >= 2, "featureSimilarity: features [N ≥ 2, D], not \(features.shape)")
        let n = features.shape[0], d = features.shape[1]
        // u_i = f_i / max(|f_i|, 1e-12) (F.normalize); the sum over pairs is |Σu|² − Σ|u_i|², with no N×N matrix.
        var u = [Float](repeating: 0, count: n &* d), norms = [Float](repeating: 0, count: n), total = [Float](repeating: 0, count: d)
        features.data.withUnsafeBufferPointer { f in
            for i in 0..<n {
                var ss: Float = 0
                for k in 0..<d { ss += f[i &* d &+ k] * f[i &* d &+ k] }
                let r = Swift.max(ss.squareRoot(), 1e-12)
                norms[i] = r
                for k in 0..<d { u[i &* d &+ k] = f[i &* d &+ k] / r; total[k] += u[i &* d &+ k] }
            }
        }
        let pairs = Float(n &* (n &- 1))
        let self2 = u.reduce(0) { $0 + $1 * $1 }, sum2 = total.reduce(0) { $0 + $1 * $1 }
        let input = features
        return .result(shape: [], data: [(sum2 - self2) / pairs], parents: [features]) { g in
            // dL/du_i = 2(Σu − u_i)/pairs; through the normalisation, df_i = (g_i − u_i(u_i·g_i))/|f_i| (g_i/eps below eps).
            var df = [Float](repeating: 0, count: n &* d)
            let scale = 2 * g[0] / pairs
            input.data.withUnsafeBufferPointer { f in
                for i in 0..<n {
                    let base = i &* d
                    var dot: Float = 0
                    for k in 0..<d { dot += u[base &+ k] * (total[k] - u[base &+ k]) }
                    let ss = (0..<d).reduce(Float(0)) { $0 + f[base &+ $1] * f[base &+ $1] }
                    let projected = ss.squareRoot() > 1e-12
                    for k in 0..<d {
                        let gu = scale * (total[k] - u[base &+ k])
                        df[base &+ k] = (projected ? gu - u[base &+ k] * scale * dot : gu) / norms[i]
                    }
                }
            }
            df.withUnsafeBufferPointer { input.accumulateGrad($0) }
        }
    }
}
