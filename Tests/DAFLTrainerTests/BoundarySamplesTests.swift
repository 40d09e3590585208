import DAFLEngine
import Foundation
import Testing
@testable import DAFLTrainer

/// `--boundary-samples ε`: the last replayed batch of an iteration walks toward a class drawn per image, and
/// the teacher labels it where it ends; logged, resumed exactly, off by default.
@Suite struct BoundarySamplesTests {
    /// Five signed steps of ε each: every pixel moves by a multiple of ε, at most 5ε, and the teacher's
    /// probability of the target class rises on every image.
    @Test func theWalkRaisesTheTeachersProbabilityOfTheTarget() {
        var rng = RNG(seed: 6)
        let teacher = TrainerTests.tinyTeacher()
        let x0 = Tensor(shape: [4, 1, 32, 32], data: rng.normal(count: 4 * 1024))
        let before = GradMode.noGrad { teacher(x0).softmax() }
        let targets = (0..<4).map { i in (0..<10).min { before.data[i * 10 + $0] < before.data[i * 10 + $1] }! }   // the least likely class
        var x = Tensor(shape: x0.shape, data: x0.data)
        BoundarySamples.walk(&x, toward: targets, teacher: teacher, epsilon: 0.05, steps: BoundarySamples.steps)
        for (a, b) in zip(x.data, x0.data) {
            let k = abs(a - b) / 0.05
            #expect(k <= 5.0001 && abs(k - k.rounded()) < 1e-3)
        }
        let after = GradMode.noGrad { teacher(x).softmax() }
        for (i, c) in targets.enumerated() { #expect(after.data[i * 10 + c] > before.data[i * 10 + c], "image \(i)") }
    }

    @Test func resumesExactlyAndIsLogged() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.boundarySamples = 0.02
        let (a, b2) = try straightAndResumed(c)
        defer { for t in [a, b2] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b2.config.boundarySamples == 0.02)
        #expect(b2.run() == .completed)
        #expect(a.student.namedParameters.map(\.1.data) == b2.student.namedParameters.map(\.1.data))
        // Every step reports how far its walk got.
        let box = EventBox(), dir0 = try TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir0) }
        #expect(try TrainerTests.trainer(c, dir: dir0, box: box).run() == .completed)
        #expect(box.steps.count == 4 && box.steps.allSatisfy { ($0.boundaryHits ?? -1) >= 0 && $0.boundaryHits! <= 100 })
        var off = TrainerTests.tinyConfig(iterations: 4); off.boundarySamples = 0
        #expect(c.settings["boundary_samples"] == "0.02" && off.settings["boundary_samples"] == "0.0")
        // On, it changes what the student learns from; off, the run is the default's.
        let dir = try TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = try TrainerTests.trainer(off, dir: dir, box: EventBox())
        #expect(plain.run() == .completed)
        #expect(plain.student.namedParameters.map(\.1.data) != a.student.namedParameters.map(\.1.data))
        for n in [0, 2] {
            var d = c; d.boundaryBatches = n   // tinyConfig replays one batch per iteration
            #expect(d.problems().contains { $0.contains("--boundary-batches must be between 1 and") })
        }
        #expect(c.settings["boundary_batches"] == "1")
        // Two of three replayed batches walking train another student than one of three.
        var one = c; one.studentSteps = 4
        var two = one; two.boundaryBatches = 2
        let students = try [one, two].map { cfg -> [[Float]] in
            let d = try TrainerTests.tempDir()
            defer { try? FileManager.default.removeItem(at: d) }
            let t = try TrainerTests.trainer(cfg, dir: d, box: EventBox())
            #expect(t.run() == .completed)
            return t.student.namedParameters.map(\.1.data)
        }
        #expect(students[0] != students[1] && two.settings["boundary_batches"] == "2")
        for bad: Float in [-1, 11, .nan] {
            var d = c; d.boundarySamples = bad
            #expect(d.problems().contains { $0.contains("--boundary-samples must be in [0, 10]") })
        }
    }

    /// `--boundary-stop`: each image stops where the teacher first gives it its target class. A batch walks as its
    /// images would one by one; an image already in its target class does not move; without the stop it walks on.
    @Test func aStoppedWalkEndsWhereTheTeacherFirstGivesTheTarget() {
        var rng = RNG(seed: 11)
        let teacher = TrainerTests.tinyTeacher()
        let n = 6, steps = 12, eps: Float = 0.08
        let x0 = Tensor(shape: [n, 1, 32, 32], data: rng.normal(count: n * 1024))
        let start = GradMode.noGrad { teacher(x0) }.argmaxRows()
        // Two images walk toward the class they are in already; the others toward their runner-up class.
        let runnerUp = BoundarySamples.likeliestOther(GradMode.noGrad { teacher(x0) }, excluding: start)
        let targets = (0..<n).map { i in i < 2 ? start[i] : runnerUp[i] }
        var batch = Tensor(shape: x0.shape, data: x0.data)
        BoundarySamples.walk(&batch, toward: targets, teacher: teacher, epsilon: eps, steps: steps, stopAtTarget: true)
        var arrivedEarly = 0
        for i in 0..<n {
            // The same image alone, one unstopped step at a time, checking the teacher's class before each.
            var one = Tensor(shape: [1, 1, 32, 32], data: Array(x0.data[(i * 1024)..<((i + 1) * 1024)]))
            var taken = 0
            while taken < steps, GradMode.noGrad({ teacher(one) }).argmaxRows()[0] != targets[i] {
                BoundarySamples.walk(&one, toward: [targets[i]], teacher: teacher, epsilon: eps, steps: 1)
                taken += 1
            }
            if taken < steps { arrivedEarly += 1 }
            let walked = Array(batch.data[(i * 1024)..<((i + 1) * 1024)])
            #expect(zip(walked, one.data).allSatisfy { abs($0 - $1) < 1e-5 }, "image \(i) after \(taken) steps")
            if i < 2 { #expect(walked == Array(x0.data[(i * 1024)..<((i + 1) * 1024)]), "image \(i) starts at its target") }
        }
        #expect(arrivedEarly > 2, "some walked images must reach their target before the last step")
        var unstopped = Tensor(shape: x0.shape, data: x0.data)
        BoundarySamples.walk(&unstopped, toward: targets, teacher: teacher, epsilon: eps, steps: steps)
        #expect(Array(unstopped.data[0..<1024]) != Array(x0.data[0..<1024]))
    }

    /// `--boundary-stop` is logged, resumed exactly, trains another student than the walks without it, and is
    /// refused without boundary walks.
    @Test func boundaryStopIsLoggedResumedAndNeedsWalks() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.boundarySamples = 0.02
        c.boundarySteps = 10
        var stopped = c; stopped.boundaryStop = true
        #expect(c.settings["boundary_stop"] == "false" && stopped.settings["boundary_stop"] == "true" && stopped.problems().isEmpty)
        let (a, b) = try straightAndResumed(stopped)
        defer { for t in [a, b] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b.config.boundaryStop == true && b.run() == .completed)
        #expect(a.student.namedParameters.map(\.1.data) == b.student.namedParameters.map(\.1.data))
        let dir = try TrainerTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = try TrainerTests.trainer(c, dir: dir, box: EventBox())
        #expect(plain.run() == .completed)
        #expect(plain.student.namedParameters.map(\.1.data) != a.student.namedParameters.map(\.1.data))
        var noWalks = TrainerTests.tinyConfig(iterations: 4); noWalks.boundarySamples = 0; noWalks.boundaryStop = true
        #expect(noWalks.problems().contains { $0.contains("--boundary-stop needs --boundary-samples above 0") })
    }

    /// `likeliestOther` is the row's best class but the excluded one, ties to the lowest index.
    @Test func likeliestOtherSkipsTheExcludedClass() {
        let scores = Tensor(shape: [3, 4], data: [0.1, 0.7, 0.2, 0.0,
                                                  0.9, 0.05, 0.05, 0.0,
                                                  0.3, 0.3, 0.3, 0.1])
        #expect(BoundarySamples.likeliestOther(scores, excluding: [1, 0, 0]) == [2, 1, 1])
        #expect(BoundarySamples.likeliestOther(scores, excluding: scores.argmaxRows()) == [2, 1, 1])
    }

    /// The runner-up and student targets: validated, logged, resumed exactly, and each trains another student than
    /// uniform targets; the number of steps is an option too.
    @Test func whereTheWalkGoesIsAnOption() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.boundarySamples = 0.02
        #expect(c.settings["boundary_toward"] == "uniform" && c.settings["boundary_steps"] == "5")
        var students: [[[Float]]] = []
        for (toward, steps) in [("uniform", 5), ("runner-up", 5), ("student", 5), ("rare", 5), ("uniform", 2)] {
            var d = c; d.boundaryToward = toward; d.boundarySteps = steps
            #expect(d.problems().isEmpty && d.settings["boundary_toward"] == toward && d.settings["boundary_steps"] == "\(steps)")
            let (a, b) = try straightAndResumed(d)
            defer { for t in [a, b] { try? FileManager.default.removeItem(at: t.runDir) } }
            #expect(b.config.boundaryToward == toward && b.run() == .completed)
            #expect(a.student.namedParameters.map(\.1.data) == b.student.namedParameters.map(\.1.data), "\(toward) \(steps)")
            students.append(a.student.namedParameters.map(\.1.data))
        }
        for i in 1..<students.count { #expect(students[i] != students[0], "setting \(i)") }
        var bad = c; bad.boundaryToward = "nearest"
        #expect(bad.problems().contains { $0.contains("--boundary-toward must be uniform, runner-up, student or rare") })
        for n in [0, 51] {
            var d = c; d.boundarySteps = n
            #expect(d.problems().contains { $0.contains("--boundary-steps must be between 1 and 50") })
        }
    }

    /// Rare targets follow odds ∝ 1 / (count + mean): an empty class is drawn twice as often as one at the mean,
    /// and a class three times the mean half as often as that one.
    @Test func rareTargetsFavourTheClassesTheMemoryHoldsLeast() {
        var rng = RNG(seed: 3)
        let counts = [0, 100, 300, 0]   // mean 100: odds 1/100, 1/200, 1/400, 1/100
        let draws = BoundarySamples.drawRare(counts: counts, size: 40_000, rng: &rng)
        let share = (0..<4).map { c in Double(draws.filter { $0 == c }.count) / 40_000 }
        let expected = [4.0, 2, 1, 4].map { $0 / 11 }
        for c in 0..<4 { #expect(abs(share[c] - expected[c]) < 0.01, "class \(c): \(share[c]) against \(expected[c])") }
    }
}
