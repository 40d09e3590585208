import DAFLEngine

/// Stable views (`--stable-views`): a replayed image keeps its shift or mirror only where the teacher's class does
/// not depend on it.
///
/// The teacher was trained on centred pictures that all face one way: it calls mirrored boots something else, and
/// shirts shifted by two pixels T-shirts or coats (`scripts/teacher_invariance.py`). The student learns the teacher's
/// answer on every view it replays, so it spends capacity on answers the test set never asks for. Each image whose
/// moved view the teacher puts in another class than the stored image goes on unmoved.
/// ```swift
/// let stored = x.data
/// augmentation.move(&x.data, count: 128, side: 32, channels: 1, rng: &rng)
/// let (moved, kept) = StableViews.keep(&x, stored: stored, storedClasses: logits.argmaxRows(), teacher: teacher)
/// ```
public enum StableViews {
    /// Puts back `stored`'s image wherever the teacher's class for `x`'s differs from `storedClasses`. Returns how
    /// many images the move changed at all, and how many of those kept their moved view.
    @discardableResult
    public static func keep(_ x: inout Tensor, stored: [Float], storedClasses: [Int], teacher: any Classifier) -> (moved: Int, kept: Int) {
        let n = x.shape[0], per = x.count / Swift.max(n, 1)
        precondition(stored.count == x.count && storedClasses.count == n, "stable views: the stored batch must match the moved one")
        let classes = GradMode.noGrad { teacher(x) }.argmaxRows()
        var moved = 0, kept = 0
        x.data.withUnsafeMutableBufferPointer { xp in
            stored.withUnsafeBufferPointer { sp in
                for i in 0..<n {
                    let img = xp.baseAddress! + i &* per, was = sp.baseAddress! + i &* per
                    guard !same(img, was, count: per) else { continue }
                    moved &+= 1
                    if classes[i] == storedClasses[i] { kept &+= 1 } else { img.update(from: was, count: per) }
                }
            }
        }
        return (moved, kept)
    }

    private static func same(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Bool {
        for q in 0..<count where a[q] != b[q] { return false }
        return true
    }
}
