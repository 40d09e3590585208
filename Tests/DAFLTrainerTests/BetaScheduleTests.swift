import DAFLEngine
import Foundation
import Testing
@testable import DAFLTrainer

/// `--beta-final B`: the information-entropy weight follows a cosine from `--beta` to B, is logged per step (the
/// dashboard's β) and in the config, changes the run, and a resumed run continues exactly.
@Suite struct BetaScheduleTests {
    @Test func theWeightFollowsACosine() {
        var c = TrainerTests.tinyConfig(iterations: 100)
        #expect(DAFLTrainer.betaWeight(c, base: 5, done: 50) == 5)   // constant without it
        c.betaFinal = 15
        #expect(DAFLTrainer.betaWeight(c, base: 5, done: 0) == 5)
        #expect(abs(DAFLTrainer.betaWeight(c, base: 5, done: 50) - 10) < 1e-5)
        #expect(abs(DAFLTrainer.betaWeight(c, base: 5, done: 100) - 15) < 1e-5)
    }

    @Test func loggedChangesTheRunAndResumesExactly() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.betaFinal = 20
        #expect(c.settings["beta_final"] == "20.0")
        #expect(TrainerTests.tinyConfig().settings["beta_final"] == "constant")

        let (scheduled, plain, box) = try runBoth(c, TrainerTests.tinyConfig(iterations: 4))
        let base = c.weights.beta
        let logged = box.steps.map(\.beta)
        #expect(logged == (0..<4).map { Double(DAFLTrainer.betaWeight(c, base: base, done: $0)) })
        #expect(logged.first == Double(base) && logged[3] > logged[2])
        #expect(plain.generator.namedParameters.map(\.1.data) != scheduled.generator.namedParameters.map(\.1.data))

        let (a, b) = try straightAndResumed(c)
        defer { for t in [a, b] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b.config.betaFinal == 20 && b.run() == .completed)
        #expect(a.generator.namedParameters.map(\.1.data) == b.generator.namedParameters.map(\.1.data))
        #expect(a.student.namedParameters.map(\.1.data) == b.student.namedParameters.map(\.1.data))
    }

    @Test func badValuesAreNamed() {
        for v: Float in [-1, .infinity, .nan] {
            var c = TrainerTests.tinyConfig(); c.betaFinal = v
            #expect(c.problems().contains { $0.contains("--beta-final must be 0 or more") }, "\(v)")
        }
    }
}
