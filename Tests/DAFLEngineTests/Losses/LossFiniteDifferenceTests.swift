import Testing
@testable import DAFLEngine

@Suite struct LossFiniteDifferenceTests {
    @Test func crossEntropy() {
        gradCheck([randn([6, 10], seed: 30, scale: 2)]) { .crossEntropy($0[0], targets: [0, 3, 9, 3, 5, 1]) }
    }

    @Test func distillation() {
        let teacher = randn([6, 10], seed: 31, scale: 3)
        gradCheck([randn([6, 10], seed: 32, scale: 2)]) { DAFLLoss.distillation(student: $0[0], teacher: teacher) }
        gradCheck([randn([6, 10], seed: 35, scale: 2)]) { DAFLLoss.distillation(student: $0[0], teacher: teacher, temperature: 4) }
        gradCheck([randn([6, 10], seed: 36, scale: 2)]) { DAFLLoss.distillation(student: $0[0], teacher: teacher, standardized: true) }
        gradCheck([randn([6, 10], seed: 37, scale: 2)]) { DAFLLoss.distillation(student: $0[0], teacher: teacher, temperature: 2, standardized: true) }
        gradCheck([randn([6, 10], seed: 38, scale: 2)]) { DAFLLoss.distillation(student: $0[0], teacher: teacher, standardized: true, intraClass: 0.5) }
    }

    @Test func decoupledKD() {
        let teacher = randn([6, 10], seed: 50, scale: 3)
        gradCheck([randn([6, 10], seed: 51, scale: 2)]) { .decoupledKD(student: $0[0], teacher: teacher, alpha: 1, beta: 8) }
        gradCheck([randn([6, 10], seed: 52, scale: 2)]) { .decoupledKD(student: $0[0], teacher: teacher, alpha: 0.5, beta: 2) }
        gradCheck([randn([6, 10], seed: 53, scale: 2)]) { DAFLLoss.distillation(student: $0[0], teacher: teacher, temperature: 2, standardized: true, decoupled: 4) }
        gradCheck([randn([6, 10], seed: 54, scale: 2)]) { DAFLLoss.distillation(student: $0[0], teacher: teacher, standardized: true, intraClass: 0.5, decoupled: 1) }
        gradCheck([randn([6, 10], seed: 55, scale: 2)]) { DAFLLoss.distillation(student: $0[0], teacher: teacher, standardized: true, hard: 0.5) }
        let hintTarget = randn([6, 5], seed: 57).data
        gradCheck([randn([6, 10], seed: 56, scale: 2), randn([6, 5], seed: 58)]) {
            DAFLLoss.distillation(student: $0[0], teacher: teacher, standardized: true) + Tensor.mseLoss($0[1], targets: hintTarget) * 0.5
        }
    }

    @Test func intraClassRelation() {
        let teacher = randn([6, 10], seed: 46, scale: 3)
        gradCheck([randn([6, 10], seed: 47, scale: 2)]) { DAFLLoss.intraClassRelation(student: $0[0], teacher: teacher) }
        gradCheck([randn([3, 4], seed: 48)]) { DAFLLoss.intraClassRelation(student: $0[0], teacher: randn([3, 4], seed: 49)) }
    }

    @Test func featureSimilarity() {
        gradCheck([randn([5, 7], seed: 39)]) { DAFLLoss.featureSimilarity($0[0]) }
        let relu = Tensor(shape: [4, 6], data: randn([4, 6], seed: 40).data.map { Swift.abs($0) + 0.1 })
        gradCheck([relu]) { DAFLLoss.featureSimilarity($0[0]) }
    }

    @Test func totalVariation() {
        gradCheck([randn([2, 3, 5, 4], seed: 36)]) { $0[0].totalVariation() }
        gradCheck([randn([1, 1, 2, 7], seed: 37)]) { $0[0].totalVariation() }
    }

    @Test func borderPrior() {
        gradCheck([randn([2, 3, 6, 5], seed: 38)]) { $0[0].borderDeviation(from: -0.81, width: 2) }
        gradCheck([randn([1, 2, 4, 4], seed: 39)]) { $0[0].borderDeviation(from: 0.5, width: 1) }
        gradCheck([randn([1, 1, 8, 8], seed: 40)]) { $0[0].borderDeviation(from: 0, width: 3) }
        // The symmetry prior, odd and even widths (an odd width's middle column is its own mirror).
        gradCheck([randn([2, 3, 4, 5], seed: 41)]) { $0[0].mirrorAsymmetry() }
        gradCheck([randn([1, 2, 3, 6], seed: 42)]) { $0[0].mirrorAsymmetry() }
    }

