import DAFLEngine
import Foundation
import Testing
@testable import DAFLTrainer

/// `--student-weights FILE`: the student starts from a weights file, the setting is logged, a resume continues
/// from its checkpoint without the file, and a file that does not fit the student is refused by name.
@Suite struct StudentWeightsTests {
    /// A LeNet-5 of `width` with weights of its own (drawn from `seed`), saved to a temporary file.
    static func savedNet(_ width: LeNet5.Width, seed: UInt64) throws -> (net: LeNet5, url: URL) {
        var rng = RNG(seed: seed)
        let net = LeNet5(width, rng: &rng)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dafl-student-\(UUID().uuidString).safetensors")
        try ModelFile.save(net, preprocessing: .fashionMNIST, to: url)
        return (net, url)
    }

    @Test func startsFromTheFileAndResumesWithoutIt() throws {
        let (start, url) = try Self.savedNet(.half, seed: 99)
        defer { try? FileManager.default.removeItem(at: url) }
        var c = TrainerTests.tinyConfig(iterations: 4)
        c.studentWeights = url.path
        #expect(c.settings["student_weights"] == url.path)
        #expect(TrainerTests.tinyConfig().settings["student_weights"] == "none")

        let dirA = try TrainerTests.tempDir(), dirB = try TrainerTests.tempDir()
        defer { for d in [dirA, dirB] { try? FileManager.default.removeItem(at: d) } }
        let a = try TrainerTests.trainer(c, dir: dirA, box: EventBox())
        let first = try #require(a.student as? LeNet5)
        #expect(first.parameters.map(\.data) == start.parameters.map(\.data))   // the file's, not the pruned teacher's
        #expect(a.run() == .completed)

        let b = try TrainerTests.trainer(c, dir: dirB, box: EventBox())
        b.send(.stepOnce); b.send(.stepOnce); b.send(.stop(reason: "stopped"))
        #expect(b.run(startPaused: true) == .stopped)
        try FileManager.default.removeItem(at: url)   // a resume reads its checkpoint, not the file
        let resumed = try DAFLTrainer.resume(runDir: dirB, teacher: TrainerTests.tinyTeacher(), preprocessing: .fashionMNIST,
                                             test: nil, sink: { _ in })
        #expect(resumed.config.studentWeights == url.path)
        #expect(resumed.run() == .completed)
        let straight = try #require(a.student as? LeNet5), again = try #require(resumed.student as? LeNet5)
        #expect(straight.parameters.map(\.data) == again.parameters.map(\.data))
    }

    @Test func aFileThatDoesNotFitIsRefusedByName() throws {
        let (_, wide) = try Self.savedNet(.full, seed: 3)
        let junk = FileManager.default.temporaryDirectory.appendingPathComponent("dafl-junk-\(UUID().uuidString).safetensors")
        try Data("not a safetensors file".utf8).write(to: junk)
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("dafl-missing-\(UUID().uuidString).safetensors")
        defer { for u in [wide, junk] { try? FileManager.default.removeItem(at: u) } }
        for (url, words) in [(wide, "holds a lenet5 for 10 classes"), (junk, "not safetensors"), (missing, "cannot read")] {
            var c = TrainerTests.tinyConfig()
            c.studentWeights = url.path
            let dir = try TrainerTests.tempDir()
            defer { try? FileManager.default.removeItem(at: dir) }
            do {
                _ = try TrainerTests.trainer(c, dir: dir, box: EventBox())
                Issue.record("\(url.lastPathComponent) was accepted")
            } catch {
                let message = "\(error)"
                #expect(message.contains(url.lastPathComponent) && message.contains(words), "\(message)")
            }
        }
    }

    @Test func gradualPruningAndOtherStudentsAreRefused() {
        var c = TrainerTests.tinyConfig()
        c.studentWeights = "s.safetensors"
        #expect(c.problems().isEmpty)
        var g = c; g.studentInit = "gradual"
        #expect(g.problems().contains { $0.contains("--student-weights and --student-init gradual cannot be combined") })
        var r = c; r.student = "resnet18"; r.studentInit = nil
        #expect(r.problems().contains { $0.contains("--student-weights needs a LeNet-5 student") })
    }
}
