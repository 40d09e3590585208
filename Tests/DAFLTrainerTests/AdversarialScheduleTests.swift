import DAFLEngine
import Foundation
import Testing
@testable import DAFLTrainer

/// `--adversarial-final W`: the adversarial weight falls along a cosine from `--adversarial` to W, is logged per step
/// and in the config, changes the run, and a resumed run continues exactly.
@Suite struct AdversarialScheduleTests {
    @Test func theWeightFollowsACosine() {
        var c = TrainerTests.tinyConfig(iterations: 100)
        #expect(DAFLTrainer.adversarialWeight(c, base: 3, done: 50) == 3)   // constant without it
        c.adversarialFinal = 1
        #expect(DAFLTrainer.adversarialWeight(c, base: 3, done: 0) == 3)
        #expect(abs(DAFLTrainer.adversarialWeight(c, base: 3, done: 50) - 2) < 1e-6)
        #expect(abs(DAFLTrainer.adversarialWeight(c, base: 3, done: 100) - 1) < 1e-6)
        #expect(abs(DAFLTrainer.adversarialWeight(c, base: 3, done: 250) - 1) < 1e-6)   // past the end: the final weight
    }

    @Test func loggedChangesTheRunAndResumesExactly() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.adversarialFinal = 0
        #expect(c.settings["adversarial_final"] == "0.0")
        #expect(TrainerTests.tinyConfig().settings["adversarial_final"] == "constant")

        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let scheduled = try TrainerTests.trainer(c, dir: dir, box: box)
        #expect(scheduled.run() == .completed)
        let logged = box.steps.compactMap(\.advWeight)
        let expected = (0..<4).map { Double(DAFLTrainer.adversarialWeight(c, base: 3, done: $0)) }
        #expect(logged == expected && logged.first == 3 && logged[3] < logged[2])

        let plainDir = try TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(at: plainDir) }
        let plain = try TrainerTests.trainer(TrainerTests.tinyConfig(iterations: 4), dir: plainDir, box: EventBox())
        #expect(plain.run() == .completed)
        #expect(plain.generator.namedParameters.map(\.1.data) != scheduled.generator.namedParameters.map(\.1.data))

        let (a, b) = try straightAndResumed(c)
        defer { for t in [a, b] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b.config.adversarialFinal == 0 && b.run() == .completed)
        #expect(a.generator.namedParameters.map(\.1.data) == b.generator.namedParameters.map(\.1.data))
    }

    @Test func badValuesAreNamed() {
        var c = TrainerTests.tinyConfig()
        c.adversarialFinal = -1
        #expect(c.problems().contains { $0.contains("--adversarial-final must be 0 or more") })
        c.adversarialFinal = 1; c.weights.adversarial = 0
        #expect(c.problems().contains { $0.contains("--adversarial-final needs --adversarial above 0") })
    }
}
