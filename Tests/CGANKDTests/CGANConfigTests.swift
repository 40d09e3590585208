import DAFLEngine
import Foundation
import Testing
@testable import CGANKD

@Suite struct CGANConfigTests {
    @Test func defaultsAreValidAndBadValuesNamed() {
        #expect(CGANConfig().problems().isEmpty && CGANRunSettings().problems().isEmpty)
        var c = CGANConfig()
        c.generatorWidth = 7
        #expect(c.problems().contains { $0.contains("--generator-width must be even") })
        c = CGANConfig()
        (c.latent, c.generatorWidth) = (100_000, 4096)  // each allowed, together a 100 GB first layer
        #expect(c.problems().contains { $0.contains("implausibly large") })
        c = CGANConfig()
        c.generatorWidth = -(1 << 62)  // must not overflow while being checked
        #expect(!c.problems().isEmpty)
        var s = CGANRunSettings()
        s.checkpointEvery = 0
        #expect(s.problems().contains { $0.contains("--checkpoint-every") })
    }

    /// A regression seed of the fuzz target `checkpoint`: a sidecar with `checkpointEvery` 0 loaded, and the
    /// resumed run would have divided by zero at its first step.
    @Test func damagedSidecarSettingsAreNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cgan-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var info = CGANCheckpointInfo(step: 6, file: "checkpoint-00000006.safetensors", config: CGANConfig(), settings: CGANRunSettings(),
                                      lrG: 2e-4, lrD: 2e-4, rng: ["1", "2", "3", "4"], measureRng: ["1", "2", "3", "4"], emaUpdates: 0,
                                      elapsed: 1, dataDir: "data", perClass: 20, teacherPath: nil, runName: "r")
        let url = dir.appendingPathComponent(CGANCheckpointInfo.sidecarName)
        try JSONEncoder().encode(info).write(to: url)
        #expect(try CGANCheckpointInfo.load(runDir: dir).step == 6)
        info.settings.checkpointEvery = 0
        try JSONEncoder().encode(info).write(to: url)
        do { _ = try CGANCheckpointInfo.load(runDir: dir); Issue.record("accepted checkpointEvery 0") } catch let e as WeightsError {
            #expect(e.file == url.path && e.problem.contains("damaged settings") && e.problem.contains("--checkpoint-every"), "\(e.problem)")
        }
    }
}
