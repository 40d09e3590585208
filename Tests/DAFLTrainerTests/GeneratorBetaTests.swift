import DAFLEngine
import Foundation
import RunEvents
import Testing
@testable import DAFLTrainer

/// `--generator-beta1 B`: the generators' Adam β1; logged, resumed exactly, refused outside [0, 1).
@Suite struct GeneratorBetaTests {
    @Test func theGeneratorsAdamUsesIt() throws {
        var c = TrainerTests.tinyConfig(iterations: 3); c.generatorBeta1 = 0.5; c.generators = 2
        let (a, b, box) = try runBoth(c, { var d = c; d.generatorBeta1 = nil; return d }())
        #expect(a.generatorOptimizers.allSatisfy { $0.beta1 == 0.5 })
        #expect(b.generatorOptimizers.allSatisfy { $0.beta1 == 0.9 })
        // Another β1, another generator after the first step (both start from the same draw).
        #expect(a.generator.namedParameters.map(\.1.data) != b.generator.namedParameters.map(\.1.data))
        #expect(box.all.contains { if case .config(let e) = $0 { e.settings["generator_beta1"] == "0.5" } else { false } })
        #expect(TrainerTests.tinyConfig().settings["generator_beta1"] == "0.9")
    }

    @Test func resumesExactly() throws {
        var c = TrainerTests.tinyConfig(iterations: 4); c.generatorBeta1 = 0.5
        let (a, b) = try straightAndResumed(c)
        defer { for t in [a, b] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b.config.generatorBeta1 == 0.5 && b.run() == .completed)
        #expect(a.student.namedParameters.map(\.1.data) == b.student.namedParameters.map(\.1.data))
        #expect(a.generator.namedParameters.map(\.1.data) == b.generator.namedParameters.map(\.1.data))
    }

    @Test func badValuesAreNamed() {
        for v: Float in [-0.1, 1, .nan] {
            var c = TrainerTests.tinyConfig(); c.generatorBeta1 = v
            #expect(c.problems().contains { $0.contains("--generator-beta1 must be at least 0 and below 1") }, "\(v)")
        }
    }
}
