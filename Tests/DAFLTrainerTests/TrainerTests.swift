import DAFLEngine
import Foundation
import RunEvents
import Testing
@testable import DAFLTrainer

/// Collects a trainer's events (from whichever thread emits them).
final class EventBox: @unchecked Sendable {
    private var events: [RunEvent] = []
    private let lock = NSLock()
    func add(_ e: RunEvent) { lock.lock(); events.append(e); lock.unlock() }
    var all: [RunEvent] { lock.lock(); defer { lock.unlock() }; return events }
    var steps: [StepEvent] { all.compactMap { if case .step(let s) = $0 { s } else { nil } } }
    var controls: [ControlEvent] { all.compactMap { if case .control(let c) = $0 { c } else { nil } } }
}

@Suite struct TrainerTests {
    /// A tiny run: random teacher, 4 images per batch, an 8-channel generator.
    static func tinyConfig(iterations: Int = 4) -> DistillConfig {
        var c = DistillConfig.preset(.cpu)
        c.batch = 4; c.iterations = iterations; c.latent = 8; c.generatorWidth = 8
        c.studentSteps = 2; c.replayBatches = 2; c.evalEvery = 1000; c.checkpointEvery = 2; c.samplesEvery = 2; c.samplesCount = 2
        return c
    }

    static func tinyTeacher(seed: UInt64 = 7) -> LeNet5 {
        var rng = RNG(seed: seed)
        return LeNet5(.full, rng: &rng)
    }

    static func tempDir() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("dafl-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    static func trainer(_ c: DistillConfig, dir: URL, box: EventBox, teacher: LeNet5 = tinyTeacher()) throws -> DAFLTrainer {
        try DAFLTrainer(config: c, teacher: teacher, preprocessing: .fashionMNIST, test: nil, runDir: dir, runName: "t",
                        teacherPath: "t.safetensors", dataDir: "-", sink: box.add)
    }

    @Test func runsToCompletionAndWritesModels() throws {
        let dir = try Self.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Self.trainer(Self.tinyConfig(), dir: dir, box: box)
        #expect(t.run() == .completed)
        #expect(box.steps.map(\.step) == [1, 2, 3, 4])
        #expect(box.steps.allSatisfy { $0.hist.reduce(0, +) == 4 && $0.hist.count == 10 })
        #expect(box.all.contains { if case .samples(let s) = $0 { s.images.count == 2 && s.images[0].bytes.count == 1024 } else { false } })
        guard case .end(let end) = box.all.last else { Issue.record("no end event"); return }
        #expect(end.reason == "completed")
        for f in ["student.safetensors", "generator.safetensors", "checkpoint.json", "checkpoint-00000004.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(f).path), "\(f)")
        }
        // Older checkpoint files are removed once a newer one is recorded.
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoint-00000002.safetensors").path))
        let (student, _, meta) = try ModelFile.loadClassifier(dir.appendingPathComponent("student.safetensors"))
        #expect(student.width == .half && meta["arch"] == "lenet5-half")
    }

    @Test func commandsApplyAtStepBoundariesAndAreLogged() throws {
        let dir = try Self.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Self.trainer(Self.tinyConfig(iterations: 3), dir: dir, box: box)
        t.send(.scale(.beta, 2), source: "test")
        t.send(.set(.alpha, 0.5), source: "test")
        t.send(.scale(.oh, -1), source: "test")   // invalid: ignored, not logged
        #expect(t.run() == .completed)
        let sets = box.controls.filter { $0.action == "set" }
        #expect(sets.count == 2)
        #expect(sets[0].key == "beta" && sets[0].old == 5 && sets[0].new == 10)
        #expect(sets[1].key == "alpha" && sets[1].new == 0.5)
        #expect(box.steps.allSatisfy { $0.beta == 10 && $0.alpha == 0.5 && $0.ohWeight == 1 })
    }

