import DAFLEngine
import Foundation
import RunEvents
import Testing
@testable import DAFLTrainer

/// `--student-init gradual`: the student starts as the whole teacher, its dropped units fade out, and it
/// becomes the half-width student without a jump in its function or its optimizer's state.
@Suite struct GradualPruningTests {
    static func config(fade: Int? = 2) -> DistillConfig {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.studentInit = "gradual"; c.pruneFade = fade
        return c
    }

    @Test func theScalesFallLinearlyOnTheDroppedUnitsOnly() {
        let plan = GradualPruning(teacher: TrainerTests.tinyTeacher(), narrowWidths: [3, 8, 60, 42], fadeIterations: 4)
        #expect(plan.units.map(\.count) == [3, 8, 60, 42, 10])
        for (step, fade) in [(0, Float(1)), (1, 0.75), (3, 0.25), (4, 0), (9, 0)] {
            let s = plan.scales(at: step)
            #expect(s.map(\.count) == [6, 16, 120, 84])
            for (layer, kept) in zip(s, plan.units) {
                #expect(layer.enumerated().allSatisfy { kept.contains($0) ? $1 == 1 : $1 == fade }, "step \(step)")
            }
        }
        #expect(plan.isWide(at: 3) && !plan.isWide(at: 4))
    }

    /// Adam's moments move with the weights: after the switch, a step of the narrow student equals the
    /// wide student's step at the kept entries (the dropped units at 0 get no gradient and pass none on).
    @Test func theSwitchCarriesWeightsAndAdamMoments() throws {
        let wide = TrainerTests.tinyTeacher(seed: 21)
        var rng = RNG(seed: 22)
        let narrow = LeNet5(.half, rng: &rng)
        let plan = GradualPruning(teacher: wide, narrowWidths: narrow.hiddenWidths, fadeIterations: 2)
        wide.unitScales = plan.scales(at: 2)
        let x = Tensor(shape: [3, 1, 32, 32], data: rng.normal(count: 3 * 1024))
        func step(_ net: LeNet5, _ opt: Optimizer) {
            opt.zeroGrad()
            let y = net(x)
            (y * y).mean().backward()
            opt.step()
        }
        let adam = Adam(wide.parameters, lr: 0.01)
        step(wide, adam); step(wide, adam)
        let moved = try plan.narrow(wide, optimizer: adam, into: narrow) { Adam($0, lr: 0.5) }
        #expect((moved as? Adam)?.stepCount == 2 && moved.learningRate == 0.01)
        expectCloseFloats(GradMode.noGrad { narrow(x).data }, GradMode.noGrad { wide(x).data }, "logits at the switch")
        step(wide, adam); step(narrow, moved)
        let entries = LeNet5.keptEntries(of: wide, units: plan.units)
        for ((name, mine), (theirs, kept)) in zip(narrow.namedParameters, zip(wide.parameters, entries)) {
            expectCloseFloats(mine.data, kept.map { theirs.data[$0] }, name)
        }
    }

    @Test func aRunStartsAsTheWholeTeacherAndEndsHalfWidth() throws {
        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        let teacher = TrainerTests.tinyTeacher()
        let t = try TrainerTests.trainer(Self.config(), dir: dir, box: box, teacher: teacher)
        let start = try #require(t.student as? LeNet5)
        #expect(start.width == .full && start.parameters.map(\.data) == teacher.parameters.map(\.data) && start.unitScales != nil)
        #expect(t.run() == .completed)
        #expect((t.student as? LeNet5)?.width == .half)
        #expect(box.controls.filter { $0.action == "student-pruned" }.map(\.step) == [2])
        let saved = try ModelFile.loadClassifier(dir.appendingPathComponent("student.safetensors")).model
        #expect(saved.width == .half)
        #expect(Self.config().settings["prune_fade"] == "2" && Self.config().settings["student_init"] == "gradual")
        // Without --prune-fade the fade is pinned to half the run when it starts.
        let pinned = try TrainerTests.trainer(Self.config(fade: nil), dir: try TrainerTests.tempDir(), box: EventBox())
        defer { try? FileManager.default.removeItem(at: pinned.runDir) }
        #expect(pinned.config.pruneFade == 2)
    }

