import Foundation
import Testing
import DAFLEngine
import RunEvents
@testable import DAFLTrainer

/// `--select agreement`: label-free model selection among the students kept at evaluations.
@Suite struct StudentSelectionTests {
    static func config(iterations: Int = 6) -> DistillConfig {
        var c = TrainerTests.tinyConfig(iterations: iterations)
        c.evalEvery = 2; c.select = "agreement"
        return c
    }

    /// The pool has its own noise and the generator's statistics are put back: the run trains as it would without
    /// selection, and delivers one of the students it kept, saying which.
    @Test func trainsAsWithoutSelectionAndDeliversAKeptStudent() throws {
        let dirA = try TrainerTests.tempDir(), dirB = try TrainerTests.tempDir(), box = EventBox()
        defer { for d in [dirA, dirB] { try? FileManager.default.removeItem(at: d) } }
        var plain = Self.config(); plain.select = nil
        let a = try TrainerTests.trainer(plain, dir: dirA, box: EventBox())
        let b = try TrainerTests.trainer(Self.config(), dir: dirB, box: box)
        #expect(a.run() == .completed && b.run() == .completed)
        let sameGenerator = a.generator.stateDict.map(\.1.data) == b.generator.stateDict.map(\.1.data)
        #expect(sameGenerator)
        let kept = try #require(b.selection)
        #expect(kept.candidates.map(\.step) == [2, 4, 6] && kept.poolClasses.count == 3 * StudentSelection.batchesPerEvaluation * 4)
        let chosen = try #require(box.controls.first { $0.action == "select-student" })
        #expect(chosen.source == "trainer" && [2.0, 4, 6].contains(chosen.new ?? 0))
        #expect(chosen.key?.contains("held-out generated images") == true)
        #expect(chosen.detail?.hasPrefix("agreement by iteration: 2 ") == true && chosen.detail?.contains(", 6 ") == true)
        let delivered = b.student.stateDict.map(\.1.data)
        #expect(kept.candidates.first { Double($0.step) == chosen.new }?.weights == delivered)
        // The saved student is the delivered one; the checkpoint keeps the trained one for a longer resumed run.
        let saved = try Safetensors.read(dirB.appendingPathComponent("student.safetensors"))
        let names = b.student.stateDict.map(\.0)
        #expect(names.map { saved.tensors[$0]?.values ?? [] } == delivered)
        let checkpoint = try Safetensors.read(dirB.appendingPathComponent(try CheckpointInfo.load(runDir: dirB).file))
        #expect(names.map { checkpoint.tensors["student." + $0]?.values ?? [] } == a.student.stateDict.map(\.1.data))
        #expect(Self.config().settings["select"] == "agreement" && TrainerTests.tinyConfig().settings["select"] == "last")
    }

    /// A stopped and resumed run keeps the same pool, copies and pool RNG, and delivers the same student.
    @Test func resumesExactly() throws {
        var c = Self.config(iterations: 4); c.evalEvery = 1
        let (a, b2) = try straightAndResumed(c)
        defer { for t in [a, b2] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b2.selection?.candidates.map(\.step) == [1, 2])
        #expect(b2.run() == .completed)
        #expect(a.selection?.pool == b2.selection?.pool && a.selection?.poolClasses == b2.selection?.poolClasses)
        #expect(a.selection?.rng == b2.selection?.rng)
        let same = a.student.stateDict.map(\.1.data) == b2.student.stateDict.map(\.1.data)
        #expect(same)
    }

    /// The copy that gives the teacher's class most often wins, whatever its place; the chosen weights are loaded.
    @Test func choosesTheCopyThatAgreesMost() throws {
        let teacher = TrainerTests.tinyTeacher()
        var rng = RNG(seed: 3)
        let student = LeNet5(.full, rng: &rng)
        var s = StudentSelection(seed: 1)
        let g = Generator(latent: 8, width: 8, channels: 1, imageSize: 32, rng: &rng)
        s.collect(generators: [g], conditional: nil, teacher: teacher, latent: 8, batch: 16)
        s.keep(step: 10, student: student)
        for (mine, theirs) in zip(student.stateDict, teacher.stateDict) { mine.1.data = theirs.1.data }
        s.keep(step: 20, student: student)
        var other = RNG(seed: 9)
        for (mine, fresh) in zip(student.stateDict, LeNet5(.full, rng: &other).stateDict) { mine.1.data = fresh.1.data }
        s.keep(step: 30, student: student)
        let result = s.choose(student: student, side: 32)
        let (step, scores) = try #require(result)
        #expect(step == 20 && scores.map(\.step) == [10, 20, 30] && scores[1].agreement == 100)
        let loaded = student.stateDict.map(\.1.data) == teacher.stateDict.map(\.1.data)
        #expect(loaded)
    }

    /// A targeted run's pool comes from its class-conditional generator, whose running statistics (the per-class
    /// norms' among them) are put back, so drawing the pool leaves the generator as trained.
    @Test func aConditionalGeneratorFillsThePoolAndIsLeftAsItWas() {
        let teacher = TrainerTests.tinyTeacher()
        var rng = RNG(seed: 4)
        let c = ConditionalGenerator(classes: 10, latent: 8, width: 8, conditioning: .batchNorm, rng: &rng)
        let before = c.stateDict.map(\.1.data)
        var s = StudentSelection(seed: 1)
        s.collect(generators: [c.generator], conditional: c, teacher: teacher, latent: 8, batch: 16)
        #expect(s.poolClasses.count == 16 * StudentSelection.batchesPerEvaluation)
        let after = c.stateDict.map(\.1.data)
        #expect(after == before)
    }

    /// A sidecar that asks for selection over a tensor file without its pool (edited by hand, or mixed up) is refused,
    /// naming the file and what is missing.
    @Test func aCheckpointWithoutThePoolIsNamed() throws {
        var c = Self.config(iterations: 2); c.select = nil; c.checkpointEvery = 2
        let dir = try TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try TrainerTests.trainer(c, dir: dir, box: EventBox()).run() == .completed)
        let url = dir.appendingPathComponent(CheckpointInfo.sidecarName)
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var config = json["config"] as! [String: Any]
        config["select"] = "agreement"; json["config"] = config; json["selectionSteps"] = [2]
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        #expect { try DAFLTrainer.resume(runDir: dir, teacher: TrainerTests.tinyTeacher(), preprocessing: .fashionMNIST, test: nil, sink: { _ in }) }
            throws: { ($0 as? WeightsError).map { $0.problem.contains("select.pool") && $0.file.hasSuffix(".safetensors") } == true }
    }

    @Test func badSettingsAreNamed() {
        var c = Self.config(); c.select = "best"
        #expect(c.problems().contains { $0.contains("--select must be last or agreement") })
    }

    /// With `--student-init gradual`, only students of the half width the run delivers are kept (after the fade).
    @Test func aGraduallyPrunedRunKeepsOnlyHalfWidthStudents() throws {
        var c = Self.config(iterations: 6); c.evalEvery = 1; c.studentInit = "gradual"; c.pruneFade = 3
        let dir = try TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try TrainerTests.trainer(c, dir: dir, box: EventBox())
        #expect(t.run() == .completed)
        #expect(t.selection?.candidates.map(\.step) == [3, 4, 5, 6])
        #expect(t.selection?.poolClasses.count == 6 * StudentSelection.batchesPerEvaluation * 4)
    }
}
