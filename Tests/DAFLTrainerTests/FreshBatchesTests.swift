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
