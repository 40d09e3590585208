import Foundation
import RunEvents
import Testing

/// `dafl watch` steers a run that another process started, through the command file beside its log:
/// pause, β up twice, resume, then stop, as a user at a second terminal (or over ssh) would.
@Suite(.serialized) struct WatchSteeringTests {
    @Test(.enabled(if: Tmux.available && CLI.hasData, "needs tmux and dataset-fashion-mnist"))
    func watchSteersAHeadlessDistill() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try CLI.start(["distill", "--iterations", "100000", "--batch", "8", "--generator-width", "8", "--student-steps", "2",
                                 "--replay", "2", "--eval-every", "100000", "--checkpoint-every", "100000", "--samples-every", "5",
                                 "--run-dir", dir.path, "--headless"],
                                output: dir.deletingLastPathComponent().appendingPathComponent(dir.lastPathComponent + ".out"))
        defer { if run.isRunning { kill(run.processIdentifier, SIGKILL) } }
        let log = dir.appendingPathComponent("events.jsonl").path
        try #require(CLI.waitUntil(limit: 120) { CLI.events(log).contains { if case .step = $0 { true } else { false } } }, "the run never logged a step")

        let t = Tmux(command: "\(CLI.binary.path) watch \(log)", env: ["TERM": "xterm-256color"])
        defer { t.kill() }
        try #require(t.waitForScreen(limit: 60) { $0.contains("RUNNING") && (Tmux.step(in: $0) ?? 0) > 0 } != nil, "watch showed no running step:\n\(t.screen)")
        t.keys(" ")
        let paused = try #require(t.waitForScreen { $0.contains("PAUSED") }, "no PAUSED after space:\n\(t.screen)")
        let stepAtPause = try #require(Tmux.step(in: paused))
        t.keys("B")
        #expect(t.waitForScreen { $0.contains("β 6.25") } != nil, "header did not show β 6.25:\n\(t.screen)")
        t.keys("B")
        #expect(t.waitForScreen { $0.contains("β 7.812") } != nil, "header did not show β 7.812:\n\(t.screen)")
        t.keys(" ")
        #expect(t.waitForScreen { $0.contains("RUNNING") && (Tmux.step(in: $0) ?? 0) > stepAtPause } != nil, "did not resume:\n\(t.screen)")
        t.keys("q")
        #expect(t.waitForScreen { $0.contains("Stop the run too?") } != nil, "no stop question:\n\(t.screen)")
        t.keys("y")
        #expect(CLI.waitUntil(limit: 30) { !t.alive }, "watch did not exit after q, y")
        #expect(CLI.waitUntil(limit: 60) { !run.isRunning }, "the run did not stop")
        #expect(run.terminationStatus == 130, "a stopped run exits 130")

        // Each command acknowledged in the run log with the id of its line in the command file.
        let controls = try RunLogReader.read(path: log).events.compactMap { if case .control(let c) = $0, c.source != "trainer" { c } else { nil } }
        #expect(controls.map(\.action) == ["pause", "set", "set", "resume", "stop"], "\(controls.map(\.action))")
        #expect(controls.allSatisfy { $0.source == "file:watch" && $0.id != nil })
        let lines = try String(contentsOf: dir.appendingPathComponent("control.jsonl"), encoding: .utf8).split(separator: "\n")
        let ids = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String }
        #expect(ids == controls.compactMap(\.id))
        #expect(controls[2].new.map { Swift.abs($0 - 7.8125) < 1e-4 } == true)
    }
}
