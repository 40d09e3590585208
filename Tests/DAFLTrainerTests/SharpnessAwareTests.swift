import DAFLEngine
import Foundation
import Testing
@testable import DAFLTrainer

@Suite struct SharpnessAwareTests {
    /// L(w) = Σ a_j·w_j² has gradient 2a∘w: SAM's gradient is 2a∘(w + ρ·g/‖g‖), and the weights end where they began.
    @Test func takesTheGradientAtTheWorstNearbyWeights() {
        let w = Tensor(shape: [3], data: [1, -2, 0.5], requiresGrad: true)
        let a: [Float] = [1, 3, 2]
        let coefficients = Tensor(shape: [3], data: a)
        let loss = { (w * w * coefficients).sum() }
        loss().backward()
        let g = w.grad!
        let norm = g.map { $0 * $0 }.reduce(0, +).squareRoot()
        SharpnessAware.regrade([w], rho: 0.1, zeroGrad: { w.grad = nil }, loss: loss)
        #expect(w.data == [1, -2, 0.5])
        for j in 0..<3 {
            let moved = w.data[j] + 0.1 * g[j] / norm
            #expect(abs(w.grad![j] - 2 * a[j] * moved) < 1e-5)
        }
        // A zero gradient leaves everything as it is.
        let flat = Tensor(shape: [2], data: [0, 0], requiresGrad: true)
        (flat * flat).sum().backward()
        SharpnessAware.regrade([flat], rho: 0.1, zeroGrad: { flat.grad = nil }, loss: { (flat * flat).sum() })
        #expect(flat.grad == [0, 0] && flat.data == [0, 0])
    }

    /// `--student-sam ρ`: logged in the config, resumed exactly, a different student than plain steps, bad values named.
    @Test func studentSAMIsLoggedAndResumed() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.studentSAM = 0.05
        try expectLoggedResumedAndAnotherStudent(c, key: "student_sam", value: "0.05", off: "0.0")
        var bad = c; bad.studentSAM = -1
        #expect(bad.problems().contains { $0.contains("--student-sam") })
    }
}
