import DAFLEngine
import Foundation
import Testing
@testable import CGANKD

@Suite struct StudentTrainingTests {
    @Test func lossIsWeightedCrossEntropyPlusTemperedKL() {
        let s: [Float] = [1.0, -0.5, 2.0, 0.3, 0.1, -1.2], t: [Float] = [0.2, 1.5, -0.3, 2.2, -0.7, 0.4]
        let targets = [2, 0]
        var settings = StudentTraining.Settings()
        (settings.ceWeight, settings.kdWeight, settings.temperature) = (0.1, 0.9, 4)
        let got = StudentTraining.loss(Tensor(shape: [2, 3], data: s), targets: targets, teacher: Tensor(shape: [2, 3], data: t),
                                       settings: settings).item
        // By hand, in Double: mean CE, and Σ q log(q/p) / N at temperature 4, times T².
        func softmax(_ x: ArraySlice<Float>, _ temp: Double) -> [Double] {
            let e = x.map { exp(Double($0) / temp) }, z = e.reduce(0, +)
            return e.map { $0 / z }
        }
        var ce = 0.0, kl = 0.0
        for r in 0..<2 {
            let row = s[(r * 3)..<(r * 3 + 3)], trow = t[(r * 3)..<(r * 3 + 3)]
            ce -= log(softmax(row, 1)[targets[r]])
            let p = softmax(row, 4), q = softmax(trow, 4)
            for k in 0..<3 { kl += q[k] * log(q[k] / p[k]) }
        }
        let expected = 0.1 * ce / 2 + 0.9 * 16 * kl / 2
        #expect(abs(Double(got) - expected) < 1e-5 * max(1, abs(expected)), "\(got) vs \(expected)")
        // Without teacher logits only the (weighted) cross-entropy remains.
        let ceOnly = StudentTraining.loss(Tensor(shape: [2, 3], data: s), targets: targets, teacher: nil, settings: settings).item
        #expect(abs(Double(ceOnly) - 0.1 * ce / 2) < 1e-6)
    }
}
