import DAFLEngine
import Foundation
import Testing

/// The regression teacher of cGAN-KD's regression setting: rotated Fashion-MNIST, angles as labels.
@Suite(.serialized) struct RotationTeacherTests {
    @Test(.enabled(if: CLI.hasData, "needs Debian's dataset-fashion-mnist"))
    func trainsAndReportsMAE() throws {
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("rot.safetensors").path
        var (status, text) = try CLI.run(["teacher", "--task", "rotation", "--per-class", "100", "--epochs", "4", "--batch", "64",
                                          "--degrees=-45,45", "--out", out])
        #expect(status == 0 && text.contains("test MAE") && text.contains("wrote"), "\(text)")
        let meta = try Safetensors.read(URL(fileURLWithPath: out)).metadata
        #expect(meta["task"] == "regression" && meta["label_min"] == "-45.0" && meta["num_classes"] == "1", "\(meta)")
        let mae = Double(meta["test_mae"] ?? "") ?? .nan
        // Guessing 0° on angles uniform in ±45° gives 22.5°; four epochs on 1,000 images do far better (12.3° here).
        #expect(mae < 17, "MAE \(mae)")
        (status, text) = try CLI.run(["eval", "--weights", out, "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(status == 0 && json?["task"] as? String == "regression", "\(text)")
        #expect(Swift.abs((json?["mae"] as? Double ?? .nan) - mae) < 1e-3, "eval measures the teacher's test set: \(text)")
        (status, text) = try CLI.run(["teacher", "--task", "rotation", "--degrees=45,-45", "--out", out])
        #expect(status != 0 && text.contains("--degrees wants LO,HI"), "\(text)")
    }
}
