import Foundation
import Testing
@testable import DAFLEngine

/// Largest |a−b| / (atol + rtol·|b|) over the elements: ≤ 1 means close.
func closeness(_ a: [Float], _ b: [Float], rtol: Float = 1e-4, atol: Float = 1e-5) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    var worst: Float = 0
    for i in a.indices {
        let r = Swift.abs(a[i] - b[i]) / (atol + rtol * Swift.abs(b[i]))
        if !(r <= worst) { worst = r.isNaN ? .infinity : r }
    }
    return worst
}

/// Expects `a` ≈ `b` elementwise, reporting the worst element.
func expectClose(_ a: [Float], _ b: [Float], rtol: Float = 1e-4, atol: Float = 1e-5, _ what: String,
                 sourceLocation: SourceLocation = #_sourceLocation) {
    guard a.count == b.count else {
        Issue.record("\(what): \(a.count) values vs \(b.count) expected", sourceLocation: sourceLocation)
        return
    }
    let c = closeness(a, b, rtol: rtol, atol: atol)
    #expect(c <= 1, "\(what): off by \(c)× tolerance", sourceLocation: sourceLocation)
}

/// Checks the analytic gradients of `f` at `inputs` against central finite differences.
/// The loss is Σ f(x)·r with a fixed random r, so every output element matters.
func gradCheck(_ inputs: [Tensor], h: Float = 1e-2, rtol: Float = 2e-2, atol: Float = 2e-3,
               sourceLocation: SourceLocation = #_sourceLocation, _ f: ([Tensor]) -> Tensor) {
    var rng = RNG(seed: 99)
    for t in inputs { t.requiresGrad = true; t.grad = nil }
    let y = f(inputs)
    let r = Tensor(shape: y.shape, data: rng.normal(count: y.count))
    (y * r).sum().backward()
    func loss() -> Double {
        GradMode.noGrad {
            let out = f(inputs)
            var s = 0.0
            for i in 0..<out.count { s += Double(out.data[i]) * Double(r.data[i]) }
            return s
        }
    }
    for (k, t) in inputs.enumerated() {
        let analytic = t.grad ?? [Float](repeating: 0, count: t.count)
        var numeric = [Float](repeating: 0, count: t.count)
        for i in 0..<t.count {
            let old = t.data[i]
            t.data[i] = old + h; let up = loss()
            t.data[i] = old - h; let down = loss()
            t.data[i] = old
            numeric[i] = Float((up - down) / Double(2 * h))
        }
        let c = closeness(analytic, numeric, rtol: rtol, atol: atol)
        #expect(c <= 1, "input \(k) \(t.shape): analytic vs numeric gradient off by \(c)× tolerance",
                sourceLocation: sourceLocation)
    }
}

/// A tensor of seeded normal values.
func randn(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
    var rng = RNG(seed: seed)
    return Tensor(shape: shape, data: rng.normal(count: shape.reduce(1, *)).map { $0 * scale })
}

/// Expects max|a−b| ≤ rtol·max(1, max|b|): error relative to the tensor's scale. For whole-model
/// gradients, where some true values are 0 (a bias just before a training-mode batch norm)
/// and float32 leaves only rounding noise there.
func expectCloseToScale(_ a: [Float], _ b: [Float], rtol: Float = 1e-4, _ what: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
    let scale = Swift.max(1, b.map { Swift.abs($0) }.max() ?? 0)
    expectClose(a, b, rtol: 0, atol: rtol * scale, what, sourceLocation: sourceLocation)
}

/// The pieces of one small DAFL iteration, all drawn from one seed: a generator (latent 8, width 8),
/// a frozen LeNet-5 teacher in eval mode, a LeNet-5-half student, their Adam optimizers and 4 noise vectors.
struct TinyDAFL {
    let generator: Generator, teacher: LeNet5, student: LeNet5
    let generatorOptimizer: Adam, studentOptimizer: Adam
    let noise: Tensor

    init(seed: UInt64) {
        var rng = RNG(seed: seed)
        generator = Generator(latent: 8, width: 8, rng: &rng)
        teacher = LeNet5(.full, rng: &rng)
        student = LeNet5(.half, rng: &rng)
        teacher.setTraining(false); teacher.freeze()
        generatorOptimizer = Adam(generator.parameters, lr: 0.2)
        studentOptimizer = Adam(student.parameters, lr: 2e-3)
        noise = Tensor(shape: [4, 8], data: rng.normal(count: 32))
    }
}