    /// While fading, only the kept units learn: every other weight stays the teacher's (else the optimizer
    /// scales the dropped units back up and the half-width student learns nothing from the fade).
    @Test func onlyTheKeptUnitsLearnWhileFading() throws {
        let dir = try TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let teacher = TrainerTests.tinyTeacher()
        var c = Self.config(fade: 4); c.studentLRSchedule = "constant"; c.studentWeightDecay = 0.01
        let t = try TrainerTests.trainer(c, dir: dir, box: EventBox(), teacher: teacher)
        t.send(.stepOnce); t.send(.stepOnce); t.send(.stop(reason: "stopped"))
        #expect(t.run(startPaused: true) == .stopped)
        let wide = try #require(t.student as? LeNet5)
        let plan = GradualPruning(teacher: teacher, narrowWidths: [3, 8, 60, 42], fadeIterations: 4)
        for ((name, now), (was, kept)) in zip(wide.namedParameters, zip(teacher.parameters, LeNet5.keptEntries(of: wide, units: plan.units))) {
            let keptSet = Set(kept)
            let heldSame = now.data.indices.allSatisfy { keptSet.contains($0) || now.data[$0] == was.data[$0] }
            #expect(heldSame, "\(name): a dropped unit's weight moved")
            #expect(kept.contains { now.data[$0] != was.data[$0] }, "\(name): no kept weight learned")
        }
    }

    /// Ctrl-C while the units fade: the saved student is the wide one with the fade folded into its weights.
    @Test func aRunStoppedWhileFadingSavesTheFoldedTeacher() throws {
        let dir = try TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try TrainerTests.trainer(Self.config(fade: 4), dir: dir, box: EventBox())
        t.send(.stepOnce); t.send(.stop(reason: "stopped"))
        #expect(t.run(startPaused: true) == .stopped && t.step == 1)
        let saved = try ModelFile.loadClassifier(dir.appendingPathComponent("student.safetensors")).model
        #expect(saved.width == .full && saved.unitScales == nil)
        var rng = RNG(seed: 5)
        let x = Tensor(shape: [2, 1, 32, 32], data: rng.normal(count: 2048))
        expectCloseFloats(GradMode.noGrad { saved(x).data }, GradMode.noGrad { t.student(x).data }, "logits")
    }

    /// Evaluations of the wide, fading student say so and are not the run's best: that is the delivered student's.
    @Test func evaluationsWhileFadingAreMarkedAndNotTheBest() throws {
        let dir = try TrainerTests.tempDir(), box = EventBox()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = RNG(seed: 9)
        let test = Dataset(images: rng.normal(count: 8 * 1024), labels: (0..<8).map { $0 % 10 }, side: 32, classes: 10)
        var c = Self.config(fade: 2); c.evalEvery = 1
        let t = try DAFLTrainer(config: c, teacher: TrainerTests.tinyTeacher(), preprocessing: .fashionMNIST, test: test, runDir: dir,
                                runName: "t", teacherPath: "t.safetensors", dataDir: "-", sink: box.add)
        #expect(t.run() == .completed)
        let evals = box.all.compactMap { if case .eval(let e) = $0 { e } else { nil } }
        #expect(evals.map(\.step) == [1, 2, 3, 4])
        #expect(evals.map(\.fading) == [0.5, nil, nil, nil])
        #expect(evals[0].bestStudentAccuracy == nil)
        #expect(evals[3].bestStudentAccuracy == evals[1...].map(\.studentAccuracy).max())
        #expect(t.bestStudentAccuracy == evals[1...].map(\.studentAccuracy).max())
    }

    @Test func resumesExactlyAcrossTheSwitch() throws {
        let (a, b2) = try straightAndResumed(Self.config(fade: 3))
        defer { for t in [a, b2] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect((b2.student as? LeNet5)?.width == .full && b2.config.pruneFade == 3)
        #expect(b2.run() == .completed)
        #expect((b2.student as? LeNet5)?.width == .half)
        #expect(a.student.namedParameters.map(\.1.data) == b2.student.namedParameters.map(\.1.data))
        #expect(a.generator.namedParameters.map(\.1.data) == b2.generator.namedParameters.map(\.1.data))
    }

    @Test func badCombinationsAreNamed() {
        var c = Self.config(); c.studentEMA = 0.99
        #expect(c.problems().contains { $0.contains("--student-ema") })
        c = Self.config(fade: 5)
        #expect(c.problems().contains { $0.contains("--prune-fade must be between 1 and --iterations (4)") })
        c = TrainerTests.tinyConfig(); c.pruneFade = 2
        #expect(c.problems().contains { $0.contains("--prune-fade needs --student-init gradual") })
        c = Self.config(); c.student = "resnet18"
        #expect(c.problems().contains { $0.contains("--student-init gradual needs a LeNet-5 student") })
    }
}

private func expectCloseFloats(_ a: [Float], _ b: [Float], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(a.count == b.count, "\(what): sizes", sourceLocation: sourceLocation)
    let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
    #expect(worst <= 1e-5, "\(what): differs by \(worst)", sourceLocation: sourceLocation)
}
