import DAFLEngine
import Foundation
import Testing
@testable import DAFLTrainer

/// Sidecars a user may edit or damage: `--resume` must name the file and the problem before it
/// builds anything from them (regression seeds of the fuzz target `checkpoint`: a latent of four billion).
@Suite struct CheckpointTests {
    func sidecar(_ edit: (inout CheckpointInfo) -> Void) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var info = CheckpointInfo(step: 10, file: "checkpoint-00000010.safetensors", weights: LossWeights(), lrG: 0.2, lrS: 2e-3,
                                  rng: ["1", "2", "3", "4"], elapsed: 1, bestStudentAccuracy: nil, lastStudentAccuracy: nil,
                                  config: .preset(.cpu), teacherPath: "t.safetensors", dataDir: "data", runName: "r")
        edit(&info)
        try JSONEncoder().encode(info).write(to: dir.appendingPathComponent(CheckpointInfo.sidecarName))
        return dir
    }

    @Test func damagedSettingsAreNamedBeforeAnythingIsBuilt() throws {
        let cases: [(String, (inout CheckpointInfo) -> Void)] = [
            ("implausibly large", { $0.config.latent = 4_000_000_000 }),
            ("implausibly large", { $0.config.generatorWidth = 1 << 40 }),
            ("must be positive", { $0.config.checkpointEvery = 0 }),
            ("step -1 of 1000", { $0.step = -1 }),
            ("or RNG state", { $0.rng = ["1"] }),
        ]
        for (text, edit) in cases {
            let dir = try sidecar(edit)
            defer { try? FileManager.default.removeItem(at: dir) }
            do { _ = try CheckpointInfo.load(runDir: dir); Issue.record("accepted: \(text)") } catch let e as WeightsError {
                #expect(e.file.hasSuffix("checkpoint.json") && e.problem.contains(text), "\(e.problem)")
            }
        }
        let good = try sidecar { _ in }
        defer { try? FileManager.default.removeItem(at: good) }
        #expect(try CheckpointInfo.load(runDir: good).step == 10)
    }
}
