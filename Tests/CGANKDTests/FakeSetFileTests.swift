import DAFLEngine
import Foundation
import Testing
@testable import CGANKD

@Suite struct FakeSetFileTests {
    func sample() -> FakeSetFile {
        let d = Dataset(images: (0..<(3 * 32 * 32)).map { Float($0 % 7) / 7 }, labels: [2, 0, 1], side: 32, classes: 3)
        let stats = FakeSetStats(generated: [5, 4, 3], accepted: [4, 4, 2], kept: [1, 1, 1], thresholds: [0.5, .infinity, 1.2],
                                 maxRatios: [1.5, 2, 0], disagreements: [1, 0, 0], relabelled: true)
        return FakeSetFile(dataset: d, conditioning: [0, 0, 1], stats: stats,
                           path: FileManager.default.temporaryDirectory.appendingPathComponent("fake-\(UUID().uuidString).safetensors").path)
    }

    @Test func roundTripsWithLabelsAsIntegersAndStats() throws {
        let f = sample()
        defer { try? FileManager.default.removeItem(atPath: f.path) }
        try f.write(preprocessing: .fashionMNIST, describe: ["rho": "0.9"])
        let back = try FakeSetFile.read(URL(fileURLWithPath: f.path), preprocessing: .fashionMNIST)
        #expect(back.dataset.images == f.dataset.images && back.dataset.labels == [2, 0, 1] && back.conditioning == [0, 0, 1])
        #expect(back.stats.kept == [1, 1, 1] && back.stats.thresholds[1] == .infinity && back.stats.relabelled)
        let raw = try Safetensors.read(URL(fileURLWithPath: f.path))
        #expect(raw.metadata["kind"] == "cgan-kd-fake-set" && raw.metadata["rho"] == "0.9")
        // Labels are I64 on disk, as PyTorch expects class indices.
        let data = try Data(contentsOf: URL(fileURLWithPath: f.path))
        let n = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any] ?? [:]
        for (name, dtype) in [("labels", "I64"), ("conditioning", "I64"), ("images", "F32")] {
            #expect((header[name] as? [String: Any])?["dtype"] as? String == dtype, "\(name)")
        }
    }

    @Test func mismatchesAreNamed() throws {
        let f = sample()
        defer { try? FileManager.default.removeItem(atPath: f.path) }
        try f.write(preprocessing: .fashionMNIST)
        #expect(throws: WeightsError.self) { try FakeSetFile.read(URL(fileURLWithPath: f.path), preprocessing: .mnist) }
        // A model file is not a fake set.
        var rng = RNG(seed: 1)
        let model = FileManager.default.temporaryDirectory.appendingPathComponent("m-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: model) }
        try ModelFile.save(LeNet5(.half, rng: &rng), preprocessing: .fashionMNIST, to: model)
        do { _ = try FakeSetFile.read(model, preprocessing: .fashionMNIST); Issue.record("a model read as a fake set") } catch let e as WeightsError {
            #expect(e.problem.contains("not a cGAN-KD fake set") && e.file == model.path)
        }
    }

    /// A fuzz-target regression seed: labels stored as floats (NaN, huge, fractional) trapped in Int(_:).
    @Test func labelsThatAreNotWholeNumbersAreNamed() throws {
        let f = sample()
        defer { try? FileManager.default.removeItem(atPath: f.path) }
        try f.write(preprocessing: .fashionMNIST)
        let file = try Safetensors.read(URL(fileURLWithPath: f.path))
        for bad: Float in [.nan, 1e30, 0.5, -1] {
            let tensors = ["images", "labels", "conditioning"].map { name in
                (name, file.tensors[name]!.shape, name == "labels" ? [bad, 0, 1] : file.tensors[name]!.values)
            }
            try writeAtomically(try Safetensors.encode(tensors, metadata: file.metadata), to: URL(fileURLWithPath: f.path))
            do { _ = try FakeSetFile.read(URL(fileURLWithPath: f.path), preprocessing: .fashionMNIST); Issue.record("read label \(bad)") }
            catch let e as WeightsError { #expect(e.problem.contains("not a whole number in 0..<3"), "\(e.problem)") }
        }
    }
}
