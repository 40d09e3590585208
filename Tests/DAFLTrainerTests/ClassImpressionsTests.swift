import DAFLEngine
import Foundation
import Testing
@testable import DAFLTrainer

/// `--impressions N`: procedural pictures walked until the teacher is sure of a class join every replayed batch.
@Suite struct ClassImpressionsTests {
    static let (black, white): (Float, Float) = (-0.81, 2.02)

    static func bank(count: Int = 30, steps: Int, seed: UInt64 = 3) -> ClassImpressions {
        ClassImpressions.build(count: count, steps: steps, side: 32, channels: 1, black: black, white: white,
                               teacher: TrainerTests.tinyTeacher(), seed: seed)
    }

    /// The walks raise the teacher's probability of each image's class (the classes in turn), keep the pixels between
    /// black and white, and store the teacher's answers for the walked images; the same seed builds the same bank.
    @Test func walksTowardEachClassInTurnWithinBlackAndWhite() {
        let teacher = TrainerTests.tinyTeacher()
        let still = Self.bank(steps: 1), walked = Self.bank(steps: 30)
        #expect(walked.images.count == 30 * 1024 && walked.logits.count == 30 * 10)
        #expect(walked.images.allSatisfy { $0 >= Self.black && $0 <= Self.white })
        // The tiny random teacher is nearly uniform: its logits' margin for the class, not its probability, shows the walk.
        func margin(_ b: ClassImpressions) -> Float {
            (0..<b.count).map { i in
                let row = b.logits[(i * 10)..<(i * 10 + 10)]
                return row[i * 10 + i % 10] - row.reduce(0, +) / 10
            }.reduce(0, +) / Float(b.count)
        }
        #expect(margin(walked) > margin(still) + 0.01 && walked.onTarget > still.onTarget + 15,
                "margin \(margin(walked)) vs \(margin(still)), on target \(walked.onTarget) vs \(still.onTarget) %")
        let answers = GradMode.noGrad { teacher(Tensor(shape: [30, 1, 32, 32], data: walked.images)) }
        for (a, b) in zip(answers.data, walked.logits) { #expect(abs(a - b) < 1e-4) }
        #expect(Self.bank(steps: 30).images == walked.images && Self.bank(steps: 30, seed: 4).images != walked.images)
    }

    /// `replace` writes whole impressions and their answers into the rows asked for, and leaves the others alone.
    @Test func replaceWritesWholeImpressionsIntoTheRowsAskedFor() {
        let b = Self.bank(count: 10, steps: 2)
        var x = Tensor(shape: [4, 1, 32, 32], data: [Float](repeating: 7, count: 4 * 1024))
        var t = Tensor(shape: [4, 10], data: [Float](repeating: 7, count: 40))
        var rng = RNG(seed: 1)
        b.replace(rows: 2, from: 2, in: &x, answers: &t, rng: &rng)
        #expect(x.data[0..<2048].allSatisfy { $0 == 7 } && t.data[0..<20].allSatisfy { $0 == 7 })
        for r in 2..<4 {
            let image = Array(x.data[(r * 1024)..<(r * 1024 + 1024)])
            let pick = (0..<10).first { Array(b.images[($0 * 1024)..<($0 * 1024 + 1024)]) == image }
            #expect(pick != nil && Array(t.data[(r * 10)..<(r * 10 + 10)]) == Array(b.logits[(pick! * 10)..<(pick! * 10 + 10)]))
        }
    }

    /// In a run: logged, resumed exactly (the resumed run builds the same bank), another student than without it, the
    /// dashboard's share; bad values and runs without replayed steps refused.
    @Test func isLoggedResumedAndRefusedWithoutReplay() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.impressions = 12; c.impressionSteps = 3; c.impressionShare = 0.5
        #expect(c.problems().isEmpty && c.settings["impression_share"] == "0.5" && c.settings["impression_steps"] == "3")
        try expectLoggedResumedAndAnotherStudent(c, key: "impressions", value: "12", off: "0")
        var d = c; d.impressions = -1
        #expect(d.problems().contains { $0.contains("--impressions must be a count") })
        d = c; d.impressionShare = 0
        #expect(d.problems().contains { $0.contains("--impression-share must be a share in (0, 1]") })
        d = c; d.impressionSteps = 0
        #expect(d.problems().contains { $0.contains("--impression-steps must be from 1 to 1000") })
        d = c; d.replayBatches = 0; d.studentSteps = 1
        #expect(d.problems().contains { $0.contains("--impressions needs replayed student steps") })
    }
}
