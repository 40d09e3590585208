import Foundation
import RunEvents
import Testing

/// cGAN-KD for regression as a user runs it, on a tiny subset: a rotation teacher, CcGAN (with its
/// label embedding), resumed, replayed, then NOKD and cGAN-KD students; and the mistakes a user can make.
@Suite(.serialized) struct CcGANEndToEndTests {
    @Test(.enabled(if: CLI.hasData, "needs Debian's dataset-fashion-mnist"))
    func regressionPipelineRunsEndToEndOnATinySubset() throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let teacher = dir.appendingPathComponent("t.safetensors").path, gan = dir.appendingPathComponent("cc").path
        var (status, out) = try CLI.run(["teacher", "--task", "rotation", "--per-class", "20", "--epochs", "1", "--out", teacher])
        #expect(status == 0, "teacher: \(out)")
        (status, out) = try CLI.run(["cgan", "train", "--task", "rotation", "--per-class", "20", "--iterations", "4", "--batch", "8",
                                     "--generator-width", "8", "--discriminator-width", "4", "--embed-dim", "16", "--embed-epochs", "1",
                                     "--y2h-epochs", "2", "--every", "2", "--teacher", teacher, "--fd-every", "2", "--fd-samples", "2",
                                     "--samples-every", "2", "--out", gan])
        #expect(status == 0 && out.contains("label embedding: image → label MAE") && out.contains("step      4/4"), "cgan train: \(out)")
        let events = CLI.events(gan + "/events.jsonl")
        let quality = events.compactMap { e -> MetricsEvent? in if case .metrics(let m) = e, m.values["label_mae"] != nil { m } else { nil } }
        #expect(quality.map(\.step) == [2, 4], "\(out)")
        guard case .config(let c) = events.first else { Issue.record("no config"); return }
        #expect(c.preset == "ccgan-train" && c.settings["vicinity"] == "soft" && c.settings["embed_mae"]?.isEmpty == false)
        // Resumed with a larger total: the label embedding comes back with the generator.
        (status, out) = try CLI.run(["cgan", "train", "--resume", gan, "--iterations", "6", "--headless"])
        #expect(status == 0 && out.contains("resuming at step 4") && out.contains("completed at step 6") && !out.contains("learning the label embedding"), "\(out)")
        (status, out) = try CLI.run(["replay", gan + "/events.jsonl", "--headless", "--size", "100x30"])
        #expect(status == 0 && out.contains("label asked → teacher reads") && out.contains("preset: ccgan-train"), "\(out)")

