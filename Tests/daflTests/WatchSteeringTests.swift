import Foundation
import RunEvents
import Testing

/// `dafl watch` in a second terminal steers a `dafl distill` running on its own dashboard, through the
/// command file beside its log: pause, β up twice, resume, then stop, as a user at a second terminal (or
/// over ssh, with the run directory shared) would.
@Suite(.serialized) struct WatchSteeringTests {
    @Test(.enabled(if: Tmux.available && CLI.hasData, "needs tmux and dataset-fashion-mnist"))
    func watchInASecondTerminalSteersADistillOnItsDashboard() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The run on its own dashboard in one terminal…
        let run = Tmux(command: "\(CLI.binary.path) distill --iterations 100000 --batch 8 --generator-width 8 --student-steps 2 --replay 2 "
                       + "--eval-every 100000 --checkpoint-every 100000 --samples-every 5 --run-dir \(dir.path)", env: ["TERM": "xterm-256color"])
        defer { run.kill() }
        try #require(run.waitForScreen(limit: 120) { $0.contains("RUNNING") && (Tmux.step(in: $0) ?? 0) > 0 } != nil,
                     "the run's dashboard showed no running step:\n\(run.screen)")
        // …and `dafl watch` of its log in a second one.
        let log = dir.appendingPathComponent("events.jsonl").path
        let t = Tmux(command: "\(CLI.binary.path) watch \(log)", env: ["TERM": "xterm"])
        defer { t.kill() }
        try t.steerPauseBetaResumeStop(
            afterPause: { #expect(run.waitForScreen { $0.contains("PAUSED") } != nil, "the run's own dashboard did not show PAUSED:\n\(run.screen)") },
            afterBeta: { #expect(run.waitForScreen { $0.contains("β 7.812") } != nil, "the run's dashboard did not show β 7.812:\n\(run.screen)") })
        // The run saved and stopped; its dashboard says so and leaves on q.
        // Saving the student and leaving the trainer can take a minute on a loaded 2-core machine: as generous as the start.
        #expect(run.waitForScreen(limit: 120) { $0.contains("training stopped") } != nil, "the run's dashboard did not show the stop:\n\(run.screen)")
        run.keys("q")
        #expect(CLI.waitUntil(limit: 30) { !run.alive }, "the run's dashboard did not exit after q")

        // Each command acknowledged in the run log with the id of its line in the command file.
        let controls = try RunLogReader.read(path: log).events.compactMap { if case .control(let c) = $0, c.source != "trainer" { c } else { nil } }
        #expect(controls.map(\.action) == ["pause", "set", "set", "resume", "stop"], "\(controls.map(\.action))")
        #expect(controls.allSatisfy { $0.source == "file:watch" && $0.id != nil })
        let lines = try String(contentsOf: dir.appendingPathComponent("control.jsonl"), encoding: .utf8).split(separator: "\n")
        let ids = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String }
        #expect(ids == controls.compactMap(\.id))
        #expect(controls[2].new.map { Swift.abs($0 - 7.8125) < 1e-4 } == true)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("student.safetensors").path), "no student saved at the stop")
    }
}