    @Test func pauseBlocksUntilResumeAndStepOnceAdvancesOne() throws {
        let dir = try Self.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Self.trainer(Self.tinyConfig(iterations: 3), dir: dir, box: box)
        let done = DispatchSemaphore(value: 0)
        let runner = UncheckedBox(t)
        DispatchQueue.global().async { _ = runner.value.run(startPaused: true); done.signal() }
        t.send(.stepOnce, source: "test")
        // Wait on what the trainer reports, not on a clock.
        while box.steps.count < 1 { usleep(1000) }
        #expect(t.state == .paused)
        #expect(done.wait(timeout: .now() + 0.2) == .timedOut)
        #expect(box.steps.count == 1)
        t.send(.resume, source: "test")
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(box.steps.count == 3 && t.state == .completed)
        #expect(box.controls.map(\.action) == ["step-once", "resume"])
    }

    @Test func stopSavesAndEnds() throws {
        let dir = try Self.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Self.trainer(Self.tinyConfig(iterations: 100), dir: dir, box: box)
        t.send(.stop(reason: "interrupted"), source: "signal")
        #expect(t.run() == .stopped)
        guard case .end(let end) = box.all.last else { Issue.record("no end event"); return }
        #expect(end.reason == "interrupted" && end.step == 0)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("checkpoint.json").path))
    }

    @Test func nonFiniteLossHaltsBeforeTouchingWeights() throws {
        let dir = try Self.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let teacher = Self.tinyTeacher()
        teacher.fc2.bias.data[3] = .nan
        let t = try Self.trainer(Self.tinyConfig(), dir: dir, box: box, teacher: teacher)
        let before = t.generator.parameters.map(\.data) + t.student.parameters.map(\.data)
        #expect(t.run() == .halted)
        // Every parameter as it was: the halt came before the backward pass and the optimizer steps.
        #expect(t.generator.parameters.map(\.data) + t.student.parameters.map(\.data) == before)
        #expect(box.all.contains { if case .halt(let h) = $0 { h.reason == "non-finite-loss" && h.detail.contains("no weight was updated") } else { false } })
        #expect(box.steps.isEmpty)
    }

