import DAFLEngine
import Foundation
import Testing
@testable import DAFLTrainer

/// `--view-labels stored`: moved and mixed replay images keep the teacher's stored answers, mixed as their pixels are.
@Suite struct ViewLabelsTests {
    /// The mixed targets' softmax is the λ-mix of the two stored softmaxes; no mix leaves the logits as they are.
    @Test func mixesTheStoredAnswersAsThePixels() {
        let t = Tensor(shape: [2, 3], data: [2, 0, -1, 0.5, 0.5, 3])
        let p = t.softmax().data
        let mixed = ViewLabels.mixed(t, StudentAugmentation.Mixes(partner: [1, 0], lambda: [0.25, 1])).softmax().data
        for c in 0..<3 {
            #expect(abs(mixed[c] - (0.25 * p[c] + 0.75 * p[3 + c])) < 1e-6)
            #expect(abs(mixed[3 + c] - p[3 + c]) < 1e-6)
        }
        #expect(ViewLabels.mixed(t, nil).data == t.data)
    }

    /// `repaint` reports mixup's pairs and weights: each mixed image is that blend of the images before the mix.
    @Test func repaintReportsItsMixes() throws {
        var rng = RNG(seed: 5)
        let x0 = rng.normal(count: 4 * 16)
        var x = x0
        let mixes = try #require(StudentAugmentation(parse: "mixup")!.repaint(&x, count: 4, side: 4, channels: 1, rng: &rng))
        #expect(Set(mixes.partner) == Set(0..<4) && mixes.lambda.allSatisfy { (0...1).contains($0) })
        for i in 0..<4 {
            let (j, lam) = (mixes.partner[i], mixes.lambda[i])
            for q in 0..<16 { #expect(abs(x[i * 16 + q] - (lam * x0[i * 16 + q] + (1 - lam) * x0[j * 16 + q])) < 1e-6) }
        }
        #expect(StudentAugmentation(parse: "shift,flip")!.repaint(&x, count: 4, side: 4, channels: 1, rng: &rng) == nil)
    }

    @Test func resumesExactlyIsLoggedAndRefusesWhatItCannotLabel() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.studentAugment = "shift,flip,mixup"; c.viewLabels = "stored"; c.boundarySamples = 0
        let (a, b2) = try straightAndResumed(c)
        defer { for t in [a, b2] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b2.config.viewLabels == "stored" && b2.run() == .completed)
        #expect(a.student.namedParameters.map(\.1.data) == b2.student.namedParameters.map(\.1.data))
        #expect(c.settings["view_labels"] == "stored" && TrainerTests.tinyConfig().settings["view_labels"] == "teacher")
        // The replayed targets are the stored answers, mixed: no teacher forward on the changed images.
        let (x, t) = b2.replayBatch()
        #expect(t.data != GradMode.noGrad { b2.teacher(x) }.data)
        #expect(c.problems().isEmpty)
        for augment in ["none", "shift,blur", "flip,cutmix,mixup"] {
            var d = c; d.studentAugment = augment
            #expect(d.problems().contains { $0.contains("--view-labels stored needs --augment of shift, flip and mixup only") })
        }
        var d = c; d.stableViews = true
        #expect(d.problems().contains { $0.contains("cannot be combined") })
        d = c; d.viewLabels = "student"
        #expect(d.problems().contains { $0.contains("--view-labels must be teacher or stored") })
    }
}