    @Test func daflTerms() {
        // argmax is piecewise constant: the one-hot loss is smooth away from ties.
        let logits = randn([8, 10], seed: 33, scale: 2)
        gradCheck([logits]) { DAFLLoss.oneHot($0[0]) }
        // The balanced assignment is piecewise constant too; a favoured class makes it differ from the argmax.
        let skewed = Tensor(shape: [8, 10], data: logits.data.enumerated().map { $0.offset % 10 == 8 ? $0.element + 3 : $0.element })
        #expect(DAFLLoss.balancedTargets(skewed) != skewed.argmaxRows())
        gradCheck([skewed]) { DAFLLoss.balancedOneHot($0[0]) }
        gradCheck([logits]) { DAFLLoss.informationEntropy($0[0]) }
        gradCheck([logits]) { DAFLLoss.informationEntropy($0[0], temperature: 0.5) }
        let mix: [Float] = [0.35, 0.2, 0.15, 0.1, 0.08, 0.05, 0.04, 0.02, 0.008, 0.002]
        gradCheck([logits]) { DAFLLoss.informationEntropy($0[0], memory: mix, share: 0.25) }
        gradCheck([logits]) { DAFLLoss.informationEntropy($0[0], temperature: 0.5, memory: mix, share: 0.6) }
        gradCheck([randn([2, 1, 5, 5], seed: 55, scale: 3)]) { DAFLLoss.saturation($0[0]) }
        let f = Tensor(shape: [8, 12], data: randn([8, 12], seed: 34).data.map { Swift.abs($0) + 0.05 })
        gradCheck([f]) { DAFLLoss.activation($0[0]) }
    }

    @Test func discrepancyKL() {
        gradCheck([randn([6, 10], seed: 37, scale: 2), randn([6, 10], seed: 38, scale: 2)], h: 1e-3) {
            DAFLLoss.discrepancyKL(teacher: $0[0], student: $0[1])
        }
        // Gated by the teacher's top probability: piecewise smooth, and these rows sit far from the threshold.
        let rowScale: [Float] = [0.3, 4, 0.5, 5, 0.2, 3]
        let t = Tensor(shape: [6, 10], data: randn([6, 10], seed: 57).data.enumerated().map { $0.element * rowScale[$0.offset / 10] })
        let s = randn([6, 10], seed: 58, scale: 2)
        let p = t.softmax().data, top = (0..<6).map { p[($0 * 10)..<($0 * 10 + 10)].max()! }
        #expect(top.contains { $0 > 0.6 } && top.contains { $0 < 0.4 })
        gradCheck([t, s], h: 1e-3) { DAFLLoss.discrepancyKL(teacher: $0[0], student: $0[1], sure: 0.5) }
        gradCheck([randn([6, 10], seed: 47, scale: 3), randn([6, 10], seed: 48, scale: 2)], h: 1e-3) {
            DAFLLoss.discrepancy(teacher: $0[0], student: $0[1], measure: .zkl)
        }
    }

    @Test func discrepancy() {
        // |t − s| has a kink at t = s; random logits keep the differences well away from 0.
        gradCheck([randn([6, 10], seed: 35, scale: 2), randn([6, 10], seed: 36, scale: 2)]) {
            DAFLLoss.discrepancy(teacher: $0[0], student: $0[1])
        }
    }

    @Test func informationEntropyBounds() {
        // Balanced predictions reach the minimum −log10(K); one class everywhere gives 0.
        let k = 10
        var balanced = [Float](repeating: -10, count: k * k)
        for i in 0..<k { balanced[i * k + i] = 10 }
        let ie = DAFLLoss.informationEntropy(Tensor(shape: [k, k], data: balanced)).item
        #expect(Swift.abs(ie - (-1)) < 1e-3)
        var same = [Float](repeating: -30, count: k * k)
        for i in 0..<k { same[i * k] = 30 }
        #expect(Swift.abs(DAFLLoss.informationEntropy(Tensor(shape: [k, k], data: same)).item) < 1e-3)
    }

    @Test func activationIsMinusMeanAbs() {
        let f = Tensor(shape: [2, 3], data: [1, -2, 3, 0, 4, -6])
        #expect(Swift.abs(DAFLLoss.activation(f).item - (-16.0 / 6)) < 1e-6)
    }
}
