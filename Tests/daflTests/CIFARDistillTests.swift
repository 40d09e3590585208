import DAFLEngine
import Foundation
import RunEvents
import Testing

/// `dafl distill --preset cifar10` at tiny scale: a ResNet-34 teacher (width 2) on made CIFAR-10 files,
/// a ResNet-18 student, the reference's optimizer settings; headless, checkpointed, resumed.
@Suite(.serialized) struct CIFARDistillTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func cifar10PresetRunsAndResumes() throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = RNG(seed: 4)
        let teacher = dir.appendingPathComponent("resnet34.safetensors")
        try ModelFile.save(ResNet(.resnet34, width: 2, rng: &rng), preprocessing: nil, to: teacher)
        let data = Self.repo.appendingPathComponent("Tests/DAFLEngineTests/Fixtures/cifar/bin").path
        let run = dir.appendingPathComponent("run")
        var (status, out) = try CLI.run(["distill", "--preset", "cifar10", "--teacher", teacher.path, "--data", data,
                                         "--iterations", "4", "--batch", "8", "--latent", "16", "--generator-width", "8", "--student-width", "2",
                                         "--eval-every", "2", "--checkpoint-every", "2", "--samples-every", "2", "--run-dir", run.path, "--headless"])
        #expect(status == 0, "\(out)")
        #expect(out.contains("preset cifar10") && out.contains("resnet34"), "\(out)")
        let events = CLI.events(run.appendingPathComponent("events.jsonl").path)
        guard case .config(let config)? = events.first else { Issue.record("no config event"); return }
        #expect(config.settings["student"] == "resnet18" && config.settings["student_optimizer"] == "sgd", "\(config.settings)")
        let samples = events.compactMap { if case .samples(let s) = $0 { s } else { nil } }
        // Colour samples: three planes per image.
        #expect(!samples.isEmpty && samples.allSatisfy { s in s.channels == 3 && s.images.allSatisfy { $0.bytes.count == 3 * s.width * s.height } })
        #expect(events.contains { if case .eval = $0 { true } else { false } })
        // The student is a ResNet-18 that loads back.
        let (student, _) = try ModelFile.loadResNet(run.appendingPathComponent("student.safetensors"))
        #expect(student.depth == .resnet18 && student.width == 2 && student.inChannels == 3)
        // Resumed and extended.
        (status, out) = try CLI.run(["distill", "--resume", run.path, "--iterations", "6", "--headless"])
        #expect(status == 0 && out.contains("resuming at step 4 of 6"), "\(out)")
    }

    /// `--preset cifar100`: a 100-class teacher, CIFAR-100's fine labels, the reference's loss weights.
    @Test func cifar100PresetRuns() throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = RNG(seed: 6)
        let teacher = dir.appendingPathComponent("resnet34-100.safetensors")
        try ModelFile.save(ResNet(.resnet34, classes: 100, width: 2, rng: &rng), preprocessing: nil, to: teacher)
        let data = Self.repo.appendingPathComponent("Tests/DAFLEngineTests/Fixtures/cifar/c100bin").path
        let run = dir.appendingPathComponent("run")
        let (status, out) = try CLI.run(["distill", "--preset", "cifar100", "--teacher", teacher.path, "--data", data,
                                         "--iterations", "2", "--batch", "8", "--latent", "16", "--generator-width", "8", "--student-width", "2",
                                         "--eval-every", "2", "--run-dir", run.path, "--headless"])
        #expect(status == 0, "\(out)")
        let events = CLI.events(run.appendingPathComponent("events.jsonl").path)
        guard case .config(let config)? = events.first else { Issue.record("no config event"); return }
        #expect(config.settings["oh"] == "0.5" && config.settings["beta"] == "20.0" && config.settings["alpha"] == "0.1", "\(config.settings)")
        let steps = events.compactMap { if case .step(let s) = $0 { s } else { nil } }
        #expect(steps.first?.hist.count == 100)
    }

    /// A ResNet teacher trained here on CIFAR (SGD, crop and flip), then distilled from.
    @Test func resNetTeacherTrainedOnCIFARThenDistilled() throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = Self.repo.appendingPathComponent("Tests/DAFLEngineTests/Fixtures/cifar/py2").path
        let teacher = dir.appendingPathComponent("t.safetensors").path
        var (status, out) = try CLI.run(["teacher", "--arch", "resnet34", "--width", "2", "--data", data, "--epochs", "2", "--batch", "4",
                                         "--lr", "0.05", "--out", teacher])
        #expect(status == 0 && out.contains("epoch  2/2") && out.contains("wrote"), "\(out)")
        let (net, meta) = try ModelFile.loadResNet(URL(fileURLWithPath: teacher))
        #expect(net.depth == .resnet34 && meta["dataset"] == "cifar10" && meta["recipe"]?.contains("crop4 flip") == true, "\(meta)")
        (status, out) = try CLI.run(["distill", "--preset", "cifar10", "--teacher", teacher, "--data", data, "--iterations", "2", "--batch", "8",
                                     "--latent", "16", "--generator-width", "8", "--student-width", "2", "--run-dir", dir.appendingPathComponent("run").path,
                                     "--headless"])
        #expect(status == 0, "\(out)")
        // A LeNet architecture on CIFAR data, or a ResNet on IDX data, is refused with a message.
        (status, out) = try CLI.run(["teacher", "--arch", "resnet18", "--data", "/usr/share/datasets/fashion-mnist", "--out", dir.appendingPathComponent("x").path])
        #expect(status != 0 && out.contains("no CIFAR-10 train files"), "\(out)")
    }
}
