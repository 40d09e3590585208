import Foundation
import RunEvents
import Testing

/// cGAN-KD as a user runs it, on a tiny subset: teacher on the subset, a conditional GAN, then the
/// student on real + filtered fake images; and the errors a user can provoke.
@Suite(.serialized) struct CGANEndToEndTests {
    @Test(.enabled(if: CLI.hasData, "needs Debian's dataset-fashion-mnist"))
    func pipelineRunsEndToEndOnATinySubset() throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let teacher = dir.appendingPathComponent("t.safetensors").path, gan = dir.appendingPathComponent("gan").path
        var (status, out) = try CLI.run(["teacher", "--per-class", "20", "--epochs", "2", "--out", teacher])
        #expect(status == 0, "teacher: \(out)")
        (status, out) = try CLI.run(["cgan", "train", "--per-class", "20", "--iterations", "6", "--batch", "8", "--generator-width", "8",
                                     "--discriminator-width", "4", "--every", "3", "--teacher", teacher, "--fd-every", "3",
                                     "--fd-samples", "5", "--out", gan])
        #expect(status == 0, "cgan train: \(out)")
        #expect(out.contains("step      6/6"))
        // The generator's quality in the teacher's feature space, twice (steps 3 and 6), overall and for 10 classes, in the run log.
        let events = CLI.events(gan + "/events.jsonl")
        let fd = events.compactMap { e -> MetricsEvent? in if case .metrics(let m) = e, m.values["fd"] != nil { m } else { nil } }
        #expect(fd.map(\.step) == [3, 6] && fd.allSatisfy { $0.perClass?["fd"]?.count == 10 }, "\(out)")
        #expect(out.split(separator: "\n").filter { $0.contains("Fréchet distance (teacher features)") }.count == 2)
        for file in ["generator.safetensors", "discriminator.safetensors", "samples.pgm", "events.jsonl", "checkpoint.json"] {
            #expect(FileManager.default.fileExists(atPath: gan + "/" + file), "\(file) missing")
        }
        // The log replays as text frames with the GAN's panels.
        (status, out) = try CLI.run(["replay", gan + "/events.jsonl", "--headless", "--size", "100x30"])
        #expect(status == 0 && out.contains("D loss") && out.contains("Fréchet distance per class") && out.contains("preset: cgan-train"), "\(out)")
        // A finished run is extended by resuming it with a larger total.
        (status, out) = try CLI.run(["cgan", "train", "--resume", gan, "--iterations", "8", "--headless"])
        #expect(status == 0 && out.contains("resuming at step 6") && out.contains("completed at step 8"), "\(out)")
        let extended = CLI.events(gan + "/events.jsonl").compactMap { if case .control(let c) = $0 { c } else { nil } }
        #expect(extended.contains { $0.action == "set" && $0.key == "iterations" && $0.old == 6 && $0.new == 8 })
        let student = dir.appendingPathComponent("s.safetensors").path, run1 = dir.appendingPathComponent("d1").path
        (status, out) = try CLI.run(["cgan", "distill", "--teacher", teacher, "--generator", gan + "/generator.safetensors",
                                     "--per-class", "20", "--fake-per-class", "10", "--relabel", "--blkd", "--epochs", "1", "--json",
                                     "--run-dir", run1, "--out", student])
        #expect(status == 0, "cgan distill: \(out)")
        let lines = out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let fake = lines.first { $0["event"] as? String == "fake_set" }
        #expect((fake?["kept"] as? [Int]) == [Int](repeating: 10, count: 10), "every class gets its fake images: \(out)")
        #expect(lines.contains { $0["event"] as? String == "done" })
        #expect(FileManager.default.fileExists(atPath: student) && FileManager.default.fileExists(atPath: run1 + "/fake-set.safetensors"))
        let distillEvents = CLI.events(run1 + "/events.jsonl")
        #expect(distillEvents.contains { if case .fakeSet(let f) = $0 { f.kept.reduce(0, +) == 100 } else { false } })
        #expect(distillEvents.contains { if case .eval(let e) = $0 { e.teacherAccuracy > 0 } else { false } })

        // The saved fake set trains another student without the generator.
        (status, out) = try CLI.run(["cgan", "distill", "--teacher", teacher, "--fake-set", run1 + "/fake-set.safetensors",
                                     "--per-class", "20", "--epochs", "1", "--json", "--run-dir", dir.appendingPathComponent("d2").path])
        #expect(status == 0 && out.contains("\"fake_images\":100"), "distill --fake-set: \(out)")

        // With cDR-RS subsampling (`cgan sample` writes the set): the density-ratio model trains, and subsampling sits between generation and the filter.
        let sampled = dir.appendingPathComponent("fake.safetensors").path
        (status, out) = try CLI.run(["cgan", "sample", "--teacher", teacher, "--generator", gan + "/generator.safetensors",
                                     "--per-class", "20", "--fake-per-class", "5", "--subsample", "--dr-epochs", "2",
                                     "--dr-burn-in", "20", "--json", "--out", sampled])
        #expect(status == 0, "cgan sample --subsample: \(out)")
        let sub = out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let drLosses = sub.filter { $0["event"] as? String == "density_ratio_epoch" }.compactMap { $0["loss"] as? Double }
        #expect(drLosses.count == 2 && drLosses.allSatisfy { $0 != 0 && $0.isFinite }, "\(out)")
        let stats = sub.first { $0["event"] as? String == "fake_set" }
        let kept = stats?["kept"] as? [Int] ?? [], accepted = stats?["accepted"] as? [Int] ?? [], generated = stats?["generated"] as? [Int] ?? []
        #expect(kept.count == 10 && zip(zip(kept, accepted), generated).allSatisfy { $0.0 <= $0.1 && $0.1 <= $1 }, "\(out)")
        #expect(FileManager.default.fileExists(atPath: sampled))
    }

    @Test(.enabled(if: CLI.hasData, "needs Debian's dataset-fashion-mnist"))
    func badInputsGetOneLineErrors() throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // More per class than the data has.
        var (status, out) = try CLI.run(["cgan", "train", "--per-class", "7000", "--iterations", "1", "--out", dir.path])
        #expect(status != 0 && out.contains("class 0 has only 6000"), "\(out)")
        // A generator file that is not one.
        let junk = dir.appendingPathComponent("junk.safetensors")
        try Data("not a safetensors file".utf8).write(to: junk)
        let teacher = dir.appendingPathComponent("t.safetensors").path
        (status, out) = try CLI.run(["teacher", "--per-class", "5", "--epochs", "1", "--out", teacher])
        #expect(status == 0, "\(out)")
        (status, out) = try CLI.run(["cgan", "distill", "--teacher", teacher, "--generator", junk.path, "--per-class", "5"])
        #expect(status != 0 && out.contains(junk.path), "\(out)")
        #expect(!out.contains("Fatal error"))
        // A fake set that is not one, and a resume with nothing to resume.
        (status, out) = try CLI.run(["cgan", "distill", "--teacher", teacher, "--fake-set", junk.path, "--per-class", "5",
                                     "--run-dir", dir.appendingPathComponent("r").path])
        #expect(status != 0 && out.contains(junk.path) && !out.contains("Fatal error"), "\(out)")
        (status, out) = try CLI.run(["cgan", "train", "--resume", dir.path])
        #expect(status != 0 && out.contains("nothing to resume"), "\(out)")
    }
}
