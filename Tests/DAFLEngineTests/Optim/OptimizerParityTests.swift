import Testing
@testable import DAFLEngine

/// Three steps of each optimizer against torch.optim with the same gradients.
@Suite struct OptimizerParityTests {
    @Test(arguments: ["adam", "adam_nowd", "sgd", "sgd_plain"])
    func threeSteps(_ name: String) throws {
        let f = try Fixture(name)
        let p = f.tensor("p0", grad: true)
        let lr = f.float("lr"), wd = Float(f.meta("weight_decay")) ?? 0
        let opt: Optimizer = name.hasPrefix("adam")
            ? Adam([p], lr: lr, betas: (f.float("beta1"), f.float("beta2")), eps: f.float("eps"), weightDecay: wd)
            : SGD([p], lr: lr, momentum: f.float("momentum"), weightDecay: wd)
        for k in 1...3 {
            p.grad = f.values("g\(k)")
            opt.step()
            expectClose(p.data, f.values("p\(k)"), "\(name) step \(k)")
        }
    }

    @Test func learningRateChangesBetweenSteps() {
        let p = Tensor.parameter(shape: [1], data: [1])
        let opt = SGD([p], lr: 0.1)
        p.grad = [1]; opt.step()
        opt.learningRate = 0.01
        p.grad = [1]; opt.step()
        #expect(Swift.abs(p.data[0] - 0.89) < 1e-6)
    }

    @Test func skipsParametersWithoutGradient() {
        let a = Tensor.parameter(shape: [1], data: [1]), b = Tensor.parameter(shape: [1], data: [1])
        let opt = Adam([a, b], lr: 0.1)
        a.grad = [1]; opt.step()
        #expect(a.data[0] < 1 && b.data[0] == 1)
    }
}