    /// A checkpoint that cannot be written (full disk, read-only directory; here a directory in the way)
    /// stops the run at once, naming the file, and leaves the previous checkpoint to resume from.
    @Test func unwritableCheckpointHaltsAndKeepsThePreviousOne() throws {
        let dir = try Self.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A directory where the step-4 tensors' temporary goes: creating it fails, even for root.
        let blocker = dir.appendingPathComponent(".checkpoint-00000004.safetensors.tmp-\(getpid())")
        try FileManager.default.createDirectory(at: blocker.appendingPathComponent("x"), withIntermediateDirectories: true)
        let t = try Self.trainer(Self.tinyConfig(iterations: 8), dir: dir, box: box)
        #expect(t.run() == .halted)
        #expect(t.step == 4 && box.steps.map(\.step) == [1, 2, 3, 4])
        let halts = box.all.compactMap { if case .halt(let h) = $0 { h } else { nil } }
        #expect(halts.count == 1 && halts[0].reason == "write-failed"
                && halts[0].detail.contains(dir.appendingPathComponent("checkpoint-00000004.safetensors").path))
        #expect(halts.first?.safeCheckpoint == dir.appendingPathComponent("checkpoint-00000002.safetensors").path)
        guard case .end(let end) = box.all.last else { Issue.record("no end event"); return }
        #expect(end.reason == "halted")
        try? FileManager.default.removeItem(at: blocker)
        let resumed = try DAFLTrainer.resume(runDir: dir, teacher: Self.tinyTeacher(), preprocessing: .fashionMNIST, test: nil, sink: { _ in })
        #expect(resumed.step == 2)
        #expect(resumed.run() == .completed)
    }

    /// The end of a run that cannot write its models is a halt (exit status 3), not a completion.
    @Test func unwritableFinalModelsHalt() throws {
        let dir = try Self.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("student.safetensors/x"), withIntermediateDirectories: true)
        let t = try Self.trainer(Self.tinyConfig(iterations: 2), dir: dir, box: box)
        #expect(t.run() == .halted)
        #expect(box.all.contains { if case .halt(let h) = $0 { h.reason == "write-failed" && h.detail.contains("student.safetensors") } else { false } })
        // The final checkpoint was still written.
        #expect(try CheckpointInfo.load(runDir: dir).step == 2)
    }

    @Test func resumeContinuesExactlyWhereTheCheckpointLeftOff() throws {
        let dirA = try Self.tempDir(), dirB = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dirA); try? FileManager.default.removeItem(at: dirB) }
        // A: four steps straight. B: two steps, stop, resume, two more.
        let a = try Self.trainer(Self.tinyConfig(iterations: 4), dir: dirA, box: EventBox())
        #expect(a.run() == .completed)
        let boxB = EventBox()
        var c2 = Self.tinyConfig(iterations: 4)
        c2.checkpointEvery = 2
        let b1 = try Self.trainer(c2, dir: dirB, box: boxB)
        // Two single steps from a paused start, then stop (which checkpoints at step 2).
        b1.send(.stepOnce); b1.send(.stepOnce); b1.send(.stop(reason: "stopped"))
        #expect(b1.run(startPaused: true) == .stopped)
        #expect(b1.step == 2)
        let b2 = try DAFLTrainer.resume(runDir: dirB, teacher: Self.tinyTeacher(), preprocessing: .fashionMNIST, test: nil, sink: boxB.add)
        #expect(b2.step == 2)
        #expect(b2.run() == .completed)
        for ((k, x), (_, y)) in zip(a.student.stateDict, b2.student.stateDict) { #expect(x.data == y.data, "student \(k)") }
        for ((k, x), (_, y)) in zip(a.generator.stateDict, b2.generator.stateDict) { #expect(x.data == y.data, "generator \(k)") }
        #expect(boxB.controls.contains { $0.action == "resume-run" })
    }

    @Test func configProblemsNameTheFlag() {
        var c = DistillConfig.preset(.cpu)
        c.batch = 1; c.weights.beta = -1; c.studentOptimizer = "rmsprop"
        let p = c.problems()
        #expect(p.contains { $0.contains("--batch") } && p.contains { $0.contains("--beta") } && p.contains { $0.contains("--student-optimizer") })
        #expect(DistillConfig.preset(.paper).problems().isEmpty && DistillConfig.preset(.cpu).problems().isEmpty)
    }

    @Test func paperPresetIsTheReferenceRecipe() {
        let p = DistillConfig.preset(.paper)
        #expect(p.batch == 512 && p.iterations == 24_000 && p.lrG == 0.2 && p.lrS == 2e-3 && p.latent == 100)
        #expect(p.weights == LossWeights(oneHot: 1, alpha: 0.1, beta: 5) && p.generatorWidth == 128 && p.studentSteps == 1)
    }

    @Test func cpuPresetAugmentsReplayResetsCollapsedGeneratorsAndHoldsTheBorder() {
        let c = DistillConfig.preset(.cpu), p = DistillConfig.preset(.paper)
        #expect(c.augmentation == StudentAugmentation(shift: 2, flip: true, mixup: true) && c.collapseReset == 50)
        #expect(c.weights.adversarial == 3 && c.weights.discrepancy == .kl && p.weights.adversarial == 0)
        #expect(c.weights.border == 3 && c.weights.borderBand == 2 && p.weights.border == 0 && (c.jitter ?? 0) == 0)
        #expect(p.augmentation.isNone && (p.collapseReset ?? 0) == 0 && (p.generatorRestart ?? 0) == 0)
        #expect(c.boundarySamples == 0.02 && (c.boundaryBatches ?? 1) == 1 && (p.boundarySamples ?? 0) == 0)
    }

    @Test func corruptCheckpointSidecarIsAClearError() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect { try CheckpointInfo.load(runDir: dir) } throws: { ($0 as? WeightsError)?.problem.contains("nothing to resume") == true }
        try "{\"step\": 3".write(to: dir.appendingPathComponent("checkpoint.json"), atomically: true, encoding: .utf8)
        #expect { try CheckpointInfo.load(runDir: dir) } throws: { ($0 as? WeightsError)?.problem.contains("corrupt") == true }
    }
}

struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}

@Suite struct CollapseWarningTests {
    /// A teacher whose output is one class whatever the input (fc2's bias decides): a collapse.
    static func oneClassTeacher() -> LeNet5 {
        let teacher = TrainerTests.tinyTeacher()
        teacher.fc2.weight.data = [Float](repeating: 0, count: teacher.fc2.weight.count)
        teacher.fc2.bias.data = (0..<10).map { $0 == 4 ? 10 : 0 }
        return teacher
    }

    @Test func oneClassForFiftyStepsIsWarnedOnce() throws {
        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let teacher = Self.oneClassTeacher()
        var c = TrainerTests.tinyConfig(iterations: 120)
        c.checkpointEvery = 1000; c.samplesEvery = 1000; c.collapseReset = 0
        let t = try TrainerTests.trainer(c, dir: dir, box: box, teacher: teacher)
        #expect(t.run() == .completed)
        #expect(!box.controls.contains { $0.action == "generator-reset" })
        let warnings = box.controls.filter { $0.action == "warning" }
        #expect(warnings.count == 1 && warnings[0].step == 50 && warnings[0].key?.contains("generator collapsed") == true)
    }
}

@Suite struct CollapseResetTests {
    @Test func generatorIsReinitialisedAfterNSingleClassSteps() throws {
        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let teacher = CollapseWarningTests.oneClassTeacher()
        var c = TrainerTests.tinyConfig(iterations: 25)
        c.checkpointEvery = 1000; c.samplesEvery = 1000; c.collapseReset = 10; c.replayBatches = 8
        let t = try TrainerTests.trainer(c, dir: dir, box: box, teacher: teacher)
        var before: [Float] = []
        for _ in 0..<9 { #expect(t.iterate()) }
        before = t.generator.l1.weight.data
        #expect(t.generatorOptimizer.stepCount == 9 && t.replay.images.count == 8)
        #expect(t.iterate())   // the 10th single-class step: reset
        let resets = box.controls.filter { $0.action == "generator-reset" }
        #expect(resets.count == 1 && resets[0].step == 10 && resets[0].source == "trainer")
        #expect(t.generatorOptimizer.stepCount == 0)
        // Fresh weights, not the collapsed ones nudged by one more step.
        let moved = zip(before, t.generator.l1.weight.data).map { abs($0 - $1) }.max() ?? 0
        #expect(moved > 0.01)
        // Its last 10 batches (all it holds: 8) are forgotten; the next one is kept.
        #expect(t.replay.images.isEmpty)
        #expect(t.iterate() && t.replay.images.count == 1)
        for _ in 0..<15 { #expect(t.iterate()) }
        #expect(box.controls.filter { $0.action == "generator-reset" }.map(\.step) == [10, 20])
        #expect(!box.controls.contains { $0.action == "warning" })
    }

    /// A collapse half-counted when the run stops is reset at the same step after a resume.
    @Test func countOfSingleClassStepsSurvivesAResume() throws {
        var c = TrainerTests.tinyConfig(iterations: 5)
        c.checkpointEvery = 1000; c.samplesEvery = 1000; c.collapseReset = 3
        let teacher = CollapseWarningTests.oneClassTeacher()
        let dirA = try TrainerTests.tempDir(), dirB = try TrainerTests.tempDir(), boxA = EventBox(), boxB = EventBox()
        defer { for d in [dirA, dirB] { try? FileManager.default.removeItem(at: d) } }
        let a = try TrainerTests.trainer(c, dir: dirA, box: boxA, teacher: teacher)
        #expect(a.run() == .completed)
        let b1 = try TrainerTests.trainer(c, dir: dirB, box: EventBox(), teacher: teacher)
        b1.send(.stepOnce); b1.send(.stepOnce); b1.send(.stop(reason: "stopped"))
        #expect(b1.run(startPaused: true) == .stopped)
        let b2 = try DAFLTrainer.resume(runDir: dirB, teacher: teacher, preprocessing: .fashionMNIST, test: nil, sink: boxB.add)
        #expect(b2.run() == .completed)
        #expect(boxA.controls.filter { $0.action == "generator-reset" }.map(\.step) == [3])
        #expect(boxB.controls.filter { $0.action == "generator-reset" }.map(\.step) == [3])
        let sameGenerator = a.generator.namedParameters.map(\.1.data) == b2.generator.namedParameters.map(\.1.data)
        #expect(sameGenerator)
    }
}

@Suite struct GeneratorRestartTests {
    @Test func generatorStartsAfreshEveryNIterationsAndReplayIsKept() throws {
        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = TrainerTests.tinyConfig(iterations: 7)
        c.checkpointEvery = 1000; c.samplesEvery = 1000; c.generatorRestart = 3; c.replayBatches = 8
        let t = try TrainerTests.trainer(c, dir: dir, box: box)
        for _ in 0..<2 { #expect(t.iterate()) }
        let trained = t.generator.l1.weight.data
        #expect(t.iterate())
        #expect(t.generatorOptimizer.stepCount == 0 && t.replay.images.count == 3)
        #expect(zip(trained, t.generator.l1.weight.data).map { abs($0 - $1) }.max() ?? 0 > 0.01)
        #expect(t.run() == .completed)
        // Not after the last iteration: the saved generator is a trained one.
        #expect(box.controls.filter { $0.action == "generator-restart" }.map(\.step) == [3, 6])
        #expect(t.generatorOptimizer.stepCount == 1)
    }
}

@Suite struct CheckpointCompatibilityTests {
    /// Sidecars written before --augment, --collapse-reset, --adversarial, --border-band, --symmetry and --generators existed still resume,
    /// with those features off (as the run was trained).
    @Test func olderSidecarDecodesWithNewSettingsOff() throws {
        var c = DistillConfig.preset(.cpu)
        c.studentAugment = "mixup"
        let info = CheckpointInfo(step: 3, file: "checkpoint-00000003.safetensors", weights: c.weights, lrG: 0.2, lrS: 2e-3,
                                  rng: ["1", "2", "3", "4"], elapsed: 1, bestStudentAccuracy: nil, lastStudentAccuracy: nil,
                                  config: c, teacherPath: "t", dataDir: "d", runName: "r")
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(info)) as! [String: Any]
        var config = json["config"] as! [String: Any], weights = json["weights"] as! [String: Any]
        #expect(config["studentAugment"] as? String == "mixup" && weights["adversarial"] != nil)
        config["studentAugment"] = nil; config["collapseReset"] = nil
        var configWeights = config["weights"] as! [String: Any]
        configWeights["adversarial"] = nil; weights["adversarial"] = nil
        configWeights["borderBand"] = nil; weights["borderBand"] = nil
        configWeights["symmetry"] = nil; weights["symmetry"] = nil
        config["weights"] = configWeights
        json["config"] = config; json["weights"] = weights
        let old = try JSONDecoder().decode(CheckpointInfo.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(old.config.augmentation.isNone && (old.config.collapseReset ?? 0) == 0)
        #expect(old.weights.adversarial == 0 && old.config.weights.adversarial == 0 && old.step == 3)
        #expect(old.weights.borderBand == DAFLLoss.borderBand && old.config.weights.borderBand == 2)
        #expect(old.weights.symmetry == 0 && old.config.weights.symmetry == 0 && old.config.generatorCount == 1)
    }
}
