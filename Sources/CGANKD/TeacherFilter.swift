import DAFLEngine

/// cGAN-KD's filtering step (M2): the teacher scores each generated sample by its cross-entropy
/// against the label the sample was generated for, and a sample is kept when that score is at or
/// below its class's ρ-quantile on a burn-in set; optionally the kept samples take the teacher's
/// label instead (label adjustment).
/// ```swift
/// let filter = TeacherFilter(rho: 0.9, burnIn: scores, labels: labels, classes: 10)
/// let keep = filter.keeps(score: s, label: y)
/// ```
public struct TeacherFilter: Equatable, Sendable {
    public let rho: Float
    /// Per-class thresholds on the teacher's cross-entropy.
    public let thresholds: [Float]

    /// Thresholds from burn-in scores; a class without burn-in samples keeps everything.
    public init(rho: Float, burnIn scores: [Float], labels: [Int], classes: Int) {
        precondition(scores.count == labels.count)
        self.rho = rho
        var byClass = [[Float]](repeating: [], count: classes)
        for (s, y) in zip(scores, labels) { byClass[y].append(s) }
        thresholds = byClass.map { $0.isEmpty ? .infinity : Self.quantile($0, rho) }
    }

    public func keeps(score: Float, label: Int) -> Bool { score <= thresholds[label] }

    /// The q-quantile with linear interpolation between order statistics (numpy's default).
    public static func quantile(_ values: [Float], _ q: Float) -> Float {
        let v = values.sorted()
        let pos = Double(Swift.min(Swift.max(q, 0), 1)) * Double(v.count - 1)
        let lo = Int(pos.rounded(.down)), hi = Swift.min(lo + 1, v.count - 1)
        return v[lo] + Float(pos - Double(lo)) * (v[hi] - v[lo])
    }

    /// The teacher's cross-entropy against `labels` and its predicted class, per sample (no graph).
    public static func score(teacher: LeNet5, images: Tensor, labels: [Int]) -> (scores: [Float], predictions: [Int]) {
        teacher.setTraining(false)
        let logits = GradMode.noGrad { teacher(images) }
        let logp = GradMode.noGrad { logits.logSoftmax() }
        let k = logits.shape[1]
        return (labels.enumerated().map { -logp.data[$0.offset * k + $0.element] }, logits.argmaxRows())
    }
}
