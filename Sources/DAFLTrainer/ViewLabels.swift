import DAFLEngine
import Foundation

/// Who labels a replayed image after its shift, mirror and mix (`--view-labels`).
///
/// `teacher` (the default) asks the teacher again for every changed image: the student matches the teacher on
/// exactly what it sees. The teacher was trained on centred pictures that all face one way, though, and its answers
/// on moved pictures are often not the garment's (mirrored boots, shifted shirts: `scripts/teacher_invariance.py`).
/// `stored` keeps the teacher's answer for the image as generated, which says that a garment moved by two pixels or
/// mirrored is the same garment, and mixes two images' answers as mixup mixes their pixels. No teacher forward.
/// ```swift
/// let mixes = augmentation.repaint(&x.data, count: 128, side: 32, channels: 1, rng: &rng)
/// let targets = ViewLabels.mixed(storedLogits, mixes)
/// ```
public enum ViewLabels: String, CaseIterable, Sendable {
    case teacher, stored

    /// Logits whose softmax is λᵢ·softmax(tᵢ) + (1 − λᵢ)·softmax(t_partner(i)), row by row: the log of the mixed
    /// probabilities (floored at 1e-30). `t` unchanged when there was no mix.
    public static func mixed(_ t: Tensor, _ mixes: StudentAugmentation.Mixes?) -> Tensor {
        guard let mixes else { return t }
        let k = t.shape[1], n = t.shape[0]
        precondition(mixes.partner.count == n && mixes.lambda.count == n, "view labels: \(n) rows, \(mixes.partner.count) mixes")
        let p = GradMode.noGrad { t.softmax() }.data
        var out = [Float](repeating: 0, count: n &* k)
        for i in 0..<n {
            let j = mixes.partner[i], lam = mixes.lambda[i]
            for c in 0..<k {
                out[i &* k &+ c] = Foundation.log(Swift.max(lam * p[i &* k &+ c] + (1 - lam) * p[j &* k &+ c], 1e-30))
            }
        }
        return Tensor(shape: t.shape, data: out)
    }
}