        // NOKD, then cGAN-KD with filtering and relabelling.
        (status, out) = try CLI.run(["cgan", "distill", "--task", "rotation", "--teacher", teacher, "--per-class", "20", "--fake", "0",
                                     "--epochs", "1", "--json", "--run-dir", dir.appendingPathComponent("nokd").path])
        #expect(status == 0 && out.contains("\"test_mae\""), "NOKD: \(out)")
        let run1 = dir.appendingPathComponent("kd").path
        (status, out) = try CLI.run(["cgan", "distill", "--task", "rotation", "--teacher", teacher, "--generator", gan + "/generator.safetensors",
                                     "--per-class", "20", "--fake", "20", "--bins", "2", "--relabel", "--epochs", "1", "--json", "--run-dir", run1])
        #expect(status == 0, "cGAN-KD: \(out)")
        let lines = out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect((lines.first { $0["event"] as? String == "fake_set" }?["kept"] as? [Int]) == [10, 10], "\(out)")
        #expect((lines.first { $0["event"] as? String == "done" }?["fake_images"] as? Int) == 20)
        let kd = CLI.events(run1 + "/events.jsonl")
        #expect(kd.contains { if case .fakeSet(let f) = $0 { f.relabelled && f.labelRange == [-45, 45] } else { false } })
        (status, out) = try CLI.run(["replay", run1 + "/events.jsonl", "--headless", "--size", "100x30"])
        #expect(status == 0 && out.contains("fake set by label") && out.contains("student test MAE: final"), "\(out)")
        (status, out) = try CLI.run(["eval", "--weights", run1 + "/student.safetensors"])
        #expect(status == 0 && out.contains("MAE"), "\(out)")
    }

    /// A user's own regression set: IDX images (a bright square whose size is the label) and a CSV of labels.
    @Test func aUsersFilesRunThroughEveryStage() throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ name: String, count: Int, offset: Int) throws -> (String, String) {
            var idx: [UInt8] = [0, 0, 8, 3, 0, 0, 0, UInt8(count), 0, 0, 0, 16, 0, 0, 0, 16]
            var csv = "file,size\n"
            for i in 0..<count {
                let size = 2 + (i + offset) % 12
                idx += (0..<256).map { p in p / 16 < size && p % 16 < size ? 255 : 0 }
                csv += "img\(i),\(size)\n"
            }
            let images = dir.appendingPathComponent(name + ".idx").path, labels = dir.appendingPathComponent(name + ".csv").path
            try Data(idx).write(to: URL(fileURLWithPath: images))
            try csv.write(toFile: labels, atomically: true, encoding: .utf8)
            return (images, labels)
        }
        let (images, labels) = try write("train", count: 48, offset: 0), (testImages, testLabels) = try write("test", count: 24, offset: 5)
        let data = ["--images", images, "--labels", labels]
        let teacher = dir.appendingPathComponent("t.safetensors").path, gan = dir.appendingPathComponent("cc").path
        var (status, out) = try CLI.run(["teacher", "--task", "files"] + data + ["--test-images", testImages, "--test-labels", testLabels,
                                         "--epochs", "1", "--out", teacher])
        #expect(status == 0 && out.contains("labels 2.0…13.0"), "teacher: \(out)")
        (status, out) = try CLI.run(["cgan", "train", "--task", "files"] + data + ["--iterations", "2", "--batch", "8", "--generator-width", "8",
                                     "--discriminator-width", "4", "--embed-dim", "16", "--embed-epochs", "1", "--y2h-epochs", "1",
                                     "--teacher", teacher, "--headless", "--out", gan])
        #expect(status == 0 && out.contains("48 images labelled 2…13"), "cgan train: \(out)")
        (status, out) = try CLI.run(["cgan", "distill", "--task", "files"] + data + ["--test-images", testImages, "--test-labels", testLabels,
                                     "--teacher", teacher, "--generator", gan + "/generator.safetensors", "--fake", "8", "--bins", "2",
                                     "--epochs", "1", "--json", "--run-dir", dir.appendingPathComponent("s").path])
        #expect(status == 0 && out.contains("\"fake_images\":8"), "cgan distill: \(out)")
        (status, out) = try CLI.run(["eval", "--weights", teacher, "--images", testImages, "--labels", testLabels, "--json"])
        #expect(status == 0 && out.contains("\"n\":24") && out.contains("\"mae\""), "eval: \(out)")
        // Test labels are refused when their count does not match the images.
        (status, out) = try CLI.run(["eval", "--weights", teacher, "--images", testImages, "--labels", labels])
        #expect(status != 0 && out.contains("48 labels for 24 images"), "\(out)")
    }

    @Test(.enabled(if: CLI.hasData, "needs Debian's dataset-fashion-mnist"))
    func mistakesGetClearMessages() throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let classifier = dir.appendingPathComponent("c.safetensors").path
        var (status, out) = try CLI.run(["teacher", "--per-class", "5", "--epochs", "1", "--out", classifier])
        #expect(status == 0, "\(out)")
        // A classifier where a regressor is needed, for the GAN's measurements and for the student stage.
        (status, out) = try CLI.run(["cgan", "train", "--task", "rotation", "--per-class", "5", "--iterations", "1", "--teacher", classifier,
                                     "--headless", "--out", dir.appendingPathComponent("g").path])
        #expect(status != 0 && out.contains(classifier) && out.contains("not a regressor"), "\(out)")
        (status, out) = try CLI.run(["cgan", "distill", "--task", "rotation", "--teacher", classifier, "--fake", "0", "--headless"])
        #expect(status != 0 && out.contains("not a regressor"), "\(out)")
        // Bad settings are refused before any work.
        for (args, message) in [(["--embed-dim", "8"], "--embed-dim"), (["--vicinity", "wide"], "--vicinity"), (["--task", "files"], "--images and --labels"),
                                (["--degrees", "10,5"], "--degrees")] {
            (status, out) = try CLI.run(["cgan", "train", "--task", "rotation", "--iterations", "1"] + args)
            #expect(status != 0 && out.contains(message), "\(args): \(out)")
        }
        (status, out) = try CLI.run(["cgan", "distill", "--task", "rotation", "--teacher", classifier, "--fake", "10", "--headless"])
        #expect(status != 0 && out.contains("--generator"), "\(out)")
    }
}
