import Foundation
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
        #expect(out.contains("step      6"))
        // The generator's quality in the teacher's feature space, twice (steps 3 and 6), overall and for 10 classes.
        let fd = out.split(separator: "\n").filter { $0.contains("Fréchet distance") }
        #expect(fd.count == 2, "\(out)")
        #expect(fd.last.map { $0.split(separator: ":").last!.split(separator: " ").count } == 10)
        for file in ["generator.safetensors", "discriminator.safetensors", "samples.pgm"] {
            #expect(FileManager.default.fileExists(atPath: gan + "/" + file), "\(file) missing")
        }
        let student = dir.appendingPathComponent("s.safetensors").path
        (status, out) = try CLI.run(["cgan", "distill", "--teacher", teacher, "--generator", gan + "/generator.safetensors",
                                     "--per-class", "20", "--fake-per-class", "10", "--relabel", "--blkd", "--epochs", "1", "--json", "--out", student])
        #expect(status == 0, "cgan distill: \(out)")
        let lines = out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let fake = lines.first { $0["event"] as? String == "fake_set" }
        #expect((fake?["kept"] as? [Int]) == [Int](repeating: 10, count: 10), "every class gets its fake images: \(out)")
        #expect(lines.contains { $0["event"] as? String == "done" })
        #expect(FileManager.default.fileExists(atPath: student))

        // With cDR-RS subsampling: the density-ratio model trains, and subsampling sits between generation and the filter.
        (status, out) = try CLI.run(["cgan", "distill", "--teacher", teacher, "--generator", gan + "/generator.safetensors",
                                     "--per-class", "20", "--fake-per-class", "5", "--subsample", "--dr-epochs", "2",
                                     "--dr-burn-in", "20", "--epochs", "1", "--json", "--out", student])
        #expect(status == 0, "cgan distill --subsample: \(out)")
        let sub = out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let drLosses = sub.filter { $0["event"] as? String == "density_ratio_epoch" }.compactMap { $0["loss"] as? Double }
        #expect(drLosses.count == 2 && drLosses.allSatisfy { $0 != 0 && $0.isFinite }, "\(out)")
        let stats = sub.first { $0["event"] as? String == "fake_set" }
        let kept = stats?["kept"] as? [Int] ?? [], accepted = stats?["accepted"] as? [Int] ?? [], generated = stats?["generated"] as? [Int] ?? []
        #expect(kept.count == 10 && zip(zip(kept, accepted), generated).allSatisfy { $0.0 <= $0.1 && $0.1 <= $1 }, "\(out)")
        #expect(FileManager.default.fileExists(atPath: student))
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
    }
}
