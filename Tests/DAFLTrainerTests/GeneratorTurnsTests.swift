import DAFLEngine
import Foundation
import RunEvents
import Testing
@testable import DAFLTrainer

/// `--generators K`: K generators take turns, an iteration each, with their own weights and Adam state,
/// filling one replay memory; logged, checkpointed and resumed exactly; one generator keeps the reference's stream.
@Suite struct GeneratorTurnsTests {
    static func config(iterations: Int = 4) -> DistillConfig {
        var c = TrainerTests.tinyConfig(iterations: iterations)
        c.generators = 2
        return c
    }

    /// A trainer of `config` after `steps` iterations (stopped there), with its events.
    static func stepped(_ steps: Int) throws -> (DAFLTrainer, EventBox) {
        let box = EventBox()
        let t = try TrainerTests.trainer(Self.config(), dir: try TrainerTests.tempDir(), box: box)
        for _ in 0..<steps { t.send(.stepOnce) }
        t.send(.stop(reason: "stopped"))
        #expect(t.run(startPaused: true) == .stopped)
        return (t, box)
    }

    @Test func eachGeneratorStepsOnItsOwnTurn() throws {
        let (fresh, _) = try Self.stepped(0), (one, _) = try Self.stepped(1), (two, box) = try Self.stepped(2)
        defer { for t in [fresh, one, two] { try? FileManager.default.removeItem(at: t.runDir) } }
        // Two generators drawn apart: different weights from the start.
        #expect(fresh.generators.count == 2 && fresh.generators[0].l1.weight.data != fresh.generators[1].l1.weight.data)
        let start = fresh.generators.map { $0.namedParameters.map(\.1.data) }
        // The first iteration is the first generator's turn only; the second, the second's.
        #expect(one.generatorOptimizers.map(\.stepCount) == [1, 0])
        #expect(one.generators[0].namedParameters.map(\.1.data) != start[0] && one.generators[1].namedParameters.map(\.1.data) == start[1])
        #expect(two.generatorOptimizers.map(\.stepCount) == [1, 1])
        #expect(two.generators[0].namedParameters.map(\.1.data) == one.generators[0].namedParameters.map(\.1.data))
        #expect(two.generators[1].namedParameters.map(\.1.data) != start[1])
        // Both fill the one memory, and every step says whose batch it was.
        #expect(two.replay.images.count == 2)
        #expect(box.steps.map(\.generator) == [1, 2] && box.steps.allSatisfy { $0.generators == 2 })
        #expect(box.all.contains { if case .config(let c) = $0 { c.settings["generators"] == "2" } else { false } })
    }

    @Test func resumesExactlyAndSavesEveryGenerator() throws {
        let (a, b2) = try straightAndResumed(Self.config())
        defer { for t in [a, b2] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b2.generators.count == 2 && b2.step == 2)
        #expect(b2.run() == .completed)
        #expect(a.student.namedParameters.map(\.1.data) == b2.student.namedParameters.map(\.1.data))
        for i in 0..<2 {
            #expect(a.generators[i].namedParameters.map(\.1.data) == b2.generators[i].namedParameters.map(\.1.data), "generator \(i + 1)")
        }
        #expect(a.generatorOptimizers.map(\.stepCount) == [2, 2])
        let second = try Safetensors.read(a.runDir.appendingPathComponent("generator-2.safetensors"))
        for (name, t) in a.generators[1].stateDict { #expect(second.tensors[name]?.values == t.data, "generator-2 \(name)") }
    }

    /// One generator is the reference: the same random stream, the same first generator and student, whatever `generators` says.
    @Test func oneGeneratorKeepsTheStream() throws {
        var one = Self.config(); one.generators = 1
        let dirA = try TrainerTests.tempDir(), dirB = try TrainerTests.tempDir()
        defer { for d in [dirA, dirB] { try? FileManager.default.removeItem(at: d) } }
        let a = try TrainerTests.trainer(one, dir: dirA, box: EventBox())
        let b = try TrainerTests.trainer(TrainerTests.tinyConfig(), dir: dirB, box: EventBox())
        #expect(a.run() == .completed && b.run() == .completed)
        #expect(a.student.namedParameters.map(\.1.data) == b.student.namedParameters.map(\.1.data))
        #expect(a.generator.namedParameters.map(\.1.data) == b.generator.namedParameters.map(\.1.data))
        #expect(!FileManager.default.fileExists(atPath: dirA.appendingPathComponent("generator-2.safetensors").path))
    }

    /// `--generators-together`: every generator generates, is judged and steps in every iteration; the memory
    /// gets one batch from each; logged, and resumed exactly.
    @Test func togetherEveryGeneratorStepsEveryIteration() throws {
        var c = Self.config(iterations: 3); c.generatorsTogether = true
        let box = EventBox(), dir = try TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try TrainerTests.trainer(c, dir: dir, box: box)
        t.send(.stepOnce); t.send(.stop(reason: "stopped"))
        let start = t.generators.map { $0.namedParameters.map(\.1.data) }
        #expect(t.run(startPaused: true) == .stopped)
        #expect(t.generatorOptimizers.map(\.stepCount) == [1, 1])
        for i in 0..<2 { #expect(t.generators[i].namedParameters.map(\.1.data) != start[i], "generator \(i + 1)") }
        #expect(t.replay.images.count == 2 && box.steps.count == 1)
        #expect(box.all.contains { if case .config(let e) = $0 { e.settings["generators_together"] == "true" } else { false } })
        #expect(Self.config().settings["generators_together"] == "false")

        let (a, b) = try straightAndResumed(c)
        defer { for t in [a, b] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b.run() == .completed)
        #expect(a.generatorOptimizers.map(\.stepCount) == [3, 3])
        #expect(a.student.namedParameters.map(\.1.data) == b.student.namedParameters.map(\.1.data))
        for i in 0..<2 { #expect(a.generators[i].namedParameters.map(\.1.data) == b.generators[i].namedParameters.map(\.1.data)) }
    }

    @Test func badValuesAreNamed() {
        for k in [0, 9] {
            var c = Self.config(); c.generators = k
            #expect(c.problems().contains { $0.contains("--generators must be between 1 and 8") })
        }
        var alone = Self.config(); alone.generators = 1; alone.generatorsTogether = true
        #expect(alone.problems().contains { $0.contains("--generators-together needs --generators 2 or more") })
        var c = Self.config(); c.targeted = true
        #expect(c.problems().contains { $0.contains("--generators above 1 cannot be combined with --targeted") })
    }
}
