import Testing
@testable import DAFLEngine

/// L1 and MSE for scalar regression against PyTorch's `F.l1_loss` / `F.mse_loss` and finite differences.
@Suite struct RegressionLossTests {
    @Test func matchPyTorch() throws {
        let f = try Fixture("regression_losses")
        let targets = f.values("target")
        let p1 = f.tensor("pred", grad: true), p2 = f.tensor("pred", grad: true)
        let l1 = Tensor.l1Loss(p1, targets: targets), mse = Tensor.mseLoss(p2, targets: targets)
        expectClose(l1.data, f.values("l1"), "l1")
        expectClose(mse.data, f.values("mse"), "mse")
        l1.backward()
        mse.backward()
        expectClose(p1.grad ?? [], f.values("dl1"), "dl1 (0 at the exact hit, as PyTorch)")
        expectClose(p2.grad ?? [], f.values("dmse"), "dmse")
    }

    @Test func finiteDifferences() {
        let targets: [Float] = [0.1, 0.9, 0.5, 0.3, 0.7]
        // Away from the kink of |x| (predictions far from their targets).
        gradCheck([randn([5, 1], seed: 31, scale: 2)]) { Tensor.l1Loss($0[0], targets: targets) }
        gradCheck([randn([5, 1], seed: 32)]) { Tensor.mseLoss($0[0], targets: targets) }
    }
}
