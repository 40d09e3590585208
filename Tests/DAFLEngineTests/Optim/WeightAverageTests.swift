import Testing
@testable import DAFLEngine

@Suite struct WeightAverageTests {
    @Test func followsDuringWarmUpThenAverages() {
        var r1 = RNG(seed: 1), r2 = RNG(seed: 2)
        let model = Generator(latent: 4, width: 4, imageSize: 8, rng: &r1), shadow = Generator(latent: 4, width: 4, imageSize: 8, rng: &r2)
        let ema = WeightAverage(of: model, into: shadow, decay: 0.5, start: 1)
        #expect(shadow.stateDict.map(\.1.data) == model.stateDict.map(\.1.data))   // starts as a copy
        func bump(_ by: Float) { for p in model.parameters { p.data = p.data.map { $0 + by } } }
        bump(1); ema.update()                        // warm-up: a copy
        #expect(shadow.parameters.map(\.data) == model.parameters.map(\.data))
        let before = shadow.parameters.map(\.data)
        bump(2); ema.update()                        // average: 0.5·old + 0.5·new
        for (i, p) in shadow.parameters.enumerated() {
            for (j, v) in p.data.enumerated() { #expect(abs(v - (0.5 * before[i][j] + 0.5 * model.parameters[i].data[j])) < 1e-6) }
        }
        // Buffers (batch-norm running statistics) are copied, not averaged.
        let buffers = Set(model.stateDict.map(\.0)).subtracting(model.namedParameters.map(\.0))
        #expect(!buffers.isEmpty)
        for ((name, a), (_, m)) in zip(shadow.stateDict, model.stateDict) where buffers.contains(name) { #expect(a.data == m.data) }
        #expect(ema.updates == 2)
    }

    /// Uniform (stochastic weight averaging): the mean of the weights after updates start, start + 1, …
    @Test func uniformIsThePlainMeanFromStart() {
        var r1 = RNG(seed: 1), r2 = RNG(seed: 2)
        let model = Generator(latent: 4, width: 4, imageSize: 8, rng: &r1), shadow = Generator(latent: 4, width: 4, imageSize: 8, rng: &r2)
        let swa = WeightAverage(of: model, into: shadow, start: 2, uniform: true)
        func bump(_ by: Float) { for p in model.parameters { p.data = p.data.map { $0 + by } } }
        let w0 = model.parameters.map(\.data)
        bump(1); swa.update()                        // update 1: follows
        bump(2); swa.update()                        // update 2 (= start): a copy, the first weights averaged
        for (a, m) in zip(shadow.parameters, model.parameters) { #expect(a.data == m.data) }
        bump(4); swa.update()                        // weights w0+3, w0+7: mean w0+5
        bump(8); swa.update()                        // w0+3, w0+7, w0+15: mean w0+25/3
        for (i, p) in shadow.parameters.enumerated() {
            for (j, v) in p.data.enumerated() { #expect(abs(v - (w0[i][j] + 25.0 / 3)) < 1e-4) }
        }
        #expect(swa.updates == 4)
    }
}
