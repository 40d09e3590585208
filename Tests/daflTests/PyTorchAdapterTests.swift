import Foundation
import RunEvents
import Testing

/// The PyTorch twin (scripts/distill_torch.py) on the CPU with two DistributedDataParallel processes,
/// logging through adapters/pytorch, steered from `dafl watch` in tmux: pause, β up twice, resume,
/// stop. Both ranks must apply the same commands at the same steps, and the log must replay.
@Suite(.serialized) struct PyTorchAdapterTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Debian's python3-torch and safetensors in /usr/bin/python3 (CI installs both, so there their absence fails).
    static let hasTorch: Bool = {
        guard let (status, _) = try? CLI.runTool("/usr/bin/python3", ["-c", "import torch, safetensors"]) else { return false }
        return status == 0
    }()

    @Test(.enabled(if: Tmux.available && CLI.hasData, "needs tmux and dataset-fashion-mnist"))
    func watchSteersTwoDDPRanksAlike() throws {
        guard Self.hasTorch else {
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI must have python3-torch and safetensors for /usr/bin/python3")
            print("skipped: /usr/bin/python3 lacks torch or safetensors")
            return
        }
        let dir = CLI.tempDir()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let twin = try CLI.start([Self.repo.appendingPathComponent("scripts/distill_torch.py").path, "--ddp", "2", "--run-dir", dir.path,
                                  "--iterations", "100000", "--batch", "16", "--generator-width", "8", "--student-steps", "2",
                                  "--replay", "2", "--threads", "1",
                                  "--teacher", Self.repo.appendingPathComponent("models/teacher-fashion-lenet5.safetensors").path],
                                 output: dir.appendingPathComponent("twin.out"), program: URL(fileURLWithPath: "/usr/bin/python3"))
        defer { if twin.isRunning { kill(twin.processIdentifier, SIGKILL); twin.waitUntilExit() } }
        let log = dir.appendingPathComponent("events.jsonl").path
        try #require(CLI.waitUntil(limit: 120) { CLI.events(log).contains { if case .step = $0 { true } else { false } } },
                     "the twin never logged a step: \((try? String(contentsOf: dir.appendingPathComponent("twin.out"), encoding: .utf8)) ?? "")")

        let t = Tmux(command: "\(CLI.binary.path) watch \(log)", env: ["TERM": "xterm-256color"])
        defer { t.kill() }
        try t.steerPauseBetaResumeStop()
        #expect(CLI.waitUntil(limit: 60) { !twin.isRunning }, "the twin did not stop")

        // Both ranks applied the same commands at the same steps.
        let ranks = try (0..<2).map { try String(contentsOf: dir.appendingPathComponent("rank\($0)-applied.txt"), encoding: .utf8) }
        #expect(ranks[0] == ranks[1], "rank 0:\n\(ranks[0])\nrank 1:\n\(ranks[1])")
        let actions = ranks[0].split(separator: "\n").map { $0.split(separator: ":", maxSplits: 1).last.map(String.init) ?? "" }
        #expect(actions.map { $0.trimmingCharacters(in: .whitespaces) } == ["pause", "scale beta 6.25", "scale beta 7.8125", "resume", "stop"], "\(actions)")

        // The log replays headless, with the actions acknowledged.
        let (status, out) = try CLI.run(["replay", log, "--headless", "--size", "100x30"])
        #expect(status == 0 && out.contains("preset: pytorch") && out.contains("control actions: 5") && out.contains("β 6.25 → 7.812"), "\(out)")
        #expect(out.contains("ended: stopped"), "\(out)")
    }
}
