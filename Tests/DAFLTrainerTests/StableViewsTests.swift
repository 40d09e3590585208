import DAFLEngine
import Foundation
import Testing
@testable import DAFLTrainer

/// `--stable-views`: a replayed image keeps its shift or mirror only where the teacher's class stays the stored one;
/// logged, resumed exactly, refused without a move to judge.
@Suite struct StableViewsTests {
    /// An unmoved image is not counted; a moved one is kept where the teacher's class for its view matches the stored
    /// class and put back, pixel for pixel, where it does not.
    @Test func putsBackTheViewsWhoseClassChanged() {
        var rng = RNG(seed: 11)
        let teacher = TrainerTests.tinyTeacher()
        let stored = rng.normal(count: 3 * 1024)
        var view = stored
        // Images 1 and 2 mirrored; image 0 left as stored.
        for i in 1...2 { for y in 0..<32 { for x in 0..<32 { view[i * 1024 + y * 32 + x] = stored[i * 1024 + y * 32 + 31 - x] } } }
        let viewClasses = GradMode.noGrad { teacher(Tensor(shape: [3, 1, 32, 32], data: view)) }.argmaxRows()
        // Image 1's stored class is its view's (kept); image 2's is another (put back).
        let storedClasses = [0, viewClasses[1], (viewClasses[2] + 1) % 10]
        var x = Tensor(shape: [3, 1, 32, 32], data: view)
        let (moved, kept) = StableViews.keep(&x, stored: stored, storedClasses: storedClasses, teacher: teacher)
        #expect(moved == 2 && kept == 1)
        #expect(Array(x.data[0..<1024]) == Array(stored[0..<1024]))
        #expect(Array(x.data[1024..<2048]) == Array(view[1024..<2048]))
        #expect(Array(x.data[2048..<3072]) == Array(stored[2048..<3072]))
    }

    /// `apply` is `move` then `repaint`, draw for draw: a run without stable views is the run it was before.
    @Test func applyIsMoveThenRepaint() {
        let aug = StudentAugmentation(parse: "shift,flip,blur,levels,cutmix,mixup")!
        var r0 = RNG(seed: 3)
        let x0 = r0.normal(count: 5 * 2 * 64)
        var a = x0, b = x0
        var ra = RNG(seed: 9), rb = RNG(seed: 9)
        aug.apply(&a, count: 5, side: 8, channels: 2, black: -0.4, white: 2.4, rng: &ra)
        aug.move(&b, count: 5, side: 8, channels: 2, rng: &rb)
        aug.repaint(&b, count: 5, side: 8, channels: 2, black: -0.4, white: 2.4, rng: &rb)
        #expect(a == b && a != x0 && ra.next() == rb.next())
        #expect(aug.moves && !StudentAugmentation(parse: "blur,mixup")!.moves)
    }

    @Test func resumesExactlyAndIsLogged() throws {
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.studentAugment = "shift,flip,mixup"; c.stableViews = true
        let (a, b2) = try straightAndResumed(c)
        defer { for t in [a, b2] { try? FileManager.default.removeItem(at: t.runDir) } }
        #expect(b2.config.stableViews == true)
        #expect(b2.run() == .completed)
        #expect(a.student.namedParameters.map(\.1.data) == b2.student.namedParameters.map(\.1.data))
        // Every step says how many moved views it kept; without the option, none does.
        for on in [true, false] {
            var d = c; d.stableViews = on
            let box = EventBox(), dir = try TrainerTests.tempDir()
            defer { try? FileManager.default.removeItem(at: dir) }
            #expect(try TrainerTests.trainer(d, dir: dir, box: box).run() == .completed)
            #expect(box.steps.count == 4)
            #expect(box.steps.allSatisfy { on ? ($0.viewsKept ?? -1) >= 0 && $0.viewsKept! <= 100 : $0.viewsKept == nil })
            #expect(d.settings["stable_views"] == "\(on)")
        }
        for augment in ["none", "mixup", "blur,levels"] {
            var d = c; d.studentAugment = augment
            #expect(d.problems().contains { $0.contains("--stable-views needs --augment with shift or flip") })
        }
        #expect(c.problems().isEmpty)
    }
}
