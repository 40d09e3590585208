import DAFLEngine

/// Sharpness-aware minimisation (SAM, Foret et al., ICLR 2021) for the student's replayed steps (`--student-sam ρ`).
///
/// The student learns the teacher's function on generated images and is measured on photographs: a shift of
/// distribution, under which a flat minimum is the one more likely to carry over. SAM takes each step with the
/// gradient at the worst nearby weights, w + ρ·g/‖g‖ (g the gradient at w), rather than at w.
/// ```swift
/// loss().backward()
/// SharpnessAware.regrade(student.parameters, rho: 0.05, zeroGrad: opt.zeroGrad) { loss() }
/// opt.step()
/// ```
public enum SharpnessAware {
    /// Replaces the gradients left by `loss().backward()` at w with those at w + ρ·g/‖g‖ (the norm over every
    /// parameter with a gradient), and puts the weights back at w. Leaves them as they are when ‖g‖ is 0.
    public static func regrade(_ parameters: [Tensor], rho: Float, zeroGrad: () -> Void, loss: () -> Tensor) {
        var squares: Double = 0
        for p in parameters { if let g = p.grad { for v in g { squares += Double(v) * Double(v) } } }
        let norm = squares.squareRoot()
        guard norm > 0, norm.isFinite else { return }
        let scale = Float(Double(rho) / norm)
        // The weights as they were, put back bit for bit (w + e − e can round elsewhere).
        let kept = parameters.map { $0.grad == nil ? nil : $0.data }
        for p in parameters {
            guard let g = p.grad else { continue }
            g.withUnsafeBufferPointer { gp in
                p.data.withUnsafeMutableBufferPointer { w in for j in 0..<w.count { w[j] += scale * gp[j] } }
            }
        }
        zeroGrad()
        loss().backward()
        for (p, w) in zip(parameters, kept) { if let w { p.data = w } }
    }
}
