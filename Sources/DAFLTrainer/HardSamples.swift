import DAFLEngine

/// Hard samples for the student: images moved one signed-gradient step (FGSM) up its distillation loss.
///
/// The generator finds regions where the student disagrees with the teacher batch by batch; this finds
/// them image by image, next to images the student already sees, for the price of one student backward.
/// The caller has the teacher label the moved images, so the student never learns a guessed label.
/// ```swift
/// HardSamples.climb(&x, targets: teacherLogits, student: s, epsilon: 0.25, count: x.shape[0] / 2)
/// s.zeroGrad(); let t = teacher(x)
/// ```
enum HardSamples {
    /// Moves the first `count` images of `x` by `epsilon`·sign(∂L/∂x), L = the distillation loss of the
    /// student against `targets`. Leaves gradients in the student's parameters: zero them afterwards.
    static func climb(_ x: inout Tensor, targets: Tensor, student: any Classifier, epsilon: Float, count: Int,
                      temperature: Float = 1, standardized: Bool = false) {
        let probe = Tensor(shape: x.shape, data: x.data)
        probe.requiresGrad = true
        DAFLLoss.distillation(student: student(probe), teacher: targets, temperature: temperature, standardized: standardized).backward()
        guard let g = probe.grad else { return }
        let n = Swift.min(count, x.shape[0]) &* (x.count / Swift.max(x.shape[0], 1))
        x.data.withUnsafeMutableBufferPointer { xp in
            g.withUnsafeBufferPointer { gp in
                for i in 0..<n where gp[i] != 0 { xp[i] += gp[i] > 0 ? epsilon : -epsilon }
            }
        }
    }
}
