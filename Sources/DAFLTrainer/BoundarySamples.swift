import DAFLEngine

/// Boundary samples for the student: replayed images walked toward a class drawn uniformly, by signed-gradient
/// steps down the teacher's cross-entropy for it, then labelled by the teacher where they end.
///
/// The generator draws some classes rarely (Pullover, Coat and Sneaker make a few percent of its images), and
/// those are the classes the student agrees with its teacher on least. Walking an image of a common class toward
/// a rare one puts it near the teacher's boundary between them, where the teacher's soft answer says most
/// (as Heo et al., "Knowledge distillation with adversarial samples supporting decision boundary", 2019).
/// ```swift
/// BoundarySamples.walk(&x, toward: classes, teacher: t, epsilon: 0.1, steps: 5)
/// let labels = teacher(x)   // the teacher labels the moved images
/// ```
enum BoundarySamples {
    /// Steps per walk (`--boundary-steps`, default).
    static let steps = 5

    /// Which class an image walks toward (`--boundary-toward`).
    enum Toward: String, CaseIterable {
        /// A class drawn uniformly per image: every pair of classes, the rare ones' included.
        case uniform
        /// The teacher's second class for the image: the nearest boundary, between the classes it confuses.
        case runnerUp = "runner-up"
        /// The student's likeliest class other than the teacher's: where the student would cross first.
        case student
        /// A class drawn with odds ∝ 1 / (its count in the replay memory + the mean count): the classes the
        /// generator draws least, most often (an empty class twice as often as one at the mean).
        case rare
    }

    /// `size` classes drawn with odds ∝ 1 / (count + mean count), one `rng.next()` each.
    static func drawRare(counts: [Int], size: Int, rng: inout RNG) -> [Int] {
        let mean = Double(counts.reduce(0, +)) / Double(Swift.max(counts.count, 1))
        let odds = counts.map { 1 / (Double($0) + Swift.max(mean, 1)) }
        let total = odds.reduce(0, +)
        var cumulative: [Double] = [], sum = 0.0
        for o in odds { sum += o / total; cumulative.append(sum) }
        return (0..<size).map { _ in
            let u = Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
            return cumulative.firstIndex { u < $0 } ?? counts.count - 1
        }
    }

    /// For each row of `scores` (`[n, k]`), the highest-scoring class other than `excluded[row]`.
    static func likeliestOther(_ scores: Tensor, excluding excluded: [Int]) -> [Int] {
        let k = scores.shape[1]
        return scores.data.withUnsafeBufferPointer { p in
            excluded.enumerated().map { row, skip in
                var best = skip == 0 ? 1 : 0
                for c in 0..<k where c != skip && p[row &* k &+ c] > p[row &* k &+ best] { best = c }
                return best
            }
        }
    }

    /// Moves every image of `x` `steps` times by `epsilon`·sign(−∂CE(teacher(x), target)/∂x).
    ///
    /// With `stopAtTarget`, an image stops where the teacher first gives it its target class (`--boundary-stop`):
    /// it stays just past the boundary instead of walking on into the target class (the stopping rule of
    /// Heo et al.'s boundary-supporting samples). The check reads the logits of the step's own forward, so it
    /// costs nothing; an image that starts in its target class does not move.
    ///
    /// With `range`, every pixel is held inside it after each step (class impressions stay pictures: black to white).
    static func walk(_ x: inout Tensor, toward targets: [Int], teacher: any Classifier, epsilon: Float, steps: Int,
                     stopAtTarget: Bool = false, range: ClosedRange<Float>? = nil) {
        let perImage = x.count / Swift.max(targets.count, 1)
        for _ in 0..<steps {
            let probe = Tensor(shape: x.shape, data: x.data)
            probe.requiresGrad = true
            let logits = teacher(probe)
            let arrived = stopAtTarget ? zip(logits.argmaxRows(), targets).map { $0 == $1 } : nil
            if let arrived, arrived.allSatisfy({ $0 }) { return }
            Tensor.crossEntropy(logits, targets: targets).backward()
            guard let g = probe.grad else { return }
            let n = x.count
            x.data.withUnsafeMutableBufferPointer { xp in
                g.withUnsafeBufferPointer { gp in
                    for i in 0..<n where gp[i] != 0 {
                        if let arrived, arrived[i / perImage] { continue }
                        xp[i] -= gp[i] > 0 ? epsilon : -epsilon
                        if let range { xp[i] = Swift.min(Swift.max(xp[i], range.lowerBound), range.upperBound) }
                    }
                }
            }
        }
    }
}
