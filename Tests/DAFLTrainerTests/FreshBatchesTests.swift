import DAFLEngine
import Foundation
import Testing
@testable import DAFLTrainer

/// `--replay-fresh K`: K extra generated batches per iteration go into the replay memory with the teacher's logits;
/// drawing them leaves the generator as trained; logged, resumed exactly, bad values named.
@Suite struct FreshBatchesTests {
    /// The batch comes with the teacher's logits for exactly its images, and the generator's running statistics
    /// are put back.
    @Test func aDrawIsLabelledByTheTeacherAndLeavesTheGenerator() {
        let teacher = TrainerTests.tinyTeacher()
        var rng = RNG(seed: 5)
        let g = Generator(latent: 8, width: 8, channels: 1, imageSize: 32, rng: &rng)
        let before = g.stateDict.map(\.1.data)
        let (images, logits) = FreshBatches.draw(from: g, conditional: nil, teacher: teacher, latent: 8, batch: 6, rng: &rng)
        #expect(images.count == 6 * 32 * 32 && logits.count == 6 * 10)
        let relabelled = GradMode.noGrad { teacher(Tensor(shape: [6, 1, 32, 32], data: images)).data }
        #expect(relabelled == logits)
        let after = g.stateDict.map(\.1.data)
        #expect(after == before)
        // Another draw is other noise, so other images.
        let (again, _) = FreshBatches.draw(from: g, conditional: nil, teacher: teacher, latent: 8, batch: 6, rng: &rng)
        #expect(again != images)
    }

    /// After one iteration the memory holds the iteration's batch and the K fresh ones.
    @Test func eachIterationAddsTheFreshBatches() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.replayBatches = 8; c.replayFresh = 2
        let t = try TrainerTests.trainer(c, dir: try TrainerTests.tempDir(), box: EventBox())
        defer { try? FileManager.default.removeItem(at: t.runDir) }
        t.send(.stepOnce); t.send(.stop(reason: "stopped"))
        #expect(t.run(startPaused: true) == .stopped)
        #expect(t.replay.images.count == 3)
    }

    /// Each step event carries the memory's images by the teacher's class: they sum to the memory's size, match the
    /// stored logits' argmax, and are absent without a memory.
    @Test func stepEventsCarryTheMemorysClassCounts() throws {
        var c = TrainerTests.tinyConfig(iterations: 3)
        c.replayBatches = 8; c.replayFresh = 1
        let box = EventBox()
        let t = try TrainerTests.trainer(c, dir: try TrainerTests.tempDir(), box: box)
        defer { try? FileManager.default.removeItem(at: t.runDir) }
        #expect(t.run() == .completed)
        #expect(box.steps.count == 3)
        for s in box.steps {
            #expect(s.memoryClasses?.count == 10 && s.memoryClasses?.reduce(0, +) == s.memory, "step \(s.step)")
        }
        var expected = [Int](repeating: 0, count: 10)
        for l in t.replay.logits { for k in stride(from: 0, to: l.count, by: 10) { expected[(0..<10).max { l[k + $0] < l[k + $1] }!] += 1 } }
        #expect(box.steps.last?.memoryClasses == expected)
        var none = TrainerTests.tinyConfig(iterations: 2); none.replayBatches = 0; none.studentSteps = 1
        let box2 = EventBox()
        let t2 = try TrainerTests.trainer(none, dir: try TrainerTests.tempDir(), box: box2)
        defer { try? FileManager.default.removeItem(at: t2.runDir) }
        #expect(t2.run() == .completed && box2.steps.allSatisfy { $0.memoryClasses == nil })
    }

    /// Picks go to the class held least (memory and picks so far), in pool order within a class; a class the pool
    /// lacks is skipped; each picked image keeps its own logits.
    @Test func rarePicksFillTheClassesHeldLeast() {
        // Six one-pixel images of 3 classes: answers 0, 0, 1, 2, 1, 0 (the logits' argmax); pixel value = index.
        let answers = [0, 0, 1, 2, 1, 0]
        let logits = answers.flatMap { c in (0..<3).map { $0 == c ? Float(1) : 0 } }
        let images = (0..<6).map(Float.init)
        // The memory holds class 0 least, then 2, then 1: picks 0 (image 0), then 0 again (1, held 1 = class 2's 1,
        // the lower class wins), then 2 (image 3), then 0 (5), then class 1 (image 2).
        let (x, l) = FreshBatches.pickRare(images: images, logits: logits, imageSize: 1, classes: 3, counts: [0, 3, 1], size: 5)
        #expect(x == [0, 1, 3, 5, 2])
        #expect(ReplayBuffer.teacherClasses(l, classes: 3) == [0, 0, 2, 0, 1])
        // Asked for more than the pool holds: the whole pool.
        #expect(FreshBatches.pickRare(images: images, logits: logits, imageSize: 1, classes: 3, counts: [0, 0, 0], size: 9).images.count == 6)
    }

    /// `rare-sure`: within a class, the largest margin of the top logit over the runner-up first (ties in pool order).
    @Test func surePicksTakeEachClasssSurestImagesFirst() {
        // Four one-pixel images, all class 0 of 2, margins 1, 3, 3, 2: order 1, 2, 3, 0.
        let logits: [Float] = [1, 0, 3, 0, 4, 1, 2, 0]
        let (x, _) = FreshBatches.pickRare(images: [0, 1, 2, 3], logits: logits, imageSize: 1, classes: 2, counts: [0, 0], size: 3, surestFirst: true)
        #expect(x == [1, 2, 3])
        let (plain, _) = FreshBatches.pickRare(images: [0, 1, 2, 3], logits: logits, imageSize: 1, classes: 2, counts: [0, 0], size: 3)
        #expect(plain == [0, 1, 2])
    }

    /// `--replay-pick rare`: one batch an iteration goes in, logged, resumed exactly, another student than `all`.
    @Test func rarePicksAreLoggedAndResumed() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.replayBatches = 4; c.replayFresh = 2; c.replayPick = "rare"
        try expectLoggedAndResumedExactly(c, key: "replay_pick", value: "rare", off: "all")
        var all = c; all.replayPick = nil
        let (with, without, _) = try runBoth(c, all)
        #expect(with.student.namedParameters.map(\.1.data) != without.student.namedParameters.map(\.1.data))
        #expect(with.replay.images.count == 4 && with.replay.images.allSatisfy { $0.count == 4 * 32 * 32 })
        var bad = c; bad.replayPick = "often"
        #expect(bad.problems().contains { $0.contains("--replay-pick must") })
        bad = c; bad.replayFresh = 0
        #expect(bad.problems().contains { $0.contains("--replay-pick rare needs") })
        bad.replayPick = "rare-sure"
        #expect(bad.problems().contains { $0.contains("--replay-pick rare-sure needs") })
    }

    @Test func isLoggedAndResumed() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.replayBatches = 4; c.replayFresh = 1
        try expectLoggedResumedAndAnotherStudent(c, key: "replay_fresh", value: "1", off: "0")
        var bad = c; bad.replayFresh = 17
        #expect(bad.problems().contains { $0.contains("--replay-fresh") })
        bad = c; bad.replayFresh = -1
        #expect(bad.problems().contains { $0.contains("--replay-fresh") })
        bad = c; bad.replayBatches = 0
        #expect(bad.problems().contains { $0.contains("--replay-fresh needs") })
    }
}
